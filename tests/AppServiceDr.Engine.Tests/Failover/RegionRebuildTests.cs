using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Graph;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Web;
using static AppServiceDr.Engine.Tests.Support.TestSecrets;

namespace AppServiceDr.Engine.Tests.Failover
{
    /// <summary>Seed 004 scenario 3 without a replica: the application rebuilt in the paired region while
    /// the primary region is down, against the fabric.</summary>
    public sealed class RegionRebuildTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string AppId = "5e5e5e5e-0000-4000-8000-0000000000aa";
        private const string Password = "Sql-admin-Pa55-9c1e7";
        private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
        private static readonly string East = $"/subscriptions/{Sub}/resourceGroups/rg-east/providers/Microsoft.Sql/servers/sql-east";
        private static readonly string Zone = $"/subscriptions/{Sub}/resourceGroups/rg-net/providers/Microsoft.Network/dnsZones/contoso.com";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly TempDirectory _files = new TempDirectory();
        private DateTimeOffset _backup;

        private static string Template(string extraResource = "") => $$"""
            {
              "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
              "contentVersion": "1.0.0.0",
              "parameters": {
                "environmentName": { "type": "string" },
                "sqlAdminPassword": { "type": "securestring" }
              },
              "resources": [
                { "type": "Microsoft.Sql/servers", "name": "sql-east", "location": "[resourceGroup().location]",
                  "properties": { "administratorLogin": "dr", "administratorLoginPassword": "[parameters('sqlAdminPassword')]" } },
                { "type": "Microsoft.Web/serverfarms", "name": "[concat('plan-', parameters('environmentName'))]", "location": "[resourceGroup().location]", "sku": { "name": "P1v3" } },
                { "type": "Microsoft.Web/sites", "name": "app-east", "location": "[resourceGroup().location]",
                  "dependsOn": [ "[resourceId('Microsoft.Web/serverfarms', concat('plan-', parameters('environmentName')))]" ],
                  "properties": { "siteConfig": { "appSettings": [ { "name": "SQL", "value": "Server=tcp:sql-east.database.windows.net,1433;Initial Catalog=AppRequestPortal;Encrypt=True;" } ] } } }{{extraResource}}
              ]
            }
            """;

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.OperationMs = 1200; o.Timings.DatabaseOnlineMs = 300; o.Timings.SiteWarmupMs = 200; });
            _backup = DateTimeOffset.UtcNow.AddMinutes(-25);
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
                SqlProvider.SeedDatabase(s, West, "AppRequestPortal", lastGeoBackup: _backup);
                WebProvider.SeedSite(s, Sub, "rg-west", "app-west", "westus", databaseId: West + "/databases/AppRequestPortal");
                GraphProvider.SeedApplication(s, AppId, "portal", new[] { "https://app-west.web.fabric.test/auth", "http://localhost:5173/auth" });
                Fabric.Resources.ResourceGroupsProvider.Seed(s, Sub, "rg-net", "westus");
            });
            using (var http = new HttpClient(_fabric.Server.CreateClientHandler()))
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "seed");
                var put = await http.PutAsync(new Uri(_fabric.Server.ArmEndpoint, Zone + "?api-version=2018-05-01"), new StringContent("{\"location\":\"global\"}", Encoding.UTF8, "application/json"));
                Assert.True(put.IsSuccessStatusCode);
            }
            File.WriteAllText(_files.Combine("azuredeploy.json"), Template());
            _fabric.Server.Faults.SetRegionOutage("westus", true);
            _fabric.Server.Log.Clear();
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
            _files.Dispose();
        }

        private RegionRebuildRequest Request() => new RegionRebuildRequest
        {
            SubscriptionId = Sub, SourceResourceGroupName = "rg-west", SourceServerName = "sql-west", DatabaseName = "AppRequestPortal",
            TargetResourceGroupName = "rg-east", TargetLocation = "eastus", TemplateFile = _files.Combine("azuredeploy.json"),
            TargetServerName = "sql-east",
            App = new WebAppTarget { SubscriptionId = Sub, ResourceGroupName = "rg-east", Name = "app-east", HealthTimeout = TimeSpan.FromSeconds(60), HealthPollInterval = TimeSpan.FromMilliseconds(50) },
            SpaApplicationId = AppId, RedirectPath = "/auth",
            DnsZoneName = "contoso.com", DnsZoneResourceGroupName = "rg-net", DnsRecordName = "portal", DnsTtl = 300,
            Timeout = TimeSpan.FromSeconds(60),
        }.WithParameters(new Dictionary<string, object?> { ["environmentName"] = "dr", ["sqlAdminPassword"] = Secure(Password) });

        private async Task<RunReport> RunAsync(RegionRebuildRequest request, RecordingHost? host = null, bool whatIf = false)
        {
            var context = new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            return Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new RegionRebuildRunbook(), request, context));
        }

        private async Task<string> ArmGetAsync(string pathAndQuery)
        {
            using var http = new HttpClient(_fabric.Server.CreateClientHandler());
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "check");
            return await http.GetStringAsync(new Uri(_fabric.Server.ArmEndpoint, pathAndQuery));
        }

        private int Mutations() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);

        private static StepReport Step(RunReport report, string id) => report.Steps.Single(s => s.StepId == id);

        private string[] SpaRedirectUris() => _fabric.Server.Query(s =>
            s.Store<ApplicationStore>().FindByAppId(AppId)!["spa"]!["redirectUris"]!.AsArray().Select(u => u!.GetValue<string>()).ToArray());

        [Fact]
        public async Task The_app_is_rebuilt_in_the_paired_region_and_a_second_run_changes_nothing()
        {
            var host = new RecordingHost();
            var report = await RunAsync(Request(), host);

            Assert.True(report.Status == RunStatus.Succeeded, string.Join(" | ", report.Steps.Select(s => $"{s.StepId}:{s.Outcome}:{s.Error}")));
            Assert.Equal(_backup, _fabric.Server.Query(s => s.Arm.Find(East + "/databases/AppRequestPortal")!.Get<DateTimeOffset>("dataAsOf")));
            Assert.InRange(report.DataLossWindow!.Value, TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(30));
            // The restore started while the template was still deploying.
            Assert.True(Step(report, "geo-restore").StartedAt < Step(report, "deploy-template").EndedAt);
            Assert.Equal(new[] { "https://app-west.web.fabric.test/auth", "http://localhost:5173/auth", "https://app-east.web.fabric.test/auth" }, SpaRedirectUris());
            var dns = Step(report, "dns");
            Assert.Contains("TTL 300 s", dns.Note);
            Assert.Contains("\"cname\":\"app-east.web.fabric.test\"", await ArmGetAsync(Zone + "/CNAME/portal?api-version=2018-05-01"));
            Assert.Equal(StepOutcome.Succeeded, Step(report, "restart:app-east").Outcome);
            Assert.DoesNotContain(host.AllText(), t => t.Contains(Password));
            Assert.DoesNotContain(Password, File.ReadAllText(report.JournalPath!));

            var before = Mutations();
            var again = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, again.Status);
            Assert.All(again.Steps, s => Assert.Equal(StepOutcome.AlreadyDone, s.Outcome));
            Assert.Equal(before, Mutations());
        }

        [Fact]
        public async Task A_template_given_by_uri_is_deployed_through_a_template_link()
        {
            const string uri = "https://templates.contoso.test/apprequest/azuredeploy.json";
            _fabric.Server.Control(s => AppServiceDr.Fabric.Resources.DeploymentsProvider.RegisterTemplate(s, uri, System.Text.Json.Nodes.JsonNode.Parse(Template())!.AsObject()));
            var request = Request();
            request.TemplateFile = null;
            request.TemplateUri = new Uri(uri);

            var report = await RunAsync(request);

            Assert.True(report.Status == RunStatus.Succeeded, string.Join(" | ", report.Steps.Select(s => $"{s.StepId}:{s.Outcome}:{s.Error}")));
            Assert.Contains(uri, Step(report, "deploy-template").Plan);
            Assert.NotNull(_fabric.Server.Query(s => s.Arm.Find(East + "/databases/AppRequestPortal")));
        }

        [Fact]
        public async Task Every_preflight_problem_is_reported_together_and_nothing_changes()
        {
            File.WriteAllText(_files.Combine("azuredeploy.json"), "{ \"resources\": [ ");
            var request = Request();
            request.TargetLocation = "atlantis";
            request.DnsZoneName = "missing.example";

            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));

            Assert.True(ex.IsPrecondition);
            Assert.Equal("RegionRebuildPreflightFailed", ex.ErrorId);
            Assert.Contains("TargetLocationInvalid", ex.Message);
            Assert.Contains("TemplateInvalid", ex.Message);
            Assert.Contains("DnsZoneNotFound", ex.Message);
            Assert.Equal(0, Mutations());
        }

        [Fact]
        public async Task A_failing_template_stops_the_run_clearly_and_resumes_once_the_template_is_fixed()
        {
            File.WriteAllText(_files.Combine("azuredeploy.json"), Template(
                ", { \"type\": \"Microsoft.Contoso/widgets\", \"name\": \"w1\", \"location\": \"[resourceGroup().location]\" }"));

            var failed = await RunAsync(Request());

            Assert.Equal(RunStatus.Failed, failed.Status);
            var deploy = Step(failed, "deploy-template");
            Assert.Equal(StepOutcome.Failed, deploy.Outcome);
            Assert.Contains("Microsoft.Contoso/widgets", deploy.Error);
            Assert.Equal(StepOutcome.Skipped, Step(failed, "redirect-uris").Outcome);
            Assert.Equal(StepOutcome.Skipped, Step(failed, "dns").Outcome);
            Assert.Equal(StepOutcome.Skipped, Step(failed, "restart:app-east").Outcome);
            Assert.Equal(2, SpaRedirectUris().Length);

            File.WriteAllText(_files.Combine("azuredeploy.json"), Template());
            var store = new RunStore(_state.Path);
            var secure = new RegionRebuildRequest().WithParameters(new Dictionary<string, object?> { ["sqlAdminPassword"] = Secure(Password) }).SecureTemplateParameters;
            var resumed = await Outcomes.ResumeAsync(store, failed, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment),
                new Dictionary<string, object?> { ["TemplateParameter"] = secure });

            Assert.True(resumed.Status == RunStatus.Succeeded, string.Join(" | ", resumed.Steps.Select(s => $"{s.StepId}:{s.Outcome}:{s.Error}")));
            Assert.Equal(1, _fabric.Server.Log.Entries.Count(e => e.Succeeded && e.Method == "PUT" && e.Path.EndsWith("/resourcegroups/rg-east", StringComparison.OrdinalIgnoreCase)));
            Assert.Equal(1, _fabric.Server.Log.Entries.Count(e => e.Succeeded && e.Method == "PUT" && e.Path.EndsWith("/databases/AppRequestPortal", StringComparison.Ordinal)));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PATCH", "/applications"));
            Assert.Equal(3, SpaRedirectUris().Length);
        }

        [Fact]
        public async Task Throttling_server_errors_and_resets_on_every_kind_of_call_are_ridden_out()
        {
            var rules = new List<Fabric.Core.FaultRule>();
            foreach (var (method, path) in new[] { ("PUT", "/resourcegroups/rg-east$"), ("PUT", "/deployments/"), ("GET", "/servers/sql-east$"), ("PUT", "/databases/"),
                                                     ("GET", "operation"), ("PATCH", "/applications"), ("GET", "/applications"), ("PUT", "/CNAME/"), ("POST", "/restart") })
                foreach (var kind in new[] { Fabric.Core.FaultKind.Throttle, Fabric.Core.FaultKind.InternalError, Fabric.Core.FaultKind.ConnectionReset })
                    rules.Add(new Fabric.Core.FaultRule { Method = method, PathPattern = path, Kind = kind, Count = 1, RetryAfterSeconds = 0 });
            rules.ForEach(_fabric.Server.Faults.Add);

            var report = await RunAsync(Request());

            Assert.True(report.Status == RunStatus.Succeeded, string.Join(" | ", report.Steps.Select(s => $"{s.StepId}:{s.Outcome}:{s.Error}")));
            Assert.All(rules, r => Assert.Equal(0, r.Count));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PATCH", "/applications"));
            Assert.Equal(1, _fabric.Server.Log.Entries.Count(e => e.Succeeded && e.Method == "PUT" && e.Path.EndsWith("/databases/AppRequestPortal", StringComparison.Ordinal)));
            Assert.Equal(3, SpaRedirectUris().Length);
        }

        [Fact]
        public async Task WhatIf_plans_the_rebuild_and_changes_nothing()
        {
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Request(), host, whatIf: true);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(0, Mutations());
            Assert.Contains(host.Questions, q => q.StartsWith("rg-east:", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith("appservicedr-rebuild:", StringComparison.Ordinal));
            // The app the template would create does not exist yet: its restart is planned, not failed.
            Assert.DoesNotContain(report.Steps, s => s.Outcome == StepOutcome.Failed);
            Assert.Equal(StepOutcome.Skipped, Step(report, "restart:app-east").Outcome);
            Assert.Contains(host.Questions, q => q.StartsWith("app-east:", StringComparison.Ordinal));
        }
    }
}
