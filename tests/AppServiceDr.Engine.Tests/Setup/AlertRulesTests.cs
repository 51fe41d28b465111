using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Setup;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Monitor;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Setup
{
    /// <summary>Seed 004's four alerts against the fabric: made once, updated in place, never duplicated.</summary>
    public sealed class AlertRulesTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Webhook = "https://hooks.example.com/alert?sig=webhook-token-7f3c";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync();
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-app", "sql-app", "westus");
                SqlProvider.SeedDatabase(s, Arm.ProviderId(Sub, "rg-app", "Microsoft.Sql", "servers/sql-app"), "AppRequestPortal");
                StorageProvider.SeedAccount(s, Sub, "rg-app", "stapp", "westus");
                WebProvider.SeedSite(s, Sub, "rg-app", "portal", "westus");
                VaultManagementProvider.SeedVault(s, Sub, "rg-app", "kv-app", "westus");
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private static AlertRulesRequest All(int dtu = 90, params string[] emails) => new AlertRulesRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-app", ServerName = "sql-app", DatabaseName = "AppRequestPortal",
            StorageAccountName = "stapp", WebAppName = "portal", VaultName = "kv-app",
            EmailAddresses = emails.Length == 0 ? new[] { "admins@contoso.com" } : emails, WebhookUris = new[] { Webhook }, DtuThresholdPercent = dtu,
        };

        private async Task<RunOutcome> RunAsync(AlertRulesRequest request)
        {
            var context = new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment);
            return await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new AlertRulesRunbook(), request, context);
        }

        private int Rules(string type) => _fabric.Server.Query(s => s.Arm.OfType(type).Count());
        private int Mutations() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);

        [Fact]
        public async Task The_four_alerts_and_their_action_group_are_made_once_and_a_second_run_changes_nothing()
        {
            var first = await RunAsync(All());
            Assert.Equal(RunStatus.Succeeded, first.Report.Status);
            var results = first.Results.Cast<AlertRuleResult>().ToList();
            Assert.Equal(new[] { "ActionGroup", "SqlDtu", "StorageAvailability", "AppServiceHealth", "KeyVaultAccessDenied" }, results.Select(r => r.Kind));
            Assert.All(results, r => Assert.Equal(SetupAction.Created, r.Action));
            Assert.Equal(3, Rules(MonitorProvider.MetricAlertType));
            Assert.Equal(1, Rules(MonitorProvider.ActivityLogAlertType));
            Assert.Equal(1, Rules(MonitorProvider.ActionGroupType));
            var dtu = _fabric.Server.Query(s => s.Arm.OfType(MonitorProvider.MetricAlertType).Single(r => r.Name.Contains("dtu", StringComparison.Ordinal)));
            Assert.Equal("PT15M", dtu.Properties["windowSize"]!.GetValue<string>());
            Assert.Equal(90, dtu.Properties["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<double>());
            // The webhook's address is sent to Azure and nowhere else.
            foreach (var file in Directory.GetFiles(_state.Path, "*", SearchOption.AllDirectories))
                Assert.DoesNotContain("webhook-token", File.ReadAllText(file), StringComparison.Ordinal);
            Assert.DoesNotContain(results, r => (r.Condition + r.Target + r.Name).Contains("webhook-token", StringComparison.Ordinal));

            var before = Mutations();
            var second = await RunAsync(All());
            Assert.Equal(before, Mutations());
            Assert.All(second.Results.Cast<AlertRuleResult>(), r => Assert.Equal(SetupAction.AlreadyConfigured, r.Action));
        }

        [Fact]
        public async Task A_changed_threshold_updates_the_rule_in_place_even_under_another_name()
        {
            await RunAsync(All());
            // Someone renamed the rule (kept its tag): the setup finds it by what it watches and updates it.
            _fabric.Server.Control(s =>
            {
                var rule = s.Arm.OfType(MonitorProvider.MetricAlertType).Single(r => r.Name.Contains("dtu", StringComparison.Ordinal));
                s.Arm.Remove(rule.Id);
                rule.Id = rule.Id.Substring(0, rule.Id.LastIndexOf('/') + 1) + "database-is-busy";
                s.Arm.Add(rule);
            });
            var changed = await RunAsync(All(dtu: 85));
            var dtu = changed.Results.Cast<AlertRuleResult>().Single(r => r.Kind == "SqlDtu");
            Assert.Equal(("database-is-busy", SetupAction.Updated), (dtu.Name, dtu.Action));
            Assert.Equal(3, Rules(MonitorProvider.MetricAlertType));
            Assert.Equal(85, _fabric.Server.Query(s => s.Arm.OfType(MonitorProvider.MetricAlertType).Single(r => r.Name == "database-is-busy")
                .Properties["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<double>()));
        }

        [Theory]
        [InlineData("not-an-address")]
        [InlineData("Admins <admins@contoso.com>")]
        [InlineData("admins@contoso")]
        [InlineData(" admins@contoso.com")]
        public async Task An_invalid_email_address_is_refused_before_anything_changes(string address)
        {
            var failure = await Assert.ThrowsAsync<DrException>(() => RunAsync(All(90, "ops@contoso.com", address)));
            Assert.Equal(("InvalidEmailAddress", DrErrorCategory.InvalidArgument, address), (failure.ErrorId, failure.Category, failure.Target));
            Assert.Equal(0, Mutations());
        }
    }
}
