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
using AppServiceDr.Engine.Storage;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Storage
{
    /// <summary>Seed 004 scenario 4 against the local fabric: the app reads its storage connection string from
    /// Key Vault; the failed account is either failed over to its secondary region or replaced by a new account
    /// whose connection string goes into the vault, and the app is restarted until it answers healthy.</summary>
    public sealed class StorageRecoveryTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Secret = "StorageConnectionString";
        private static readonly string Account = AccountId("stapp");
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RecordingHost _host = new RecordingHost();
        private DateTimeOffset _lastSync;
        private string _oldConnection = "";

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.OperationMs = 300; o.Timings.SiteWarmupMs = 200; });
            var now = DateTimeOffset.UtcNow;
            _lastSync = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddMinutes(-7);
            _fabric.Server.Control(s =>
            {
                var account = StorageProvider.SeedAccount(s, Sub, "rg-data", "stapp", "westus", "Standard_GRS", _lastSync);
                _oldConnection = Connection("stapp", account.Get<string[]>("keys")![0]);
                KeyVaultProvider.SeedVault(s, "kv1", "eastus2");
                KeyVaultProvider.SeedSecret(s, "kv1", Secret, _oldConnection);
                WebProvider.SeedSite(s, Sub, "rg-app", "portal", "eastus2", new[]
                {
                    new KeyValuePair<string, string>("ConnectionStrings__Storage", $"@Microsoft.KeyVault(VaultName=kv1;SecretName={Secret})"),
                });
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private static string AccountId(string name) => $"/subscriptions/{Sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/{name}";

        private string Connection(string account, string key) =>
            $"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};EndpointSuffix=storage.{_fabric.Server.DnsSuffix}";

        private StorageRecoveryRequest Failover(bool planned = false, string? target = null, bool restart = true) => new StorageRecoveryRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-data", StorageAccountName = "stapp",
            PlannedFailover = planned, TargetLocation = target,
            RestartApp = restart ? Portal() : null,
            Timeout = TimeSpan.FromSeconds(60),
        };

        private StorageRecoveryRequest NewAccount(string? location = "eastus2", string name = "stappnew", string sku = "Standard_GRS") => new StorageRecoveryRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-data", StorageAccountName = "stapp",
            NewStorageAccountName = name, Location = location, SkuName = sku,
            VaultUri = _fabric.Environment.VaultUri("kv1"),
            RestartApp = Portal(),
            Timeout = TimeSpan.FromSeconds(60),
        };

        private static WebAppTarget Portal() => new WebAppTarget
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-app", Name = "portal",
            HealthTimeout = TimeSpan.FromSeconds(60), HealthPollInterval = TimeSpan.FromMilliseconds(50),
        };

        private async Task<RunReport> RunAsync(StorageRecoveryRequest request, IDrHost? host = null, bool whatIf = false, SecretRedactor? redactor = null)
        {
            redactor ??= new SecretRedactor();
            var context = new RunContext(host ?? _host, new RunOptions { WhatIf = whatIf, Redactor = redactor }, _fabric.Environment);
            return Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new StorageRecoveryRunbook(), request, context));
        }

        private async Task<RunReport> ResumeAsync(string runId, IDrHost? host = null)
        {
            var store = new RunStore(_state.Path);
            return await Outcomes.ResumeAsync(store, store.Get(runId), new RunContext(host ?? _host, new RunOptions(), _fabric.Environment));
        }

        /// <summary>Where the account's data is primary now (properties.primaryLocation, which a failover moves) and its sku.</summary>
        private (string Location, string Sku) State(string name = "stapp") => _fabric.Server.Query(s =>
        {
            var a = s.Arm.Find(AccountId(name))!;
            return (StorageProvider.PrimaryRegion(a), a.Sku!["name"]!.GetValue<string>());
        });

        private string[] Keys(string name) => _fabric.Server.Query(s => s.Arm.Find(AccountId(name))!.Get<string[]>("keys")!);

        private int Mutations() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);
        private int Failovers() => _fabric.Server.Log.CountSucceeded("POST", "/storageAccounts/stapp/failover");
        private int Restarts() => _fabric.Server.Log.CountSucceeded("POST", "/sites/portal/restart");
        private int Creates(string name = "stappnew") => _fabric.Server.Log.CountSucceeded("PUT", "/storageAccounts/" + name);
        private int SecretSets() => _fabric.Server.Log.CountSucceeded("PUT", "/secrets/" + Secret);
        private static string Describe(RunReport r) => string.Join("; ", r.Steps.Select(s => $"{s.StepId} {s.Outcome} {s.ErrorId} {s.Error}"));

        private async Task<int> HealthAsync()
        {
            using var http = new System.Net.Http.HttpClient(_fabric.Server.CreateClientHandler());
            using var r = await http.GetAsync("https://" + _fabric.Server.SiteHostName("portal") + "/");
            return (int)r.StatusCode;
        }

        // ---------------------------------------------------------------- failover branch

        [Fact]
        public async Task An_unplanned_failover_in_an_outage_moves_the_account_once_and_reports_the_window_since_the_last_sync()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            Assert.Equal(503, await HealthAsync());
            var request = Failover();
            var report = await RunAsync(request);

            // The pre-flight decided on an unplanned failover, which loses the writes not yet synced.
            Assert.True(StorageRecoveryRunbook.LosesData(request));
            Assert.Equal("Unplanned", request.FailoverType);

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Failovers());
            Assert.Equal(("eastus", "Standard_LRS"), State());          // the former secondary, no longer geo-redundant
            Assert.Equal(1, Restarts());
            Assert.Equal(200, await HealthAsync());
            Assert.Contains(_host.Questions, q => q.StartsWith("continue? Unplanned storage failover", StringComparison.Ordinal) && q.Contains("Standard_LRS"));
            Assert.Contains(_host.Warnings, w => w.Contains("locally redundant"));
            var result = Outcomes.Of<StorageRecoveryResult>(report).Single();
            Assert.Equal(StorageRecoveryAction.FailedOver, result.Action);
            Assert.Equal("stapp", result.StorageAccountName);
            Assert.Equal("eastus", result.PrimaryLocation);
            Assert.Equal(_lastSync, result.LastSyncTime);
            Assert.Equal(report.StartedAt - _lastSync, result.DataLossWindow);
            Assert.Equal(result.DataLossWindow!.Value.TotalSeconds, report.DataLossWindow!.Value.TotalSeconds, 3);
            Assert.Null(result.SecretName);
            Assert.Equal("portal", result.WebAppName);
            Assert.NotNull(result.TimeToHealthy);
            Assert.Null(result.ErrorId);
            Assert.Equal(report.RunId, result.RunId);
            Assert.Equal(new[] { "failover:stapp", "restart:portal" }, report.Steps.Select(s => s.StepId));
        }

        [Fact]
        public async Task An_unplanned_failover_that_is_not_confirmed_changes_nothing()
        {
            var host = new RecordingHost(shouldContinue: (_, _) => false);

            var report = await RunAsync(Failover(), host);

            Assert.Equal(RunStatus.Incomplete, report.Status);
            Assert.Equal(0, Mutations());
            Assert.Equal(("westus", "Standard_GRS"), State());
            Assert.Equal(StorageRecoveryAction.Skipped, Outcomes.Of<StorageRecoveryResult>(report).Single().Action);
        }

        [Fact]
        public async Task A_planned_failover_swaps_the_regions_keeps_geo_redundancy_and_loses_nothing()
        {
            var request = Failover(planned: true);
            var report = await RunAsync(request);
            Assert.False(StorageRecoveryRunbook.LosesData(request));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Failovers());
            Assert.Equal(("eastus", "Standard_GRS"), State());
            Assert.Equal("Planned", report.Steps[0].Published<StorageAccountFailover.StorageFailoverOutcome>()!.FailoverType);
            Assert.DoesNotContain(_host.Questions, q => q.StartsWith("continue?", StringComparison.Ordinal));
            var result = Outcomes.Of<StorageRecoveryResult>(report).Single();
            Assert.Equal(StorageRecoveryAction.FailedOver, result.Action);
            Assert.Equal(TimeSpan.Zero, result.DataLossWindow);
            Assert.Equal(TimeSpan.Zero, report.DataLossWindow);
            Assert.Equal(_lastSync, result.LastSyncTime);

            // Primary where wanted already: nothing is sent, a healthy app is not restarted.
            var before = Mutations();
            var again = await RunAsync(Failover(planned: true, target: "eastus"));

            Assert.True(again.Status == RunStatus.Succeeded, Describe(again));
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, Mutations());
            var repeated = Outcomes.Of<StorageRecoveryResult>(again).Single();
            Assert.Equal(StorageRecoveryAction.AlreadyPrimary, repeated.Action);
            Assert.Equal("eastus", repeated.PrimaryLocation);
            Assert.Equal(_lastSync, repeated.LastSyncTime);          // read and reported even when nothing changes
            Assert.Null(repeated.DataLossWindow);
        }

        [Fact]
        public async Task After_an_unplanned_failover_the_account_keeps_its_location_and_is_primary_in_the_former_secondary()
        {
            var report = await RunAsync(Failover());

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            var account = _fabric.Server.Query(s => s.Arm.Find(Account)!.ToJson());
            Assert.Equal("westus", account["location"]!.GetValue<string>());
            Assert.Equal("eastus", account["properties"]!["primaryLocation"]!.GetValue<string>());
            Assert.Equal("eastus", Outcomes.Of<StorageRecoveryResult>(report).Single().PrimaryLocation);
            Assert.Equal(StepOutcome.Succeeded, report.Steps[1].Outcome);
            Assert.Equal(1, Restarts());
        }

        [Fact]
        public async Task A_repeat_run_with_the_target_region_after_an_unplanned_failover_is_already_done()
        {
            var first = await RunAsync(Failover(target: "eastus"));
            Assert.True(first.Status == RunStatus.Succeeded, Describe(first));
            var before = Mutations();

            var again = await RunAsync(Failover(target: "eastus"));

            Assert.True(again.Status == RunStatus.Succeeded, Describe(again));
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, Mutations());
            Assert.Equal(1, Failovers());
            var result = Outcomes.Of<StorageRecoveryResult>(again).Single();
            Assert.Equal(StorageRecoveryAction.AlreadyPrimary, result.Action);
            Assert.Equal("eastus", result.PrimaryLocation);
        }

        [Fact]
        public async Task A_failover_that_finished_before_its_lost_answer_was_settled_is_not_sent_again()
        {
            // The failover completes at once and its answer is lost: when the step reads the account it finds the
            // failover done, not running. Sending the planned failover again would fail the account back.
            _fabric.Server.Timings.OperationMs = 0;
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/failover$", Kind = FaultKind.ResetAfterProcessing, Count = 1 });

            var report = await RunAsync(Failover(planned: true));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Failovers());
            Assert.Equal(("eastus", "Standard_GRS"), State());
            Assert.Single(report.Steps[0].Changes);
            Assert.Equal(StorageRecoveryAction.FailedOver, Outcomes.Of<StorageRecoveryResult>(report).Single().Action);
        }

        [Fact]
        public async Task An_account_an_earlier_run_failed_over_is_already_primary_and_nothing_is_sent_again()
        {
            var first = await RunAsync(Failover());
            Assert.True(first.Status == RunStatus.Succeeded, Describe(first));
            var before = Mutations();

            var request = Failover();
            var again = await RunAsync(request);
            Assert.False(StorageRecoveryRunbook.LosesData(request));
            Assert.Equal("None", request.FailoverType);

            Assert.True(again.Status == RunStatus.Succeeded, Describe(again));
            Assert.Equal(before, Mutations());
            Assert.Equal(1, Failovers());
            Assert.Equal(1, Restarts());
            var result = Outcomes.Of<StorageRecoveryResult>(again).Single();
            Assert.Equal(StorageRecoveryAction.AlreadyPrimary, result.Action);
            Assert.Equal("eastus", result.PrimaryLocation);
            Assert.Null(result.DataLossWindow);
        }

        [Fact]
        public async Task Accounts_that_cannot_do_the_failover_asked_for_are_refused_before_anything_changes()
        {
            _fabric.Server.Control(s => StorageProvider.SeedAccount(s, Sub, "rg-data", "stlocal", "westus", "Standard_LRS"));
            var local = Failover();
            local.StorageAccountName = "stlocal";

            var notGeo = await Assert.ThrowsAsync<DrException>(() => RunAsync(local));

            Assert.Equal("StorageNotGeoRedundant", notGeo.ErrorId);
            Assert.True(notGeo.IsPrecondition);

            _fabric.Server.Faults.SetRegionOutage("westus", true);
            var planned = await Assert.ThrowsAsync<DrException>(() => RunAsync(Failover(planned: true)));
            Assert.Equal("StoragePlannedFailoverUnavailable", planned.ErrorId);
            Assert.True(planned.IsPrecondition);

            var elsewhere = await Assert.ThrowsAsync<DrException>(() => RunAsync(Failover(target: "centralus")));
            Assert.Equal("StorageTargetNotSecondary", elsewhere.ErrorId);

            Assert.Equal(0, Mutations());
            Assert.Empty(new RunStore(_state.Path).List());
        }

        [Fact]
        public async Task A_run_that_finds_a_failover_in_progress_is_refused_before_anything_changes()
        {
            _fabric.Server.Timings.OperationMs = 600_000;
            using (var http = new System.Net.Http.HttpClient(_fabric.Server.CreateClientHandler()))
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "t");
                var started = await http.PostAsync(new Uri(_fabric.Server.ArmEndpoint, Account + "/failover?api-version=2024-01-01"), null);
                Assert.Equal(202, (int)started.StatusCode);
            }
            var before = Mutations();

            var refused = await Assert.ThrowsAsync<DrException>(() => RunAsync(Failover()));

            Assert.Equal("StorageFailoverInProgress", refused.ErrorId);
            Assert.True(refused.IsPrecondition);
            Assert.Equal(before, Mutations());
            Assert.Equal(1, Failovers());
        }

        [Fact]
        public async Task WhatIf_plans_the_failover_and_the_restart_changes_nothing_and_writes_no_journal()
        {
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Failover(), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Null(report.JournalPath);
            Assert.Empty(new RunStore(_state.Path).List());
            Assert.Equal(0, Mutations());
            Assert.Equal(("westus", "Standard_GRS"), State());
            Assert.Contains(host.Questions, q => q.StartsWith("stapp: Unplanned failover of storage account stapp to eastus", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("portal: Restart", StringComparison.Ordinal));
            var result = Outcomes.Of<StorageRecoveryResult>(report).Single();
            Assert.Equal(StorageRecoveryAction.Skipped, result.Action);
            Assert.Equal(_lastSync, result.LastSyncTime);
        }

        [Fact]
        public async Task Throttling_and_unavailability_during_the_failover_are_ridden_out_with_one_failover()
        {
            var rules = new List<FaultRule>();
            foreach (var (method, path) in new[] { ("POST", "/failover$"), ("GET", "/storageAccounts/stapp$"), ("GET", "/asyncoperations/") })
                foreach (var kind in new[] { FaultKind.Throttle, FaultKind.Unavailable })
                    rules.Add(new FaultRule { Method = method, PathPattern = path, Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            rules.ForEach(_fabric.Server.Faults.Add);

            var report = await RunAsync(Failover());

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.All(rules, r => Assert.Equal(0, r.Count));
            Assert.Equal(1, Failovers());
            Assert.Equal("eastus", State().Location);
        }

        [Theory]
        [InlineData(FaultKind.ResetAfterProcessing)]
        [InlineData(FaultKind.ConnectionReset)]
        public async Task A_failover_whose_answer_is_lost_is_settled_by_reading_the_account_not_sent_twice(FaultKind kind)
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/failover$", Kind = kind, Count = 1 });

            var report = await RunAsync(Failover(planned: true));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(1, Failovers());
            Assert.Equal(("eastus", "Standard_GRS"), State());          // a second planned failover would have swung it back
            Assert.Single(report.Steps[0].Changes);
            Assert.Equal(StorageRecoveryAction.FailedOver, Outcomes.Of<StorageRecoveryResult>(report).Single().Action);
        }

        [Fact]
        public async Task A_run_that_died_after_the_failover_post_is_resumed_without_failing_over_twice()
        {
            // The failover is applied but its answer lost, and every look at the account fails after that:
            // the step ends without knowing whether the failover started.
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/failover$", Kind = FaultKind.ResetAfterProcessing, Count = 1 });
            var host = new RecordingHost(shouldContinue: (_, _) =>
            {
                _fabric.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "/storageAccounts/stapp$", Kind = FaultKind.ConnectionReset, Count = -1 });
                return true;
            });

            var first = await RunAsync(Failover(), host);

            Assert.True(first.Status == RunStatus.Failed, Describe(first));
            Assert.Equal("ResourceManagerUnreachable", first.Steps[0].ErrorId);
            Assert.Equal(StepOutcome.Skipped, first.Steps[1].Outcome);
            Assert.Equal(1, Failovers());
            _fabric.Server.Faults.Clear();

            var resumed = await ResumeAsync(first.RunId);

            Assert.True(resumed.Status == RunStatus.Succeeded, Describe(resumed));
            Assert.Equal(2, resumed.Attempts);
            Assert.Equal(1, Failovers());
            Assert.Equal(("eastus", "Standard_LRS"), State());
            Assert.Equal(1, Restarts());
            var failover = resumed.Steps.Single(s => s.StepId == "failover:stapp");
            Assert.Equal(2, failover.Attempts);
            Assert.Equal(StepOutcome.Succeeded, failover.Outcome);
            Assert.Single(failover.Changes);
            var result = Outcomes.Of<StorageRecoveryResult>(resumed).Single();
            Assert.Equal(StorageRecoveryAction.FailedOver, result.Action);
            Assert.Equal(resumed.StartedAt - _lastSync, result.DataLossWindow);
        }

        // ---------------------------------------------------------------- new-account branch

        [Fact]
        public async Task A_new_account_is_created_once_its_connection_string_goes_into_the_vault_and_the_app_is_healthy_on_it()
        {
            // The failed account is gone: the app, reading its connection string from the vault, fails.
            var oldKeys = Keys("stapp");
            _fabric.Server.Control(s => s.Arm.Remove(Account));
            Assert.Equal(503, await HealthAsync());
            var redactor = new SecretRedactor();
            var request = NewAccount();
            var report = await RunAsync(request, redactor: redactor);
            Assert.False(StorageRecoveryRunbook.LosesData(request));

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.Equal(new[] { "create:stappnew", "secret:" + Secret, "restart:portal" }, report.Steps.Select(s => s.StepId));
            Assert.Equal(1, Creates());
            Assert.Equal(("eastus2", "Standard_GRS"), State("stappnew"));
            var properties = _fabric.Server.Query(s => s.Arm.Find(AccountId("stappnew"))!.ToJson());
            Assert.Equal("StorageV2", properties["kind"]!.GetValue<string>());
            Assert.Equal("TLS1_2", properties["properties"]!["minimumTlsVersion"]!.GetValue<string>());
            Assert.False(properties["properties"]!["allowBlobPublicAccess"]!.GetValue<bool>());
            var keys = Keys("stappnew");
            var stored = (await _fabric.SecretClient("kv1").GetSecretAsync(Secret)).Value.Value;
            Assert.Equal(Connection("stappnew", keys[0]), stored);
            Assert.Equal(1, SecretSets());
            Assert.Equal(1, Restarts());
            Assert.Equal(200, await HealthAsync());
            var result = Outcomes.Of<StorageRecoveryResult>(report).Single();
            Assert.Equal(StorageRecoveryAction.Created, result.Action);
            Assert.Equal("stappnew", result.StorageAccountName);
            Assert.Equal("eastus2", result.PrimaryLocation);
            Assert.Equal(Secret, result.SecretName);
            Assert.Equal("portal", result.WebAppName);
            Assert.NotNull(result.TimeToHealthy);
            Assert.Null(result.LastSyncTime);
            Assert.Null(result.DataLossWindow);
            AssertNoSecretLeaked(report, keys.Concat(oldKeys).Concat(new[] { stored, _oldConnection }));

            // The same run again: the account is there, the secret holds its connection string, the app is healthy.
            var before = _fabric.Server.Log.Entries.Count;
            var again = await RunAsync(NewAccount());

            Assert.True(again.Status == RunStatus.Succeeded, Describe(again));
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, _fabric.Server.Log.Entries.Count);
            Assert.Equal(1, Creates());
            Assert.Equal(1, SecretSets());
            Assert.Equal(1, Restarts());
            Assert.Equal(StorageRecoveryAction.AlreadyPrimary, Outcomes.Of<StorageRecoveryResult>(again).Single().Action);
            AssertNoSecretLeaked(again, keys.Concat(new[] { stored }));
        }

        [Fact]
        public async Task WhatIf_plans_a_new_account_in_the_failed_accounts_region_and_changes_nothing()
        {
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(NewAccount(location: null), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Null(report.JournalPath);
            Assert.Empty(new RunStore(_state.Path).List());
            Assert.Equal(0, Mutations());
            Assert.Null(_fabric.Server.Query(s => s.Arm.Find(AccountId("stappnew"))));
            Assert.Equal(_oldConnection, (await _fabric.SecretClient("kv1").GetSecretAsync(Secret)).Value.Value);
            Assert.Contains(host.Questions, q => q.StartsWith("stappnew: Create storage account stappnew (Standard_GRS", StringComparison.Ordinal) && q.Contains(" in westus,"));
            Assert.Contains(host.Questions, q => q.StartsWith($"kv1/{Secret}: Set secret '{Secret}'", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("portal: Restart", StringComparison.Ordinal));
            Assert.Equal(StorageRecoveryAction.Skipped, Outcomes.Of<StorageRecoveryResult>(report).Single().Action);
            AssertNoSecretLeaked(report, Keys("stapp").Concat(new[] { _oldConnection }), host);
        }

        [Fact]
        public async Task Throttling_and_unavailability_during_create_and_list_keys_are_ridden_out_with_one_change_each()
        {
            var rules = new List<FaultRule>();
            foreach (var (method, path) in new[] { ("PUT", "/storageAccounts/stappnew$"), ("POST", "/listKeys$"), ("GET", "/asyncoperations/") })
                foreach (var kind in new[] { FaultKind.Throttle, FaultKind.Unavailable })
                    rules.Add(new FaultRule { Method = method, PathPattern = path, Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            rules.ForEach(_fabric.Server.Faults.Add);

            var report = await RunAsync(NewAccount());

            Assert.True(report.Status == RunStatus.Succeeded, Describe(report));
            Assert.All(rules, r => Assert.Equal(0, r.Count));
            Assert.Equal(1, Creates());
            Assert.Equal(1, SecretSets());
            Assert.Equal(1, Restarts());
            Assert.Equal(Connection("stappnew", Keys("stappnew")[0]), (await _fabric.SecretClient("kv1").GetSecretAsync(Secret)).Value.Value);
        }

        [Fact]
        public async Task A_new_account_run_stopped_at_the_vault_resumes_without_creating_the_account_again()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/secrets/" + Secret + "$", Kind = FaultKind.InternalError, Count = 20 });

            var first = await RunAsync(NewAccount());

            Assert.True(first.Status == RunStatus.Failed, Describe(first));
            Assert.Equal(StepOutcome.Succeeded, first.Steps[0].Outcome);
            Assert.Equal(StepOutcome.Failed, first.Steps[1].Outcome);
            Assert.Equal(0, Restarts());
            Assert.Equal(StorageRecoveryAction.Failed, Outcomes.Of<StorageRecoveryResult>(first).Single().Action);
            _fabric.Server.Faults.Clear();

            var resumed = await ResumeAsync(first.RunId);

            Assert.True(resumed.Status == RunStatus.Succeeded, Describe(resumed));
            Assert.Equal(1, resumed.Steps[0].Attempts);
            Assert.Equal(1, Creates());
            Assert.Equal(1, SecretSets());
            Assert.Equal(1, Restarts());
            Assert.Equal(200, await HealthAsync());
            Assert.Equal(StorageRecoveryAction.Created, Outcomes.Of<StorageRecoveryResult>(resumed).Single().Action);
            AssertNoSecretLeaked(resumed, Keys("stappnew"));
        }

        [Fact]
        public async Task Bad_new_account_requests_are_refused_before_anything_changes()
        {
            async Task<string> Refused(StorageRecoveryRequest request)
            {
                var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));
                Assert.True(ex.IsPrecondition, ex.ErrorId);
                return ex.ErrorId;
            }
            _fabric.Server.Control(s => StorageProvider.SeedAccount(s, Sub, "rg-data", "sttaken", "westus", "Standard_LRS"));

            Assert.Equal("InvalidStorageAccountName", await Refused(NewAccount(name: "St-App")));
            Assert.Equal("InvalidStorageSku", await Refused(NewAccount(sku: "Standard_XYZ")));
            Assert.Equal("StorageAccountExists", await Refused(NewAccount(name: "sttaken")));
            var noVault = NewAccount();
            noVault.VaultUri = null;
            Assert.Equal("VaultUriRequired", await Refused(noVault));
            var both = NewAccount();
            both.PlannedFailover = true;
            Assert.Equal("StorageRecoveryAmbiguous", await Refused(both));
            _fabric.Server.Control(s => s.Arm.Remove(Account));
            Assert.Equal("StorageLocationUnknown", await Refused(NewAccount(location: null)));

            Assert.Equal(0, Mutations());
            Assert.Empty(new RunStore(_state.Path).List());
        }

        /// <summary>Greps everything the run produced (journal, reports, host messages, results) for the keys
        /// and connection strings.</summary>
        private void AssertNoSecretLeaked(RunReport report, IEnumerable<string> secrets, RecordingHost? host = null)
        {
            var results = Outcomes.Of<StorageRecoveryResult>(report).Select(r => string.Join("|",
                r.StorageAccountName, r.PrimaryLocation, r.SecretName, r.WebAppName, r.ErrorId, r.Error, r.RunId));
            var produced = string.Join("\n", new[]
            {
                report.JournalPath != null ? File.ReadAllText(report.JournalPath) : "",
                ReportExporter.ToJson(report),
                ReportExporter.ToMarkdown(report),
                string.Join("\n", (host ?? _host).AllText()),
                string.Join("\n", results),
            });
            Assert.Contains("stappnew", produced);
            foreach (var secret in secrets.Concat(new[] { FabricFixture.Token })) Assert.DoesNotContain(secret, produced);
        }
    }
}
