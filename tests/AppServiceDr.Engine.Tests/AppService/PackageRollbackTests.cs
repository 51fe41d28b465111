using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.AppService
{
    /// <summary>Seed 004 scenario 5 against the local fabric: WEBSITE_RUN_FROM_PACKAGE pointed back at the
    /// previous versioned package, every other setting kept, the app restarted and answering healthy.</summary>
    public sealed class PackageRollbackTests : IAsyncLifetime
    {
        private const string Package = PackageRollbackRunbook.PackageSetting;
        private const string Folder = "https://packages.example.test/appstoreforintune/bin/latest/";
        private const string CurrentSig = "Zk9vq3LrW8mYb7XcT1nQe5Hs0aPd4uJ%2Bcurrent%3D";
        private const string TargetSig = "Qm2xT7pL0aZr4WcE9uHy6Ks1dNf8Gb3V%2Btarget%3D";
        private const string CurrentSas = "sv=2024-11-04&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=" + CurrentSig;
        private const string TargetSas = "sv=2024-11-04&se=2031-06-30T00%3A00%3A00Z&sr=b&sp=r&sig=" + TargetSig;
        private const string Current = Folder + "AppRequestPortal-1.34.0.zip?" + CurrentSas;
        private const string Target = Folder + "AppRequestPortal-1.33.0.zip?" + TargetSas;
        private const string StorageValue = "DefaultEndpointsProtocol=https;AccountName=stapp;AccountKey=c3RvcmFnZS1rZXktOTk4MQ==;EndpointSuffix=core.windows.net";
        private const string ClientSecretValue = "client-secret-plain-Q7x9!kk";
        private const string InsightsValue = "InstrumentationKey=5f1c8a0e-7d2b-4c3a-9e61-0b9d2f4a7c55";
        private static readonly string[] Secrets =
        {
            CurrentSas, TargetSas, CurrentSig, TargetSig, Uri.UnescapeDataString(CurrentSig), Uri.UnescapeDataString(TargetSig),
            StorageValue, ClientSecretValue, InsightsValue, FabricFixture.Token,
        };

        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RecordingHost _host = new RecordingHost();

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => o.Timings.SiteWarmupMs = 200);
            Seed("portal", Current);
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private void Seed(string site, string? package, params KeyValuePair<string, string>[] extra)
        {
            var settings = new List<KeyValuePair<string, string>>
            {
                new KeyValuePair<string, string>("ASPNETCORE_ENVIRONMENT", "Production"),
                new KeyValuePair<string, string>("AzureAd__ClientSecret", ClientSecretValue),
            };
            if (package != null) settings.Add(new KeyValuePair<string, string>(Package, package));
            settings.Add(new KeyValuePair<string, string>("ConnectionStrings__Storage", StorageValue));
            settings.Add(new KeyValuePair<string, string>("APPLICATIONINSIGHTS_CONNECTION_STRING", InsightsValue));
            settings.AddRange(extra);
            _fabric.Server.Control(s => WebProvider.SeedSite(s, FabricFixture.Subscription, "rg-app", site, "westus", settings));
        }

        private List<KeyValuePair<string, string>> Settings(string site = "portal") => _fabric.Server.Query(s =>
            WebProvider.Runtime(s.Arm.Find($"/subscriptions/{FabricFixture.Subscription}/resourceGroups/rg-app/providers/Microsoft.Web/sites/{site}")!).AppSettings.ToList());

        private static PackageRollbackRequest Request(Uri? packageUri = null, string? version = null, string site = "portal", TimeSpan? timeout = null) => new PackageRollbackRequest
        {
            App = new WebAppTarget
            {
                SubscriptionId = FabricFixture.Subscription,
                ResourceGroupName = "rg-app",
                Name = site,
                HealthPollInterval = TimeSpan.FromMilliseconds(50),
                HealthTimeout = timeout ?? TimeSpan.FromSeconds(30),
            },
            PackageUri = packageUri,
            Version = version,
        };

        private readonly SecretRedactor _redactor = new SecretRedactor();

        private RunContext Context(IDrHost? host = null, bool whatIf = false) =>
            new RunContext(host ?? _host, new RunOptions { WhatIf = whatIf, Redactor = _redactor }, _fabric.Environment);

        private async Task<RunReport> RunAsync(PackageRollbackRequest request, IDrHost? host = null, bool whatIf = false) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new PackageRollbackRunbook(), request, Context(host, whatIf)));

        private Task<RunOutcome> ResumeOnlyAsync(string runId, Uri? packageUri) =>
            new RunbookRunner(new RunStore(_state.Path)).ResumeAsync(runId, "Invoke-DeploymentRollback",
                new Dictionary<string, object?> { ["PackageUri"] = packageUri }, Context());

        private async Task<RunReport> ResumeAsync(string runId, Uri? packageUri) => Outcomes.Keep(await ResumeOnlyAsync(runId, packageUri));

        private static IReadOnlyList<PackageRollbackResult> Results(RunReport report) => Outcomes.Of<PackageRollbackResult>(report);

        private int Puts() => _fabric.Server.Log.CountSucceeded("PUT", "/config/appsettings");
        private int Restarts() => _fabric.Server.Log.CountSucceeded("POST", "/restart");
        private static string Shown(string url) => url.Substring(0, url.IndexOf('?')) + "?<query redacted>";
        private static string Describe(RunReport r) => string.Join("; ", r.Steps.Select(s => $"{s.StepId} {s.Outcome} {s.ErrorId} {s.Error}"));

        /// <summary>Every setting other than the package, in order, exactly as before.</summary>
        private void AssertOthersUnchanged(List<KeyValuePair<string, string>> before, string site = "portal")
        {
            var after = Settings(site);
            Assert.Equal(before.Where(p => p.Key != Package), after.Where(p => p.Key != Package));
        }

        [Fact]
        public async Task Rolling_back_to_a_package_uri_changes_only_that_setting_and_the_app_answers_with_the_old_package()
        {
            var before = Settings();

            var report = await RunAsync(Request(new Uri(Target)));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            AssertOthersUnchanged(before);
            var after = Settings();
            Assert.Equal(Target, after.Single(p => p.Key == Package).Value);
            Assert.Equal(before.FindIndex(p => p.Key == Package), after.FindIndex(p => p.Key == Package));
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            var (status, body) = await Probe("portal");
            Assert.Equal(200, status);
            Assert.Contains("Running package: " + Target, body);

            var result = Results(report).Single();
            Assert.Equal("portal", result.WebAppName);
            Assert.Equal(PackageRollbackAction.RolledBack, result.Action);
            Assert.Equal(Shown(Current), result.PreviousPackage);
            Assert.Equal(Shown(Target), result.Package);
            Assert.Equal("https://portal.web.fabric.test/", result.HealthUrl);
            Assert.NotNull(result.TimeToHealthy);
            Assert.Equal(report.Duration, result.Duration);
            Assert.Equal(report.RunId, result.RunId);
            Assert.Null(result.ErrorId);
            Assert.Null(result.Error);
            Assert.Equal($"Set {Package} from {Shown(Current)} to {Shown(Target)} (other 4 settings kept)", result.Plan);
            Assert.Contains($"portal: Set {Package} from {Shown(Current)} to {Shown(Target)} (other 4 settings kept)", _host.Questions);
            Assert.Single(report.Steps.Single(s => s.StepId == "package:portal").Changes);
            var restart = report.Steps.Single(s => s.StepId == "restart:portal");
            Assert.Equal(StepOutcome.Succeeded, restart.Outcome);
            Assert.True(restart.StartedAt >= report.Steps.Single(s => s.StepId == "package:portal").EndedAt);
            var inputs = new RunStore(_state.Path).Get(report.RunId).Inputs;
            Assert.Equal(Folder + "AppRequestPortal-1.33.0.zip", inputs["PackageLocation"]);
            Assert.Equal("True", inputs["PackageHasQuery"]);
            AssertNoSecretLeaked(report);
        }

        [Fact]
        public async Task Rolling_back_by_version_keeps_the_query_string_of_the_current_url()
        {
            var before = Settings();

            var report = await RunAsync(Request(version: "1.33.0"));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            var expected = Folder + "AppRequestPortal-1.33.0.zip?" + CurrentSas;
            Assert.Equal(expected, Settings().Single(p => p.Key == Package).Value);
            AssertOthersUnchanged(before);
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            Assert.Contains("Running package: " + expected, (await Probe("portal")).Body);
            var result = Results(report).Single();
            Assert.Equal(PackageRollbackAction.RolledBack, result.Action);
            Assert.Equal(Shown(Current), result.PreviousPackage);
            Assert.Equal(Shown(expected), result.Package);
            Assert.Equal(Shown(expected), new RunStore(_state.Path).Get(report.RunId).Inputs["TargetPackage"]);
            AssertNoSecretLeaked(report);
        }

        [Fact]
        public async Task A_missing_setting_is_added_by_package_uri_and_the_others_are_kept()
        {
            Seed("bare", null);
            var before = Settings("bare");

            var report = await RunAsync(Request(new Uri(Target), site: "bare"));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            AssertOthersUnchanged(before, "bare");
            Assert.Equal(Target, Settings("bare").Single(p => p.Key == Package).Value);
            var result = Results(report).Single();
            Assert.Equal(PackageRollbackAction.RolledBack, result.Action);
            Assert.Null(result.PreviousPackage);
            Assert.Contains(_host.Questions, q => q.StartsWith($"bare: Set {Package} from (not set) to {Shown(Target)}", StringComparison.Ordinal));
        }

        [Fact]
        public async Task Ordinary_setting_values_stay_readable_and_only_the_secret_ones_are_masked()
        {
            const string Functions = "https://github.com/Azure/azure-sdk-for-java/releases/download/v2/java-functions-";
            const string Password = "Pa55w0rd!Orders";
            const string DbConnection = "Host=orders.postgres.example.test;Database=orders;Username=app;Password=" + Password + ";";
            const string Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
            Seed("funcapp", Functions + "2.0.0.zip",
                new KeyValuePair<string, string>("FUNCTIONS_WORKER_RUNTIME", "java"),
                new KeyValuePair<string, string>("FUNCTIONS_EXTENSION_VERSION", "~4"),
                new KeyValuePair<string, string>("WEBSITE_ENABLE_SYNC_UPDATE_SITE", "true"),
                new KeyValuePair<string, string>("REGION_NAME", "westus"),
                new KeyValuePair<string, string>("ConnectionStrings__Orders", DbConnection),
                new KeyValuePair<string, string>("Orders__ApiToken", Jwt),
                new KeyValuePair<string, string>("Smtp__Password", "mail-pass-771"));
            var report = await RunAsync(Request(version: "1.9.0", site: "funcapp"));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            var result = Results(report).Single();
            Assert.Equal(Functions + "2.0.0.zip", result.PreviousPackage);
            Assert.Equal(Functions + "1.9.0.zip", result.Package);
            Assert.Contains(Functions + "1.9.0.zip", ReportExporter.ToMarkdown(report));
            Assert.Contains(Functions + "1.9.0.zip", File.ReadAllText(report.JournalPath!));
            Assert.Contains(_host.Questions, q => q.Contains(Functions + "1.9.0.zip", StringComparison.Ordinal));
            foreach (var ordinary in new[] { "java", "true", "westus", "~4", "Production", "orders.postgres.example.test" })
                Assert.Equal("runtime " + ordinary, _redactor.Redact("runtime " + ordinary));
            var secrets = new[] { Password, DbConnection, Jwt, "mail-pass-771" };
            foreach (var secret in new[] { StorageValue, ClientSecretValue, InsightsValue }.Concat(secrets))
                Assert.DoesNotContain(secret, _redactor.Redact("value: " + secret));
            AssertNoSecretLeaked(report, extra: secrets, queryShown: false);
        }

        [Fact]
        public async Task A_second_run_finds_the_package_current_and_neither_writes_nor_restarts()
        {
            var first = await RunAsync(Request(version: "1.33.0"));
            Assert.True(first.Status == RunStatus.Succeeded, Describe(first));
            var mutations = _fabric.Server.Log.Entries.Count;

            var again = await RunAsync(Request(version: "1.33.0"));

            Assert.True(again.Status == RunStatus.Succeeded, Describe(again));
            Assert.Equal(mutations, _fabric.Server.Log.Entries.Count);
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            var result = Results(again).Single();
            Assert.Equal(PackageRollbackAction.AlreadyCurrent, result.Action);
            Assert.Equal(result.Package, result.PreviousPackage);
            Assert.Equal("https://portal.web.fabric.test/", result.HealthUrl);
        }

        [Fact]
        public async Task WhatIf_plans_both_steps_changes_nothing_and_writes_no_journal()
        {
            var before = Settings();
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Request(new Uri(Target)), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Empty(_fabric.Server.Log.Entries);
            Assert.Null(report.JournalPath);
            Assert.False(Directory.Exists(Path.Combine(_state.Path, "runs")) && Directory.EnumerateFiles(Path.Combine(_state.Path, "runs")).Any());
            Assert.Equal(before, Settings());
            Assert.Contains($"portal: Set {Package} from {Shown(Current)} to {Shown(Target)} (other 4 settings kept)", host.Questions);
            Assert.Contains(host.Questions, q => q.StartsWith("portal: Restart the app", StringComparison.Ordinal));
            var result = Results(report).Single();
            Assert.Equal(PackageRollbackAction.Skipped, result.Action);
            Assert.Equal(Shown(Current), result.PreviousPackage);
            Assert.Equal(Shown(Target), result.Package);
            AssertNoSecretLeaked(report, host);
        }

        [Fact]
        public async Task Bad_input_and_unusable_apps_are_refused_before_anything_changes()
        {
            Seed("bare", null);
            Seed("unversioned", Folder + "AppRequestPortal.zip?" + CurrentSas);
            Seed("local", "1");
            var cases = new (string ErrorId, DrErrorCategory Category, PackageRollbackRequest Request)[]
            {
                ("PackageSourceAmbiguous", DrErrorCategory.InvalidArgument, Request()),
                ("PackageSourceAmbiguous", DrErrorCategory.InvalidArgument, Request(new Uri(Target), "1.33.0")),
                ("PackageUriNotAbsolute", DrErrorCategory.InvalidArgument, Request(new Uri("bin/AppRequestPortal-1.33.0.zip?" + TargetSas, UriKind.Relative))),
                ("PackageUriNotHttps", DrErrorCategory.InvalidArgument, Request(new Uri("http://packages.example.test/AppRequestPortal-1.33.0.zip?" + TargetSas))),
                ("PackageUriHasUserInfo", DrErrorCategory.InvalidArgument, Request(new Uri("https://user:" + ClientSecretValue.Replace("!", "") + "@packages.example.test/a-1.0.zip"))),
                ("InvalidPackageVersion", DrErrorCategory.InvalidArgument, Request(version: "latest")),
                ("InvalidPackageVersion", DrErrorCategory.InvalidArgument, Request(version: "1.33.0.zip")),
                ("InvalidSubscriptionId", DrErrorCategory.InvalidArgument, WithSubscription(Request(new Uri(Target)), "not-a-guid")),
                ("InvalidResourceName", DrErrorCategory.InvalidArgument, Request(new Uri(Target), site: "por/tal")),
                ("WebAppNotFound", DrErrorCategory.ObjectNotFound, Request(new Uri(Target), site: "nosuch")),
                ("NoCurrentPackage", DrErrorCategory.ObjectNotFound, Request(version: "1.33.0", site: "bare")),
                ("PackageVersionNotFound", DrErrorCategory.InvalidData, Request(version: "1.33.0", site: "unversioned")),
                ("PackageVersionNotFound", DrErrorCategory.InvalidData, Request(version: "1.33.0", site: "local")),
            };
            var messages = new List<string>();
            foreach (var (errorId, category, request) in cases)
            {
                var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));
                Assert.True(errorId == ex.ErrorId, $"expected {errorId}, got {ex.ErrorId}: {ex.Message}");
                Assert.Equal(category, ex.Category);
                Assert.True(ex.IsPrecondition, ex.ErrorId);
                Assert.NotNull(ex.Target);
                messages.Add(ex.Message + " " + ex.Target);
            }
            Assert.Empty(_fabric.Server.Log.Entries);
            Assert.Empty(new RunStore(_state.Path).List());
            var all = string.Join("\n", messages);
            Assert.Contains("-<version>.zip", all);
            Assert.Contains("'nosuch'", all);
            foreach (var secret in Secrets) Assert.DoesNotContain(secret, all);
            Assert.DoesNotContain(ClientSecretValue.Replace("!", ""), all);
        }

        [Fact]
        public async Task Throttling_and_unavailability_on_the_list_and_the_put_are_ridden_out_with_one_write()
        {
            foreach (var kind in new[] { FaultKind.Throttle, FaultKind.Unavailable })
            {
                _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/config/appsettings/list$", Kind = kind, Count = 1, RetryAfterSeconds = 0 });
                _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/config/appsettings$", Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            }
            var before = Settings();

            var report = await RunAsync(Request(new Uri(Target)));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Puts());
            Assert.Equal(2, _fabric.Server.Log.Entries.Count(e => e.Method == "PUT" && e.Fault != null));
            Assert.Equal(2, _fabric.Server.Log.Requests.Count(e => e.Path.EndsWith("/config/appsettings/list") && e.Fault != null));
            Assert.Equal(Target, Settings().Single(p => p.Key == Package).Value);
            AssertOthersUnchanged(before);
        }

        [Theory]
        [InlineData(FaultKind.ResetAfterProcessing)]
        [InlineData(FaultKind.ConnectionReset)]
        public async Task A_put_whose_answer_is_lost_is_checked_by_reading_back_not_blindly_repeated(FaultKind kind)
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/config/appsettings$", Kind = kind, Count = 1 });
            var before = Settings();

            var report = await RunAsync(Request(new Uri(Target)));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            Assert.Equal(Target, Settings().Single(p => p.Key == Package).Value);
            AssertOthersUnchanged(before);
            Assert.Single(report.Steps.Single(s => s.StepId == "package:portal").Changes);
            Assert.Equal(PackageRollbackAction.RolledBack, Results(report).Single().Action);
            AssertNoSecretLeaked(report);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task Interrupted_after_the_put_landed_the_resumed_run_does_not_write_again_but_still_restarts(bool byVersion)
        {
            // The PUT is applied but its answer lost, and every read after it fails: the step ends without knowing.
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/config/appsettings$", Kind = FaultKind.ResetAfterProcessing, Count = 1 });
            var host = new RecordingHost((_, _) =>
            {
                _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/config/appsettings/list$", Kind = FaultKind.ConnectionReset, Count = -1 });
                return true;
            });
            var expected = byVersion ? Folder + "AppRequestPortal-1.33.0.zip?" + CurrentSas : Target;
            var before = Settings();

            var first = await RunAsync(byVersion ? Request(version: "1.33.0") : Request(new Uri(Target)), host);

            Assert.True(first.Status == RunStatus.Failed, Describe(first));
            Assert.True("ResourceManagerUnreachable" == first.Steps.Single(s => s.StepId == "package:portal").ErrorId, Describe(first));
            Assert.Equal(1, Puts());
            Assert.Equal(0, Restarts());
            Assert.Equal(expected, Settings().Single(p => p.Key == Package).Value);
            _fabric.Server.Faults.Clear();
            if (!byVersion)
            {
                var refused = await Assert.ThrowsAsync<DrException>(() => ResumeOnlyAsync(first.RunId, null));
                Assert.Equal("ResumeNeedsPackageUri", refused.ErrorId);
                Assert.True(refused.IsPrecondition);
                var other = await Assert.ThrowsAsync<DrException>(() => ResumeOnlyAsync(first.RunId, new Uri(Current)));
                Assert.Equal("ResumePackageUriDiffers", other.ErrorId);
            }

            var resumed = await ResumeAsync(first.RunId, byVersion ? null : new Uri(Target));

            Assert.True(resumed.Status == RunStatus.Succeeded, Describe(resumed));
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            AssertOthersUnchanged(before);
            var package = resumed.Steps.Single(s => s.StepId == "package:portal");
            Assert.Equal(2, package.Attempts);
            Assert.Equal(StepOutcome.Succeeded, package.Outcome);
            Assert.Single(package.Changes);
            var result = Results(resumed).Single();
            Assert.Equal(PackageRollbackAction.RolledBack, result.Action);
            Assert.Equal(Shown(Current), result.PreviousPackage);
            Assert.Equal(Shown(expected), result.Package);
            Assert.Contains("Running package: " + expected, (await Probe("portal")).Body);
            AssertNoSecretLeaked(resumed);
        }

        [Fact]
        public async Task A_put_that_never_landed_is_sent_on_resume_exactly_once()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/config/appsettings$", Kind = FaultKind.ConnectionReset, Count = -1 });

            var first = await RunAsync(Request(new Uri(Target)));

            Assert.True(first.Status == RunStatus.Failed, Describe(first));
            Assert.Equal("ResourceManagerAnswerLost", first.Steps.Single(s => s.StepId == "package:portal").ErrorId);
            Assert.Equal(0, Puts());
            Assert.Equal(Current, Settings().Single(p => p.Key == Package).Value);
            _fabric.Server.Faults.Clear();

            var resumed = await ResumeAsync(first.RunId, new Uri(Target));

            Assert.True(resumed.Status == RunStatus.Succeeded, Describe(resumed));
            Assert.Equal(1, Puts());
            Assert.Equal(1, Restarts());
            Assert.Equal(Target, Settings().Single(p => p.Key == Package).Value);
            Assert.Equal(Shown(Current), Results(resumed).Single().PreviousPackage);
            AssertNoSecretLeaked(resumed);
        }

        [Fact]
        public async Task An_app_that_never_answers_healthy_fails_with_its_url_and_the_change_is_still_reported()
        {
            Seed("portal", Current, new KeyValuePair<string, string>("Missing", "@Microsoft.KeyVault(VaultName=kv1;SecretName=NeverThere)"));

            var report = await RunAsync(Request(new Uri(Target), timeout: TimeSpan.FromSeconds(1)));

            Assert.Equal(RunStatus.Failed, report.Status);
            var restart = report.Steps.Single(s => s.StepId == "restart:portal");
            Assert.Equal("WebAppNotHealthy", restart.ErrorId);
            Assert.Contains("https://portal.web.fabric.test/", restart.Error);
            Assert.Contains("503", restart.Error);
            var result = Results(report).Single();
            Assert.Equal(PackageRollbackAction.Failed, result.Action);
            Assert.Equal("WebAppNotHealthy", result.ErrorId);
            Assert.Contains("https://portal.web.fabric.test/", result.Error);
            Assert.Equal(Shown(Current), result.PreviousPackage);
            Assert.Equal(Shown(Target), result.Package);
            Assert.Equal(1, Puts());
            AssertNoSecretLeaked(report);
        }

        private static PackageRollbackRequest WithSubscription(PackageRollbackRequest request, string subscription)
        {
            request.App.SubscriptionId = subscription;
            return request;
        }

        private async Task<(int Status, string Body)> Probe(string site)
        {
            using var http = new System.Net.Http.HttpClient(_fabric.Server.CreateClientHandler());
            using var r = await http.GetAsync("https://" + _fabric.Server.SiteHostName(site) + "/");
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        /// <summary>Greps everything the run produced (journal, reports, host messages, results) for the SAS
        /// query strings and the other settings' values (and <paramref name="extra"/>); with
        /// <paramref name="queryShown"/>, a package query must have been shown by its marker.</summary>
        private void AssertNoSecretLeaked(RunReport report, RecordingHost? host = null, IEnumerable<string>? extra = null, bool queryShown = true)
        {
            var results = Results(report).Select(r => string.Join("|",
                r.WebAppName, r.PreviousPackage, r.Package, r.HealthUrl, r.Plan, r.ErrorId, r.Error, r.RunId));
            var produced = string.Join("\n", new[]
            {
                report.JournalPath != null ? File.ReadAllText(report.JournalPath) : "",
                ReportExporter.ToJson(report),
                ReportExporter.ToMarkdown(report),
                string.Join("\n", (host ?? _host).AllText()),
                string.Join("\n", results),
            });
            if (queryShown) Assert.Contains("?<query redacted>", produced);
            foreach (var secret in Secrets.Concat(extra ?? Array.Empty<string>())) Assert.DoesNotContain(secret, produced);
        }
    }
}
