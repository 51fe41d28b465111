using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Storage;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Network;
using AppServiceDr.Fabric.Scenarios;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;

namespace AppServiceDr.Engine.Tests.Failover
{
    /// <summary>Seed 004 scenario 3 with the tier 3 setup (failover group, GRS storage, Traffic Manager in
    /// front of an app in each region), failed over against the fabric.</summary>
    public sealed class RegionFailoverTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private static readonly string West = HighAvailabilitySetup.ServerId(Sub, "rg-west", "sql-west");
        private static readonly string East = HighAvailabilitySetup.ServerId(Sub, "rg-east", "sql-east");
        private static readonly string Profile = HighAvailabilitySetup.ProfileId(Sub);
        private static readonly string Account = HighAvailabilitySetup.AccountId(Sub);
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private DateTimeOffset _lastSync;

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.OperationMs = 300; o.Timings.SiteWarmupMs = 200; });
            _lastSync = DateTimeOffset.UtcNow.AddMinutes(-7);
            _fabric.Server.Control(s => HighAvailabilitySetup.Seed(s, Sub, _lastSync));
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private static RegionFailoverRequest Request(bool allowDataLoss = false, bool tryPlanned = false, bool storage = true, bool trafficManager = true) => new RegionFailoverRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-east", ServerName = "sql-east", FailoverGroupName = "apprequest-fog",
            AllowDataLoss = allowDataLoss, TryPlannedBeforeForcedFailover = tryPlanned,
            StorageAccountName = storage ? "stapprequest" : null, StorageAccountResourceGroupName = "rg-west",
            TrafficManagerProfileName = trafficManager ? "apprequest-tm" : null, TrafficManagerResourceGroupName = "rg-global",
            SecondaryApp = new WebAppTarget
            {
                SubscriptionId = Sub, ResourceGroupName = "rg-east", Name = "app-east",
                HealthTimeout = TimeSpan.FromSeconds(60), HealthPollInterval = TimeSpan.FromMilliseconds(50),
            },
            Timeout = TimeSpan.FromSeconds(60),
        };

        private RunbookRunner Runner() => new RunbookRunner(new RunStore(_state.Path));

        private Task<RunReport> ResumeAsync(RunReport earlier) =>
            Outcomes.ResumeAsync(new RunStore(_state.Path), earlier, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment));

        private async Task<RunReport> RunAsync(RegionFailoverRequest request, IDrHost? host = null, bool whatIf = false)
        {
            var context = new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            return Outcomes.Keep(await Runner().RunAsync(new RegionFailoverRunbook(), request, context));
        }

        private string PrimaryServer() => _fabric.Server.Query(s => s.Store<SqlStore>().FailoverGroups.Single().PrimaryServerId);

        /// <summary>Where the account's data is primary now (properties.primaryLocation, which a failover moves) and its sku.</summary>
        private (string Location, string Sku) Storage() => _fabric.Server.Query(s =>
        {
            var a = s.Arm.Find(Account)!;
            return (StorageProvider.PrimaryRegion(a), a.Sku!["name"]!.GetValue<string>());
        });

        private string? ActiveEndpoint() => _fabric.Server.Query(s => TrafficManagerProvider.ActiveEndpoint(s, s.Arm.Find(Profile)!)?["name"]?.GetValue<string>());

        private string FirstPriority() => _fabric.Server.Query(s => s.Arm.Find(Profile)!.Get<List<JsonObject>>("endpoints")!
            .OrderBy(e => e["properties"]!["priority"]!.GetValue<int>()).First()["name"]!.GetValue<string>());

        private int Mutations() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);

        private int Succeeded(string method, string path) => _fabric.Server.Log.CountSucceeded(method, path);

        private static StepReport Step(RunReport report, string id) => report.Steps.Single(s => s.StepId == id);

        [Fact]
        public async Task Planned_failover_moves_every_tier_and_a_second_run_changes_nothing()
        {
            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(East, PrimaryServer());
            Assert.Equal(("eastus", "Standard_GRS"), Storage());          // planned: regions swap, redundancy stays
            Assert.Equal("secondary", ActiveEndpoint());
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(0, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            Assert.Equal(1, Succeeded("POST", "/storageAccounts/stapprequest/failover"));
            Assert.Equal(1, Succeeded("PATCH", "/trafficManagerProfiles/"));
            Assert.Equal(1, Succeeded("POST", "/sites/app-east/restart"));
            Assert.Equal("Planned", Step(report, "storage-failover").Published<StorageAccountFailover.StorageFailoverOutcome>()!.FailoverType);
            // Planned failovers of both tiers synchronise the secondary first: nothing is lost.
            Assert.Equal(TimeSpan.Zero, report.DataLossWindow);
            // SQL and storage do not depend on each other: they ran at the same time.
            var sql = Step(report, "sql-failover");
            var storage = Step(report, "storage-failover");
            Assert.True(sql.StartedAt < storage.EndedAt && storage.StartedAt < sql.EndedAt);
            Assert.Equal(new[] { "restart:app-east" }, Step(report, "traffic-manager").DependsOn);

            var before = Mutations();
            var again = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, again.Status);
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, Mutations());
        }

        [Fact]
        public async Task A_planned_failover_with_the_primary_region_down_fails_clearly_and_changes_nothing_after_it()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);

            var report = await RunAsync(Request(storage: false));

            Assert.Equal(RunStatus.Failed, report.Status);
            var sql = Step(report, "sql-failover");
            Assert.Equal("PlannedFailoverTimedOut", sql.ErrorId);
            Assert.Contains("-AllowDataLoss", sql.Error);
            Assert.Equal(StepOutcome.Skipped, Step(report, "restart:app-east").Outcome);
            Assert.Equal(StepOutcome.Skipped, Step(report, "traffic-manager").Outcome);
            Assert.Equal(West, PrimaryServer());
            Assert.Equal("primary", FirstPriority());
            Assert.Equal(0, Succeeded("PATCH", "/trafficManagerProfiles/"));
        }

        [Fact]
        public async Task A_forced_failover_that_is_not_confirmed_changes_nothing()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            var host = new RecordingHost(shouldContinue: (_, _) => false);

            var report = await RunAsync(Request(allowDataLoss: true), host);

            Assert.Equal(RunStatus.Incomplete, report.Status);
            Assert.Equal(StepOutcome.Skipped, Step(report, "sql-failover").Outcome);
            Assert.Equal(StepOutcome.Skipped, Step(report, "storage-failover").Outcome);
            Assert.Equal(0, Mutations());
            Assert.Equal(West, PrimaryServer());
            Assert.Equal(("westus", "Standard_GRS"), Storage());
            Assert.Contains(host.Questions, q => q.StartsWith("continue? Forced failover with data loss", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("continue? Unplanned storage failover", StringComparison.Ordinal) && q.Contains("Standard_LRS"));
        }

        [Fact]
        public async Task A_confirmed_forced_failover_in_an_outage_reports_the_storage_sync_window_and_the_loss_of_geo_redundancy()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            var host = new RecordingHost();

            var report = await RunAsync(Request(allowDataLoss: true), host);

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(East, PrimaryServer());
            Assert.Equal(1, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            Assert.Equal(0, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(("eastus", "Standard_LRS"), Storage());          // unplanned: geo-redundancy is gone
            Assert.Equal("Unplanned", Step(report, "storage-failover").Published<StorageAccountFailover.StorageFailoverOutcome>()!.FailoverType);
            Assert.Contains("locally redundant", Step(report, "storage-failover").Note);
            Assert.Contains(host.Warnings, w => w.Contains("locally redundant"));
            Assert.Contains(host.Warnings, w => w.Contains("forced over"));
            Assert.InRange(report.DataLossWindow!.Value, TimeSpan.FromMinutes(7), TimeSpan.FromMinutes(9));
            Assert.Contains(global::AppServiceDr.Engine.Azure.ArmText.Iso(_lastSync), report.DataLossNote);
            Assert.Equal("secondary", ActiveEndpoint());
        }

        [Fact]
        public async Task Try_planned_first_forces_only_after_the_planned_failover_fails()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);

            var report = await RunAsync(Request(allowDataLoss: true, tryPlanned: true, storage: false));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal("Forced", Outcomes.Of<RegionFailoverResult>(report).Single().SqlMode);
            var posts = _fabric.Server.Log.Entries.Where(e => e.Method == "POST" && e.Path.Contains("/failoverGroups/")).Select(e => e.Path.Substring(e.Path.LastIndexOf('/') + 1)).ToList();
            Assert.Equal(new[] { "failover", "forceFailoverAllowDataLoss" }, posts);
            Assert.Equal(East, PrimaryServer());
        }

        [Fact]
        public async Task A_resumed_run_follows_the_planned_failover_it_started_and_forces_only_once_that_failed()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            _fabric.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "/locations/eastus/operationStatuses/", Kind = FaultKind.Unavailable, Count = 20, RetryAfterSeconds = 0 });

            var failed = await RunAsync(Request(allowDataLoss: true, tryPlanned: true, storage: false));

            Assert.Equal(RunStatus.Failed, failed.Status);
            Assert.Equal(StepOutcome.Failed, Step(failed, "sql-failover").Outcome);
            Assert.Equal(0, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            _fabric.Server.Faults.Clear();
            _fabric.Server.Faults.SetRegionOutage("westus", true);

            var store = new RunStore(_state.Path);
            var resumed = await ResumeAsync(failed);

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal("Forced", Outcomes.Of<RegionFailoverResult>(resumed).Single().SqlMode);
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(1, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            Assert.Equal(East, PrimaryServer());
        }

        [Fact]
        public async Task Try_planned_first_with_both_regions_up_never_forces()
        {
            var report = await RunAsync(Request(allowDataLoss: true, tryPlanned: true, storage: false), new RecordingHost(shouldContinue: (_, _) => false));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal("Planned", Outcomes.Of<RegionFailoverResult>(report).Single().SqlMode);
            Assert.Equal(0, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            Assert.Equal(TimeSpan.Zero, Step(report, "sql-failover").DataLossWindow);
        }

        [Fact]
        public async Task Every_preflight_problem_is_reported_together_before_anything_changes()
        {
            var request = Request();
            request.FailoverGroupName = "no-such-fog";
            request.StorageAccountName = "nosuchaccount";
            request.TrafficManagerProfileName = "no-such-tm";

            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));

            Assert.True(ex.IsPrecondition);
            Assert.Equal("RegionFailoverPreflightFailed", ex.ErrorId);
            Assert.Contains("FailoverGroupNotFound", ex.Message);
            Assert.Contains("StorageAccountNotFound", ex.Message);
            Assert.Contains("TrafficManagerProfileNotFound", ex.Message);
            Assert.Equal(0, Mutations());
            Assert.Empty(new RunStore(_state.Path).List());
        }

        [Fact]
        public async Task A_traffic_manager_endpoint_that_cannot_be_found_is_a_precondition_failure()
        {
            var request = Request();
            request.TrafficManagerEndpointName = "tertiary";

            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));

            Assert.Equal("TrafficManagerEndpointNotFound", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal(0, Mutations());
        }

        [Fact]
        public async Task WhatIf_plans_every_step_and_changes_nothing()
        {
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Request(), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(0, Mutations());
            Assert.Equal(West, PrimaryServer());
            Assert.Contains(host.Questions, q => q.StartsWith("apprequest-fog:", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("stapprequest: Planned failover", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("app-east:", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("apprequest-tm:", StringComparison.Ordinal));
        }

        [Fact]
        public async Task Throttling_server_errors_and_resets_on_the_calls_are_ridden_out()
        {
            var rules = new List<FaultRule>();
            foreach (var (method, path) in new[] { ("GET", "failoverGroups"), ("POST", "/failover$"), ("GET", "operation"), ("GET", "storageAccounts"), ("POST", "/restart"), ("PATCH", "trafficManagerProfiles"), ("GET", "trafficManagerProfiles") })
                foreach (var kind in new[] { FaultKind.Throttle, FaultKind.InternalError, FaultKind.ConnectionReset })
                    rules.Add(new FaultRule { Method = method, PathPattern = path, Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            rules.ForEach(_fabric.Server.Faults.Add);

            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.All(rules, r => Assert.Equal(0, r.Count));
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(1, Succeeded("POST", "/storageAccounts/stapprequest/failover"));
            Assert.Equal(1, Succeeded("PATCH", "/trafficManagerProfiles/"));
            Assert.Equal("secondary", ActiveEndpoint());
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public async Task A_sql_failover_whose_answer_is_lost_is_settled_by_the_group_not_sent_blindly_again(bool finishedAtOnce)
        {
            // The failover lands and its answer is lost. Sent again, it meets a group that is busy failing over
            // (409 FailoverGroupBusy) or one whose secondary is primary already (400 on the primary).
            _fabric.Server.Timings.OperationMs = finishedAtOnce ? 0 : 300;
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/failoverGroups/apprequest-fog/failover$", Kind = FaultKind.ResetAfterProcessing, Count = 1 });

            var report = await RunAsync(Request(storage: false, trafficManager: false));

            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", report.Steps.Select(s => $"{s.StepId} {s.Outcome} {s.ErrorId} {s.Error}")));
            Assert.Equal(East, PrimaryServer());
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(0, Succeeded("POST", "/forceFailoverAllowDataLoss"));
            Assert.Single(Step(report, "sql-failover").Changes);
            Assert.Equal("Planned", Outcomes.Of<RegionFailoverResult>(report).Single().SqlMode);
        }

        [Fact]
        public async Task A_step_failed_by_persistent_faults_resumes_from_the_journal_and_applies_each_change_once()
        {
            // More failures than the client retries: polling the SQL operation and the Traffic Manager update both give up.
            FaultRule PatchFails() => new FaultRule { Method = "PATCH", PathPattern = "trafficManagerProfiles", Kind = FaultKind.InternalError, Count = 20 };
            _fabric.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "/locations/eastus/operation", Kind = FaultKind.Unavailable, Count = 20, RetryAfterSeconds = 0 });
            _fabric.Server.Faults.Add(PatchFails());

            var failed = await RunAsync(Request());

            Assert.Equal(RunStatus.Failed, failed.Status);
            Assert.Equal(StepOutcome.Failed, Step(failed, "sql-failover").Outcome);
            Assert.Equal(StepOutcome.Skipped, Step(failed, "traffic-manager").Outcome);
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            _fabric.Server.Faults.Clear();
            _fabric.Server.Faults.Add(PatchFails());

            var store = new RunStore(_state.Path);
            var halfway = await ResumeAsync(failed);

            Assert.Equal(RunStatus.Failed, halfway.Status);
            Assert.Equal(StepOutcome.Succeeded, Step(halfway, "sql-failover").Outcome);
            Assert.Equal("traffic-manager", halfway.Steps.Single(s => s.Outcome == StepOutcome.Failed).StepId);
            _fabric.Server.Faults.Clear();

            var done = await ResumeAsync(failed);

            Assert.Equal(RunStatus.Succeeded, done.Status);
            Assert.Equal(3, done.Attempts);
            Assert.Equal(1, Succeeded("POST", "/failoverGroups/apprequest-fog/failover"));
            Assert.Equal(1, Succeeded("POST", "/storageAccounts/stapprequest/failover"));
            Assert.Equal(1, Succeeded("POST", "/sites/app-east/restart"));
            Assert.Equal(1, Succeeded("PATCH", "/trafficManagerProfiles/"));
            Assert.Equal(East, PrimaryServer());
            Assert.Equal("secondary", ActiveEndpoint());
        }
    }
}
