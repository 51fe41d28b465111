using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.KeyVault;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Web;
using Azure.Security.KeyVault.Secrets;
using static AppServiceDr.Engine.Tests.Support.TestSecrets;

namespace AppServiceDr.Engine.Tests.KeyVault
{
    /// <summary>Seed 004 scenario 2 against the local fabric, driven through the real Key Vault client.</summary>
    public sealed class KeyVaultRecoveryTests : IAsyncLifetime
    {
        private const string ClientSecretValue = "client-secret-value-Q7x9!";
        private const string StorageValue = "DefaultEndpointsProtocol=https;AccountKey=storage-key-Zz81==";
        private const string NewValue = "brand-new-value-4471-kk";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RecordingHost _host = new RecordingHost();

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => o.Timings.SecretRecoveryMs = 400);
            _fabric.Server.Control(s =>
            {
                KeyVaultProvider.SeedVault(s, "kv1", "westus");
                KeyVaultProvider.SeedSecret(s, "kv1", "AzureAdClientSecret", ClientSecretValue);
                KeyVaultProvider.SeedSecret(s, "kv1", "StorageConnectionString", StorageValue);
                KeyVaultProvider.SeedSecret(s, "kv1", "SqlConnectionString", "Server=tcp:sql1;Password=sql-pass-value-901");
                WebProvider.SeedSite(s, FabricFixture.Subscription, "rg-app", "portal", "westus", new[]
                {
                    new KeyValuePair<string, string>("AzureAd__ClientSecret", "@Microsoft.KeyVault(VaultName=kv1;SecretName=AzureAdClientSecret)"),
                });
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private SecretClient Client() => _fabric.SecretClient("kv1");

        private async Task DeleteAsync(string name, bool purge = false)
        {
            var client = Client();
            var op = await client.StartDeleteSecretAsync(name);
            await op.WaitForCompletionAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None);
            if (purge) await client.PurgeDeletedSecretAsync(name);
        }

        private SecretRecoveryRequest Request(params string[] names) => new SecretRecoveryRequest
        {
            VaultUri = _fabric.Environment.VaultUri("kv1"),
            Names = names,
            Patterns = PowerShellWildcards.Instance,
            PollInterval = TimeSpan.FromMilliseconds(50),
            Timeout = TimeSpan.FromSeconds(30),
        };

        private WebAppTarget Portal(TimeSpan? timeout = null) => new WebAppTarget
        {
            SubscriptionId = FabricFixture.Subscription,
            ResourceGroupName = "rg-app",
            Name = "portal",
            HealthPollInterval = TimeSpan.FromMilliseconds(50),
            HealthTimeout = timeout ?? TimeSpan.FromSeconds(30),
        };

        private async Task<RunReport> RunAsync(SecretRecoveryRequest request, WebAppTarget? app = null, IDrHost? host = null, bool whatIf = false, SecretRedactor? redactor = null)
        {
            request.App = app;
            var context = new RunContext(host ?? _host, new RunOptions { WhatIf = whatIf, Redactor = redactor ?? new SecretRedactor() }, _fabric.Environment);
            return Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new KeyVaultRecoveryRunbook(), request, context));
        }

        private static IReadOnlyList<SecretRecoveryResult> Results(RunReport report) => Outcomes.Of<SecretRecoveryResult>(report);

        private int Recovers() => _fabric.Server.Log.CountSucceeded("POST", "/recover");

        [Fact]
        public async Task A_soft_deleted_secret_is_recovered_once_and_is_readable_when_the_run_ends()
        {
            await DeleteAsync("AzureAdClientSecret");

            var report = await RunAsync(Request("AzureAdClientSecret"));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            var result = Results(report).Single();
            Assert.Equal(SecretRecoveryAction.Recovered, result.Action);
            Assert.NotNull(result.DeletedOn);
            Assert.NotNull(result.ScheduledPurgeDate);
            Assert.Equal(1, Recovers());
            // Usable, not accepted: the secret answers right after the run.
            Assert.Equal(ClientSecretValue, (await Client().GetSecretAsync("AzureAdClientSecret")).Value.Value);
            Assert.Contains("recovery of deleted secret 'AzureAdClientSecret' started", report.Steps.Single().Changes);

            var before = _fabric.Server.Log.Entries.Count;
            var again = await RunAsync(Request("AzureAdClientSecret"));
            Assert.Equal(SecretRecoveryAction.AlreadyActive, Results(again).Single().Action);
            Assert.Equal(StepOutcome.AlreadyDone, again.Steps.Single().Outcome);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count);
        }

        [Fact]
        public async Task A_recovery_already_in_progress_is_waited_for_not_repeated()
        {
            await DeleteAsync("StorageConnectionString");
            await Client().StartRecoverDeletedSecretAsync("StorageConnectionString");

            var report = await RunAsync(Request("StorageConnectionString"));

            Assert.True(report.Status == RunStatus.Succeeded, report.Steps.Single().Error);
            Assert.Equal(1, Recovers());
            Assert.Equal(StorageValue, (await Client().GetSecretAsync("StorageConnectionString")).Value.Value);
        }

        [Fact]
        public async Task A_purged_secret_without_a_value_is_refused_before_the_run_starts_and_nothing_changes()
        {
            await DeleteAsync("StorageConnectionString");
            await DeleteAsync("AzureAdClientSecret", purge: true);
            var before = _fabric.Server.Log.Entries.Count;

            // The purged secret is named last: the first one must not be recovered either.
            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request("StorageConnectionString", "AzureAdClientSecret")));

            Assert.Equal("SecretNotFound", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal(DrErrorCategory.ObjectNotFound, ex.Category);
            Assert.Equal("AzureAdClientSecret", ex.Target);
            Assert.Contains("app registration", ex.Message);
            Assert.Empty(_fabric.Server.Log.Entries.Skip(before));
            Assert.Empty(new RunStore(_state.Path).List());
        }

        [Fact]
        public async Task A_purged_secret_is_restored_from_a_backup_file()
        {
            var blob = (await Client().BackupSecretAsync("StorageConnectionString")).Value;
            var file = _state.Combine("storage.secret.backup");
            File.WriteAllBytes(file, blob);
            await DeleteAsync("StorageConnectionString", purge: true);
            var request = Request("StorageConnectionString");
            request.BackupFile = file;

            var report = await RunAsync(request);

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(SecretRecoveryAction.Restored, Results(report).Single().Action);
            Assert.Equal(StorageValue, (await Client().GetSecretAsync("StorageConnectionString")).Value.Value);
        }

        [Fact]
        public async Task A_purged_secret_is_recreated_from_a_new_value_that_never_appears_anywhere()
        {
            await DeleteAsync("AzureAdClientSecret", purge: true);
            var request = Request("AzureAdClientSecret");
            request.NewValue = Secure(NewValue);

            var report = await RunAsync(request);

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(SecretRecoveryAction.Recreated, Results(report).Single().Action);
            Assert.Equal(NewValue, (await Client().GetSecretAsync("AzureAdClientSecret")).Value.Value);
            AssertNoSecretLeaked(report);
        }

        [Fact]
        public async Task In_a_mixed_batch_one_failure_does_not_stop_the_others()
        {
            await DeleteAsync("AzureAdClientSecret");
            await DeleteAsync("StorageConnectionString");
            await DeleteAsync("SqlConnectionString");
            // The caller may not recover this one secret: the vault refuses it, the others go on.
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/deletedsecrets/AzureAdClientSecret/recover", Kind = FaultKind.Forbidden, Count = -1 });

            var report = await RunAsync(Request("*Connection*", "AzureAdClientSecret"));

            Assert.Equal(RunStatus.Failed, report.Status);
            var results = Results(report).ToDictionary(r => r.Name);
            Assert.Equal(3, results.Count);
            Assert.Equal(SecretRecoveryAction.Failed, results["AzureAdClientSecret"].Action);
            Assert.Equal(DrErrorCategory.PermissionDenied, report.Steps.Single(s => s.StepId == "secret:AzureAdClientSecret").ErrorCategory);
            Assert.Equal(SecretRecoveryAction.Recovered, results["StorageConnectionString"].Action);
            Assert.Equal(SecretRecoveryAction.Recovered, results["SqlConnectionString"].Action);
            Assert.Equal(2, Recovers());
        }

        [Fact]
        public async Task Throttling_errors_and_resets_on_every_call_are_ridden_out()
        {
            await DeleteAsync("SqlConnectionString");
            foreach (var kind in new[] { FaultKind.Throttle, FaultKind.Unavailable, FaultKind.InternalError, FaultKind.ConnectionReset })
            {
                _fabric.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "/(deleted)?secrets", Kind = kind, Count = 1, RetryAfterSeconds = 0 });
                _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/recover", Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            }

            var report = await RunAsync(Request("SqlConnectionString"));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(1, Recovers());
            // Every fault on the recover call was answered; only the last attempt reached the vault.
            Assert.Equal(4, _fabric.Server.Log.Entries.Count(e => e.Path.EndsWith("/recover") && e.Fault != null));
        }

        [Fact]
        public async Task WhatIf_says_what_would_be_recovered_with_its_dates_and_changes_nothing()
        {
            await DeleteAsync("AzureAdClientSecret");
            await DeleteAsync("StorageConnectionString");
            var before = _fabric.Server.Log.Entries.Count;
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Request("*"), Portal(), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count);
            Assert.Null(report.JournalPath);
            var results = Results(report);
            Assert.Equal(new[] { "AzureAdClientSecret", "SqlConnectionString", "StorageConnectionString" }, results.Select(r => r.Name).OrderBy(n => n));
            Assert.Equal(SecretRecoveryAction.Skipped, results.Single(r => r.Name == "AzureAdClientSecret").Action);
            Assert.NotNull(results.Single(r => r.Name == "AzureAdClientSecret").ScheduledPurgeDate);
            Assert.Equal(SecretRecoveryAction.AlreadyActive, results.Single(r => r.Name == "SqlConnectionString").Action);
            Assert.Contains(host.Questions, q => q.StartsWith("kv1/AzureAdClientSecret: Recover deleted secret 'AzureAdClientSecret' (deleted "));
            Assert.Contains(host.Questions, q => q.StartsWith("portal: Restart the app"));
        }

        [Fact]
        public async Task The_app_is_restarted_after_the_secrets_and_the_run_ends_when_it_answers_healthy()
        {
            await DeleteAsync("AzureAdClientSecret");
            _fabric.Server.Control(s => WebProvider.SeedSite(s, FabricFixture.Subscription, "rg-app", "portal", "westus"));
            var unhealthy = await Probe("portal");
            Assert.Equal(503, unhealthy.Status);
            Assert.Contains("Key Vault reference failed", unhealthy.Body);

            var report = await RunAsync(Request("AzureAdClientSecret"), Portal());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("POST", "/restart"));
            Assert.Equal(200, (await Probe("portal")).Status);
            var restart = report.Steps.Single(s => s.StepId == "restart:portal");
            Assert.True(restart.StartedAt >= report.Steps.Single(s => s.StepId == "secret:AzureAdClientSecret").EndedAt);
            Assert.True(restart.Published<WebAppRestartOutcome>()!.TimeToHealthy > TimeSpan.Zero);
            Assert.NotNull(report.TimeToRecovery);
        }

        [Fact]
        public async Task An_app_that_stays_unhealthy_fails_with_its_url_and_last_status()
        {
            _fabric.Server.Control(s => WebProvider.SeedSite(s, FabricFixture.Subscription, "rg-app", "portal", "westus", new[]
            {
                new KeyValuePair<string, string>("Missing", "@Microsoft.KeyVault(VaultName=kv1;SecretName=NeverThere)"),
            }));

            var report = await RunAsync(Request("SqlConnectionString"), Portal(TimeSpan.FromSeconds(1)));

            Assert.Equal(RunStatus.Failed, report.Status);
            var restart = report.Steps.Single(s => s.StepId == "restart:portal");
            Assert.Equal("WebAppNotHealthy", restart.ErrorId);
            Assert.Contains("https://portal.web.fabric.test/", restart.Error);
            Assert.Contains("503", restart.Error);
        }

        [Fact]
        public async Task A_failed_run_resumes_with_the_missing_value_and_skips_what_it_already_did()
        {
            await DeleteAsync("AzureAdClientSecret", purge: true);
            // The vault refuses to take the new value for a while: the run fails after the pre-flight passed.
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/secrets/AzureAdClientSecret$", Kind = FaultKind.Forbidden, Count = -1 });
            var request = Request("AzureAdClientSecret");
            request.NewValue = Secure(NewValue);
            var first = await RunAsync(request);
            Assert.Equal(RunStatus.Failed, first.Status);
            _fabric.Server.Faults.Clear();

            var store = new RunStore(_state.Path);
            var redactor = new SecretRedactor();
            var context = new RunContext(_host, new RunOptions { Redactor = redactor }, _fabric.Environment);
            const string Command = "Invoke-KeyVaultSecretRecovery";
            // The value is never journaled, so a resume without it is refused before anything runs.
            var missing = await Assert.ThrowsAsync<DrException>(() => new RunbookRunner(store).ResumeAsync(first.RunId, Command, new Dictionary<string, object?>(), context));
            Assert.Equal("ResumeNeedsSecret", missing.ErrorId);
            Assert.Equal("NewValue", missing.Target);
            var resumed = Outcomes.Keep(await new RunbookRunner(store).ResumeAsync(first.RunId, Command, new Dictionary<string, object?> { ["NewValue"] = Secure(NewValue) }, context));

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(SecretRecoveryAction.Recreated, Results(resumed).Single().Action);
            Assert.Equal(NewValue, (await Client().GetSecretAsync("AzureAdClientSecret")).Value.Value);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/secrets/AzureAdClientSecret"));
            AssertNoSecretLeaked(resumed);
        }

        [Fact]
        public async Task Nothing_matching_and_bad_input_are_refused_before_any_call()
        {
            var none = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request("Nope*")));
            Assert.Equal("NoMatchingSecret", none.ErrorId);
            var bad = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request("bad_name")));
            Assert.Equal("InvalidSecretName", bad.ErrorId);
            var two = Request("a", "b");
            two.NewValue = Secure("x-value-1");
            Assert.Equal("ValueNeedsOneSecret", (await Assert.ThrowsAsync<DrException>(() => RunAsync(two))).ErrorId);
            Assert.DoesNotContain(_fabric.Server.Log.Entries, e => e.Path.Contains("/secrets/"));
        }

        private async Task<(int Status, string Body)> Probe(string site)
        {
            using var http = new System.Net.Http.HttpClient(_fabric.Server.CreateClientHandler());
            using var r = await http.GetAsync("https://" + _fabric.Server.SiteHostName(site) + "/");
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        /// <summary>Greps everything the run produced (journal, reports, host messages) for the secret values.</summary>
        private void AssertNoSecretLeaked(RunReport report)
        {
            var produced = string.Join("\n", new[]
            {
                report.JournalPath != null ? File.ReadAllText(report.JournalPath) : "",
                ReportExporter.ToJson(report),
                ReportExporter.ToMarkdown(report),
                string.Join("\n", _host.AllText()),
                string.Join("\n", Results(report).Select(r => r.Plan + r.Error)),
            });
            foreach (var value in new[] { NewValue, ClientSecretValue, StorageValue, FabricFixture.Token })
                Assert.DoesNotContain(value, produced);
        }
    }
}
