using AppServiceDr.Testing;
using System;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Setup;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Network;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Setup
{
    /// <summary>Seed 004's tier 3 setup against the fabric: each setup runbook brings its resources to the
    /// configuration asked for, a second run changes nothing, and bad targets are refused before any change.</summary>
    public sealed class SetupTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RecordingHost _host = new RecordingHost();

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o =>
            {
                o.Timings.OperationMs = 200;
                o.Timings.DatabaseOnlineMs = 300;
                o.Timings.TrafficManagerProbeMs = 200;
            });
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west2", "westus");
                SqlProvider.SeedServer(s, Sub, "rg-east", "sql-east", "eastus");
                var west = Arm.ProviderId(Sub, "rg-west", "Microsoft.Sql", "servers/sql-west");
                SqlProvider.SeedDatabase(s, west, "AppRequestPortal");
                StorageProvider.SeedAccount(s, Sub, "rg-west", "stapp", "westus", "Standard_GRS");
                WebProvider.SeedSite(s, Sub, "rg-west", "app-west", "westus");
                WebProvider.SeedSite(s, Sub, "rg-east", "app-east", "eastus");
                Fabric.Resources.ResourceGroupsProvider.Seed(s, Sub, "rg-global", "eastus");
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private async Task<RunOutcome> RunAsync<TRequest, TResult>(Runbook<TRequest, TResult> runbook, TRequest request, bool whatIf = false)
            where TRequest : class where TResult : class
        {
            var context = new RunContext(whatIf ? RecordingHost.WhatIf() : _host, new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            var outcome = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(runbook, request, context);
            Outcomes.Keep(outcome);
            return outcome;
        }

        private int Mutations() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);
        private static string Describe(RunReport r) => string.Join("; ", r.Steps.Select(s => $"{s.StepId} {s.Outcome} {s.ErrorId} {s.Error}"));

        // ---------------------------------------------------------------- SQL

        private static SqlFailoverGroupSetupRequest Group(string partner = "sql-east", string partnerGroup = "rg-east") => new SqlFailoverGroupSetupRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseNames = new[] { "AppRequestPortal" },
            PartnerServerName = partner, PartnerResourceGroupName = partnerGroup, FailoverGroupName = "apprequest-fog",
            Timeout = TimeSpan.FromSeconds(60),
        };

        [Fact]
        public async Task The_failover_group_setup_makes_the_replica_and_the_group_once_and_reports_the_listener()
        {
            var first = await RunAsync(new SqlFailoverGroupSetupRunbook(), Group());
            Assert.True(first.Report.Status == RunStatus.Succeeded, Describe(first.Report));
            var result = first.Results.Cast<SqlFailoverGroupSetupResult>().Single();
            Assert.Equal(SetupAction.Created, result.Action);
            Assert.Equal(new[] { "sql-east/AppRequestPortal" }, result.ReplicasCreated);
            Assert.Equal("apprequest-fog.database.windows.net", result.ListenerHostName);
            Assert.Equal("Server=tcp:apprequest-fog.database.windows.net,1433;Initial Catalog=AppRequestPortal;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;",
                result.ListenerConnectionString);
            Assert.Equal(TimeSpan.FromHours(1), result.GracePeriod);
            Assert.Equal("eastus", result.PartnerLocation);
            var group = _fabric.Server.Query(s => s.Store<SqlStore>().FailoverGroups.Single());
            Assert.Equal("Automatic", group.ReadWriteEndpoint["failoverPolicy"]!.GetValue<string>());
            Assert.Equal(60, group.ReadWriteEndpoint["failoverWithDataLossGracePeriodMinutes"]!.GetValue<int>());
            Assert.Equal(new[] { "AppRequestPortal" }, group.Databases);
            Assert.Equal(1, _fabric.Mutations("/servers/sql-east/databases/AppRequestPortal"));

            // A second run finds everything as asked: nothing is sent, and it says so.
            var before = Mutations();
            var second = await RunAsync(new SqlFailoverGroupSetupRunbook(), Group());
            Assert.True(second.Report.Status == RunStatus.Succeeded, Describe(second.Report));
            Assert.All(second.Report.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, Mutations());
            var again = second.Results.Cast<SqlFailoverGroupSetupResult>().Single();
            Assert.Equal(SetupAction.AlreadyConfigured, again.Action);
            Assert.Empty(again.ReplicasCreated);
            Assert.Equal(result.ListenerConnectionString, again.ListenerConnectionString);
        }

        [Fact]
        public async Task A_changed_grace_period_updates_the_group_in_place()
        {
            await RunAsync(new SqlFailoverGroupSetupRunbook(), Group());
            var longer = Group();
            longer.GracePeriod = TimeSpan.FromHours(8);
            var run = await RunAsync(new SqlFailoverGroupSetupRunbook(), longer);
            Assert.Equal(SetupAction.Updated, run.Results.Cast<SqlFailoverGroupSetupResult>().Single().Action);
            Assert.Equal(480, _fabric.Server.Query(s => s.Store<SqlStore>().FailoverGroups.Single().ReadWriteEndpoint["failoverWithDataLossGracePeriodMinutes"]!.GetValue<int>()));
            Assert.Single(_fabric.Server.Query(s => s.Store<SqlStore>().FailoverGroups.ToList()));
        }

        [Theory]
        [InlineData("sql-west2", "rg-west", "PartnerInSameRegion")]
        [InlineData("sql-nowhere", "rg-east", "PartnerServerNotFound")]
        public async Task A_partner_in_the_same_region_or_missing_is_refused_before_any_change(string partner, string group, string errorId)
        {
            var failure = await Assert.ThrowsAsync<DrException>(() => RunAsync(new SqlFailoverGroupSetupRunbook(), Group(partner, group)));
            Assert.Equal(errorId, failure.ErrorId);
            Assert.True(failure.IsPrecondition);
            Assert.Equal(partner, failure.Target);
            Assert.Equal(0, Mutations());
        }

        [Fact]
        public async Task WhatIf_plans_the_replica_and_the_group_and_sends_nothing()
        {
            var run = await RunAsync(new SqlFailoverGroupSetupRunbook(), Group(), whatIf: true);
            Assert.Equal(0, Mutations());
            Assert.Equal(SetupAction.Skipped, run.Results.Cast<SqlFailoverGroupSetupResult>().Single().Action);
            Assert.Contains(run.Report.Steps, s => s.Plan.Contains("geo-replica", StringComparison.Ordinal));
        }

        [Fact]
        public async Task A_lost_answer_to_the_group_request_still_leaves_one_group()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/failoverGroups/apprequest-fog$", Kind = FaultKind.ResetAfterProcessing });
            var run = await RunAsync(new SqlFailoverGroupSetupRunbook(), Group());
            Assert.True(run.Report.Status == RunStatus.Succeeded, Describe(run.Report));
            Assert.Single(_fabric.Server.Query(s => s.Store<SqlStore>().FailoverGroups.ToList()));
            Assert.Single(_fabric.Server.Query(s => s.Store<SqlStore>().Links.ToList()));
        }

        // ---------------------------------------------------------------- Traffic Manager

        private static TrafficManagerSetupRequest Traffic(string profile = "apprequest-tm", string? dns = null) => new TrafficManagerSetupRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-global", ProfileName = profile, RelativeDnsName = dns, MonitorPath = "/health",
            PrimaryApp = new WebAppTarget { SubscriptionId = Sub, ResourceGroupName = "rg-west", Name = "app-west" },
            SecondaryApp = new WebAppTarget { SubscriptionId = Sub, ResourceGroupName = "rg-east", Name = "app-east" },
            Timeout = TimeSpan.FromSeconds(30),
        };

        [Fact]
        public async Task The_traffic_manager_setup_routes_to_the_primary_first_and_a_second_run_changes_nothing()
        {
            var first = await RunAsync(new TrafficManagerSetupRunbook(), Traffic());
            Assert.True(first.Report.Status == RunStatus.Succeeded, Describe(first.Report));
            var result = first.Results.Cast<TrafficManagerSetupResult>().Single();
            Assert.Equal(SetupAction.Created, result.Action);
            Assert.Equal((1, 2), (result.PrimaryPriority, result.SecondaryPriority));
            Assert.Equal("primary", result.ActiveEndpoint);
            Assert.Equal("/health", result.MonitorPath);
            Assert.Equal("apprequest-tm.trafficmanager." + _fabric.Server.DnsSuffix, result.Fqdn);
            var profileId = Arm.ProviderId(Sub, "rg-global", "Microsoft.Network", "trafficManagerProfiles/apprequest-tm");
            Assert.Equal("app-west.web." + _fabric.Server.DnsSuffix,
                _fabric.Server.Query(s => TrafficManagerProvider.ActiveEndpoint(s, s.Arm.Find(profileId)!)!["properties"]!["target"]!.GetValue<string>()));

            var before = Mutations();
            var second = await RunAsync(new TrafficManagerSetupRunbook(), Traffic());
            Assert.Equal(before, Mutations());
            Assert.All(second.Report.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(SetupAction.AlreadyConfigured, second.Results.Cast<TrafficManagerSetupResult>().Single().Action);
        }

        [Fact]
        public async Task A_traffic_manager_name_that_is_taken_is_refused_before_any_change()
        {
            await RunAsync(new TrafficManagerSetupRunbook(), Traffic());
            var before = Mutations();
            var failure = await Assert.ThrowsAsync<DrException>(() => RunAsync(new TrafficManagerSetupRunbook(), Traffic("other-tm", "apprequest-tm")));
            Assert.Equal("TrafficManagerNameTaken", failure.ErrorId);
            Assert.Equal(DrErrorCategory.ResourceExists, failure.Category);
            Assert.Equal(before, Mutations());
        }

        [Fact]
        public async Task The_setup_run_again_after_a_failover_does_not_fail_traffic_back()
        {
            await RunAsync(new TrafficManagerSetupRunbook(), Traffic());
            var profileId = Arm.ProviderId(Sub, "rg-global", "Microsoft.Network", "trafficManagerProfiles/apprequest-tm");
            _fabric.Server.Control(s =>
            {
                foreach (var e in s.Arm.Find(profileId)!.Get<System.Collections.Generic.List<System.Text.Json.Nodes.JsonObject>>("endpoints")!)
                    e["properties"]!["priority"] = e["name"]!.GetValue<string>() == "primary" ? 2 : 1;
            });
            var again = await RunAsync(new TrafficManagerSetupRunbook(), Traffic());
            var result = again.Results.Cast<TrafficManagerSetupResult>().Single();
            Assert.Equal(SetupAction.AlreadyConfigured, result.Action);
            Assert.Equal("secondary", result.ActiveEndpoint);
        }

        // ---------------------------------------------------------------- storage

        private static StorageRedundancyRequest Redundancy(string sku) => new StorageRedundancyRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-west", StorageAccountName = "stapp", SkuName = sku,
        };

        [Fact]
        public async Task Storage_redundancy_goes_to_read_access_and_back_and_a_repeat_changes_nothing()
        {
            var ragrs = await RunAsync(new StorageRedundancyRunbook(), Redundancy("Standard_RAGRS"));
            var result = ragrs.Results.Cast<StorageRedundancyResult>().Single();
            Assert.Equal((SetupAction.Updated, "Standard_GRS", "Standard_RAGRS"), (result.Action, result.PreviousSkuName, result.SkuName));
            Assert.Equal("https://stapp-secondary.blob.storage." + _fabric.Server.DnsSuffix + "/", result.SecondaryBlobEndpoint);
            Assert.Equal("eastus", result.SecondaryLocation);

            var before = Mutations();
            var repeat = await RunAsync(new StorageRedundancyRunbook(), Redundancy("standard_ragrs"));
            Assert.Equal(before, Mutations());
            Assert.Equal(SetupAction.AlreadyConfigured, repeat.Results.Cast<StorageRedundancyResult>().Single().Action);

            var back = await RunAsync(new StorageRedundancyRunbook(), Redundancy("Standard_GRS"));
            var grs = back.Results.Cast<StorageRedundancyResult>().Single();
            Assert.Equal((SetupAction.Updated, "Standard_GRS"), (grs.Action, grs.SkuName));
            Assert.Null(grs.SecondaryBlobEndpoint);
        }

        [Fact]
        public async Task A_redundancy_change_that_is_a_conversion_is_refused_before_any_change()
        {
            var failure = await Assert.ThrowsAsync<DrException>(() => RunAsync(new StorageRedundancyRunbook(), Redundancy("Standard_GZRS")));
            Assert.Equal("RedundancyChangeNotInPlace", failure.ErrorId);
            Assert.Equal(0, Mutations());
        }
    }
}
