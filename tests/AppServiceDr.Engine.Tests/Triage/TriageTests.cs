using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Engine.Triage;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Health;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Triage
{
    /// <summary>Seed 004's decision tree against the fabric: each scenario's failure, injected, leads to that scenario and
    /// its recovery command; what cannot be probed is evidence, never a failed run; nothing is changed.</summary>
    public sealed class TriageTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Package = "https://packages.example.com/bin/latest/AppRequestPortal-1.33.0.zip";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private string _account = "";

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync();
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-portal", "sql-portal", "westus");
                SqlProvider.SeedDatabase(s, Arm.ProviderId(Sub, "rg-portal", "Microsoft.Sql", "servers/sql-portal"), "AppRequestPortal");
                var account = StorageProvider.SeedAccount(s, Sub, "rg-portal", "stportal", "westus");
                _account = account.Id;
                VaultManagementProvider.SeedVault(s, Sub, "rg-portal", "kv-portal", "westus");
                KeyVaultProvider.SeedSecret(s, "kv-portal", "AzureAdClientSecret", "v");
                Seed(s, Package);
            });
        }

        private void Seed(FabricState s, string package)
        {
            var key = s.Arm.Find(_account)!.Get<string[]>("keys")![0];
            WebProvider.SeedSite(s, Sub, "rg-portal", "portal", "westus", new[]
            {
                new KeyValuePair<string, string>("AzureAd__ClientSecret", "@Microsoft.KeyVault(VaultName=kv-portal;SecretName=AzureAdClientSecret)"),
                new KeyValuePair<string, string>("ConnectionStrings__Db", "Server=tcp:sql-portal.database.windows.net;Initial Catalog=AppRequestPortal"),
                new KeyValuePair<string, string>("ConnectionStrings__Storage", $"AccountName=stportal;AccountKey={key};EndpointSuffix=storage.{s.Options.DnsSuffix}"),
                new KeyValuePair<string, string>("WEBSITE_RUN_FROM_PACKAGE", package),
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private static TriageRequest Record(string app = "portal") => new TriageRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-portal", WebAppName = app, ServerName = "sql-portal", DatabaseName = "AppRequestPortal",
            StorageAccountName = "stportal", VaultName = "kv-portal", FailoverGroupName = "portal-fog", PartnerServerName = "sql-portal-dr",
            PartnerResourceGroupName = "rg-dr", SecondaryWebAppName = "portal-dr", SecondaryResourceGroupName = "rg-dr", PackageVersion = "1.33.0",
        };

        private async Task<TriageResult> TriageAsync(TriageRequest request)
        {
            var before = _fabric.Server.Log.Entries.Count;
            var context = new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment);
            var outcome = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new TriageRunbook(), request, context);
            Assert.Equal(RunStatus.Succeeded, outcome.Report.Status);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count);            // probes only read
            return outcome.Results.Cast<TriageResult>().Single();
        }

        [Fact]
        public async Task A_healthy_app_whose_data_is_correct_needs_nothing()
        {
            var request = Record();
            request.Answers["DataCorrect"] = true;
            var result = await TriageAsync(request);
            Assert.Equal(0, result.Scenario);
            Assert.Null(result.RecoveryCommand);
            Assert.Equal(new[] { "Is the application accessible? Yes", "Can users sign in? Yes", "Is data correct? Yes" }, result.Path);
        }

        [Fact]
        public async Task Data_that_is_not_correct_is_scenario_1_with_a_restore_point_before_the_incident()
        {
            var request = Record();
            request.Answers["DataCorrect"] = false;
            request.IncidentStart = new DateTimeOffset(2026, 2, 14, 10, 0, 0, TimeSpan.Zero);
            var result = await TriageAsync(request);
            Assert.Equal(1, result.Scenario);
            Assert.Equal($"Restore-AppServiceDatabase -SubscriptionId {Sub} -ResourceGroupName rg-portal -ServerName sql-portal -DatabaseName AppRequestPortal -PointInTime 2026-02-14T09:59:00Z -Swap -WebAppName portal",
                result.RecoveryCommand);
            Assert.True(result.CommandComplete);
        }

        [Fact]
        public async Task A_deleted_secret_is_scenario_2_naming_the_secret()
        {
            _fabric.Server.Control(s =>
            {
                KeyVaultProvider.DeleteSeededSecret(s, "kv-portal", "AzureAdClientSecret");
                Seed(s, Package);
            });
            var result = await TriageAsync(Record());
            Assert.Equal(2, result.Scenario);
            Assert.Contains(result.Evidence, e => e.Contains("AzureAdClientSecret", StringComparison.Ordinal) && e.Contains("SecretNotFound", StringComparison.Ordinal));
            Assert.Equal($"Invoke-KeyVaultSecretRecovery -VaultName kv-portal -Name AzureAdClientSecret -SubscriptionId {Sub} -ResourceGroupName rg-portal -WebAppName portal",
                result.RecoveryCommand);
        }

        [Fact]
        public async Task A_region_outage_is_scenario_3_failing_over_to_the_partner()
        {
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            var result = await TriageAsync(Record());
            Assert.Equal(3, result.Scenario);
            Assert.Equal("westus", result.Region);
            Assert.StartsWith($"Invoke-RegionFailover -SubscriptionId {Sub} -ResourceGroupName rg-dr -ServerName sql-portal-dr -FailoverGroupName portal-fog -AllowDataLoss -StorageAccountName stportal",
                result.RecoveryCommand, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_storage_outage_is_scenario_4()
        {
            _fabric.Server.Control(s => ResourceHealthProvider.SetResourceOutage(s, _account, true));
            var result = await TriageAsync(Record());
            Assert.Equal(4, result.Scenario);
            Assert.Equal($"Invoke-StorageRecovery -SubscriptionId {Sub} -ResourceGroupName rg-portal -StorageAccountName stportal -WebAppName portal", result.RecoveryCommand);
        }

        [Fact]
        public async Task A_database_outage_is_a_restore_from_backup()
        {
            _fabric.Server.Control(s => ResourceHealthProvider.SetResourceOutage(s, Arm.ProviderId(Sub, "rg-portal", "Microsoft.Sql", "servers/sql-portal/databases/AppRequestPortal"), true));
            var result = await TriageAsync(Record());
            Assert.Equal(1, result.Scenario);
            Assert.StartsWith("Restore-AppServiceDatabase", result.RecoveryCommand, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_bad_package_is_scenario_5_rolling_back_to_the_recorded_release()
        {
            const string bad = "https://packages.example.com/bin/latest/AppRequestPortal-1.34.0.zip";
            _fabric.Server.Control(s =>
            {
                s.Store<PackageStore>().Broken.Add(bad);
                Seed(s, bad);
            });
            var result = await TriageAsync(Record());
            Assert.Equal(5, result.Scenario);
            Assert.Equal($"Invoke-DeploymentRollback -SubscriptionId {Sub} -ResourceGroupName rg-portal -WebAppName portal -Version 1.33.0", result.RecoveryCommand);

            // Without a recorded release the version is left for the reader to fill in.
            var unknown = Record();
            unknown.PackageVersion = null;
            var open = await TriageAsync(unknown);
            Assert.EndsWith("-Version <Version>", open.RecoveryCommand, StringComparison.Ordinal);
            Assert.False(open.CommandComplete);
        }

        [Fact]
        public async Task An_app_that_cannot_be_reached_is_evidence_not_a_failure()
        {
            var result = await TriageAsync(Record("no-such-app"));
            Assert.Equal("Is the application accessible? No", result.Path[0]);
            Assert.Contains(result.Evidence, e => e.Contains("could not be probed (WebAppNotFound)", StringComparison.Ordinal));
        }
    }
}
