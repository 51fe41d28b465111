using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>Test-ArmTemplateDeployment's runbook against the fabric's deployments: a tagged drill group, validate, what-if,
    /// the deployment, the resources looked up, and the group deleted whatever happened before.</summary>
    public sealed class ArmTemplateDrillTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Group = "rg-drill-test";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync() => _fabric = await FabricFixture.StartAsync(o => { o.Timings.OperationMs = 300; });

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private string Template(string resources)
        {
            var path = _state.Combine("template-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(path, "{ \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\", \"contentVersion\": \"1.0.0.0\", \"parameters\": { \"prefix\": { \"type\": \"string\" } }, \"resources\": [" + resources + "] }");
            return path;
        }

        private const string Storage = "{ \"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": \"2024-01-01\", \"name\": \"[concat(parameters('prefix'), uniqueString(resourceGroup().id))]\", \"location\": \"[resourceGroup().location]\", \"sku\": { \"name\": \"Standard_GRS\" }, \"kind\": \"StorageV2\" }";

        private ArmTemplateDrillRequest Request(string template) => new ArmTemplateDrillRequest
        {
            SubscriptionId = Sub, Location = "westus2", TemplateFile = template, DrillResourceGroupName = Group, Timeout = TimeSpan.FromSeconds(60),
        }.WithParameters(new[] { new System.Collections.Generic.KeyValuePair<string, object?>("prefix", "stdrill") });

        private RunContext Context() => new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment);

        private async Task<RunReport> RunAsync(ArmTemplateDrillRequest request) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new ArmTemplateDrillRunbook(), request, Context()));

        private bool GroupExists() => _fabric.Server.Query(s => s.Arm.Find($"/subscriptions/{Sub}/resourceGroups/{Group}") != null);

        [Fact]
        public async Task The_template_is_validated_deployed_checked_and_its_tagged_group_deleted()
        {
            var report = await RunAsync(Request(Template(Storage)));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", result.Checks));
            Assert.Equal(new[] { "validate", "what-if", "deploy", "resources created", "cleanup" }, result.Checks.Select(c => c.Name));
            Assert.Contains("1 Create", result.Checks.Single(c => c.Name == "what-if").Detail);
            Assert.NotNull(result.Rto);
            Assert.True(result.CleanedUp);
            Assert.False(GroupExists());
            var put = _fabric.Server.Log.Entries.Single(e => e.Method == "PUT" && e.Path.EndsWith("/resourcegroups/" + Group, StringComparison.OrdinalIgnoreCase));
            Assert.Contains("\"" + Drill.Tag + "\":\"" + Group + "\"", put.Body);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/deployments/appservicedr-drill"));
        }

        [Fact]
        public async Task A_template_Resource_Manager_refuses_fails_validation_deploys_nothing_and_the_group_is_still_deleted()
        {
            var report = await RunAsync(Request(Template(Storage.Replace("parameters('prefix')", "parameters('missing')", StringComparison.Ordinal))));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Failed, report.Status);
            Assert.Equal(DrillStatus.Fail, result.Checks.Single(c => c.Name == "validate").Status);
            Assert.Equal(0, _fabric.Server.Log.CountSucceeded("PUT", "/deployments/"));
            Assert.False(GroupExists());
            Assert.True(result.CleanedUp);
        }

        [Fact]
        public async Task A_group_whose_delete_keeps_failing_is_reported_left_behind_and_resume_deletes_it()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "DELETE", PathPattern = "/resourcegroups/" + Group + "$", Kind = FaultKind.Unavailable, Count = -1, RetryAfterSeconds = 0 });

            var report = await RunAsync(Request(Template(Storage)));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(DrillStatus.Fail, result.Status);
            Assert.False(result.CleanedUp);
            Assert.Equal(new[] { Group }, result.Leftovers);
            Assert.True(GroupExists());

            _fabric.Server.Faults.Clear();
            var resumed = await Outcomes.ResumeAsync(new RunStore(_state.Path), report, Context());

            Assert.True(Outcomes.Of<DrillTestResult>(resumed).Single().CleanedUp);
            Assert.False(GroupExists());
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/deployments/appservicedr-drill"));
        }
    }
}
