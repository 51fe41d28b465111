using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Resources;

namespace AppServiceDr.Fabric.Tests;

public sealed class DeploymentTests
{
    private const string Api = "?api-version=2022-09-01";
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string Group = $"/subscriptions/{Sub}/resourcegroups/rg-dr";
    private static readonly string Deployment = Group + "/providers/Microsoft.Resources/deployments/dr1";

    private const string Template = """
    {
      "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "contentVersion": "1.0.0.0",
      "parameters": {
        "appName": { "type": "string" },
        "sqlLogin": { "type": "string", "defaultValue": "[concat(parameters('appName'), 'admin')]" },
        "location": { "type": "string", "defaultValue": "[resourceGroup().location]" }
      },
      "variables": {
        "serverName": "[format('{0}-sql-{1}', parameters('appName'), uniqueString(resourceGroup().id))]",
        "planName": "[concat(parameters('appName'), '-plan')]",
        "storageName": "[toLower(concat('st', uniqueString(resourceGroup().id)))]"
      },
      "resources": [
        {
          "type": "Microsoft.Web/sites",
          "apiVersion": "2024-04-01",
          "name": "[parameters('appName')]",
          "location": "[parameters('location')]",
          "dependsOn": [ "[resourceId('Microsoft.Web/serverfarms', variables('planName'))]" ],
          "properties": {
            "serverFarmId": "[resourceId('Microsoft.Web/serverfarms', variables('planName'))]",
            "siteConfig": { "appSettings": [ { "name": "SQL_SERVER", "value": "[variables('serverName')]" } ] }
          }
        },
        {
          "type": "Microsoft.Web/serverfarms",
          "apiVersion": "2024-04-01",
          "name": "[variables('planName')]",
          "location": "[parameters('location')]",
          "sku": { "name": "P1v3" }
        },
        {
          "type": "Microsoft.Sql/servers/databases",
          "apiVersion": "2023-08-01",
          "name": "[concat(variables('serverName'), '/appdb')]",
          "location": "[parameters('location')]",
          "sku": { "name": "S0" }
        },
        {
          "type": "Microsoft.Sql/servers",
          "apiVersion": "2023-08-01",
          "name": "[variables('serverName')]",
          "location": "[parameters('location')]",
          "properties": { "administratorLogin": "[parameters('sqlLogin')]" }
        },
        {
          "type": "Microsoft.Storage/storageAccounts",
          "apiVersion": "2024-01-01",
          "name": "[variables('storageName')]",
          "location": "[parameters('location')]",
          "sku": { "name": "Standard_GRS" },
          "kind": "StorageV2"
        }
      ],
      "outputs": {
        "serverName": { "type": "string", "value": "[variables('serverName')]" }
      }
    }
    """;

    private static async Task<(TestFabric Fabric, ManualClock Clock)> StartAsync()
    {
        var clock = new ManualClock();
        var fabric = await TestFabric.StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.OperationMs = 6000;
        });
        await fabric.ArmAsync(HttpMethod.Put, Group + Api, new JsonObject { ["location"] = "eastus" });
        return (fabric, clock);
    }

    private static JsonObject Body(JsonNode template, JsonObject? parameters = null) => new JsonObject
    {
        ["properties"] = new JsonObject
        {
            ["template"] = template,
            ["parameters"] = parameters ?? new JsonObject { ["appName"] = new JsonObject { ["value"] = "shop" } },
            ["mode"] = "Incremental",
        },
    };

    private static string State(Reply r) => r.Json!["properties"]!["provisioningState"]!.GetValue<string>();

    [Fact]
    public async Task A_template_deploys_its_resources_in_dependency_order_over_the_operation()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var accepted = await f.ArmAsync(HttpMethod.Put, Deployment + Api, Body(JsonNode.Parse(Template)!));
        Assert.Equal(201, accepted.Status);
        Assert.Equal("Accepted", State(accepted));
        Assert.NotNull(accepted.Header("Azure-AsyncOperation"));
        Assert.Equal(409, (await f.ArmAsync(HttpMethod.Put, Deployment + Api, Body(JsonNode.Parse(Template)!))).Status);

        var serverName = "shop-sql-" + TemplateExpressions.UniqueString(new[] { $"/subscriptions/{Sub}/resourceGroups/rg-dr" });
        var server = $"/subscriptions/{Sub}/resourceGroups/rg-dr/providers/Microsoft.Sql/servers/{serverName}";
        // Six resources over 6 s: one each second, parents and dependencies first.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("Running", State(await f.ArmAsync(HttpMethod.Get, Deployment + Api)));
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, $"/subscriptions/{Sub}/resourceGroups/rg-dr/providers/Microsoft.Web/sites/shop?api-version=2024-04-01")).Status);
        clock.Advance(TimeSpan.FromSeconds(2));
        var serverReply = await f.ArmAsync(HttpMethod.Get, server + "?api-version=2023-08-01");
        Assert.Equal(200, serverReply.Status);
        Assert.Equal("shopadmin", serverReply.Json!["properties"]!["administratorLogin"]!.GetValue<string>());
        Assert.Equal("eastus", serverReply.Json["location"]!.GetValue<string>());

        clock.Advance(TimeSpan.FromSeconds(3));
        var done = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Azure-AsyncOperation")!));
        Assert.Equal("Succeeded", done.Json!["status"]!.GetValue<string>());
        var deployment = await f.ArmAsync(HttpMethod.Get, Deployment + Api);
        Assert.Equal("Succeeded", State(deployment));
        Assert.Equal(serverName, deployment.Json!["properties"]!["outputs"]!["serverName"]!["value"]!.GetValue<string>());
        Assert.Equal(5, deployment.Json["properties"]!["outputResources"]!.AsArray().Count);
        Assert.Equal("Online", (await f.ArmAsync(HttpMethod.Get, server + "/databases/appdb?api-version=2023-08-01")).Json!["properties"]!["status"]!.GetValue<string>());
        var settings = await f.ArmAsync(HttpMethod.Post, $"/subscriptions/{Sub}/resourceGroups/rg-dr/providers/Microsoft.Web/sites/shop/config/appsettings/list?api-version=2024-04-01");
        Assert.Equal(serverName, settings.Json!["properties"]!["SQL_SERVER"]!.GetValue<string>());
        Assert.Equal(1, f.Server.Log.CountSucceeded("PUT", "/deployments/dr1"));
    }

    [Fact]
    public async Task A_linked_template_is_fetched_from_the_fabric_and_an_unknown_link_is_refused()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        f.Server.Control(s => DeploymentsProvider.RegisterTemplate(s, "https://templates.example/app.json", JsonNode.Parse(Template)!.AsObject()));
        var linked = new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["templateLink"] = new JsonObject { ["uri"] = "https://templates.example/app.json" },
                ["parameters"] = new JsonObject { ["appName"] = new JsonObject { ["value"] = "shop" } },
                ["mode"] = "Incremental",
            },
        };
        var accepted = await f.ArmAsync(HttpMethod.Put, Deployment + Api, linked);
        Assert.Equal("https://templates.example/app.json", accepted.Json!["properties"]!["templateLink"]!["uri"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("Succeeded", State(await f.ArmAsync(HttpMethod.Get, Deployment + Api)));

        linked["properties"]!["templateLink"]!["uri"] = "https://templates.example/missing.json";
        var refused = await f.ArmAsync(HttpMethod.Put, Group + "/providers/Microsoft.Resources/deployments/dr2" + Api, linked);
        Assert.Equal(400, refused.Status);
        Assert.Equal("InvalidContentLink", refused.ErrorCode);
    }

    [Theory]
    [InlineData("[parameters('nope')]", "nope")]
    [InlineData("[concat('a', ]", "not valid")]
    public async Task An_invalid_template_is_refused_when_sent_and_no_deployment_is_made(string expression, string named)
    {
        var (f, _) = await StartAsync();
        await using var __ = f;
        var template = JsonNode.Parse(Template)!.AsObject();
        template["resources"]![1]!["name"] = expression;

        var refused = await f.ArmAsync(HttpMethod.Put, Deployment + Api, Body(template));

        Assert.Equal((400, "InvalidTemplate"), (refused.Status, refused.ErrorCode));
        Assert.Contains(named, refused.Json!["error"]!["message"]!.GetValue<string>());
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Deployment + Api)).Status);
        Assert.Empty(f.Server.Query(s => s.Arm.Under(Group.Replace("resourcegroups", "resourceGroups"))));
    }

    [Theory]
    [InlineData("[reference('x').foo]", "reference")]
    public async Task What_the_fabric_does_not_model_fails_the_deployment_without_creating_anything(string expression, string named)
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var template = JsonNode.Parse(Template)!.AsObject();
        template["resources"]![1]!["name"] = expression;
        var accepted = await f.ArmAsync(HttpMethod.Put, Deployment + Api, Body(template));
        Assert.Equal(201, accepted.Status);
        clock.Advance(TimeSpan.FromSeconds(6));
        var status = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Azure-AsyncOperation")!));
        Assert.Equal("Failed", status.Json!["status"]!.GetValue<string>());
        var deployment = await f.ArmAsync(HttpMethod.Get, Deployment + Api);
        Assert.Equal("Failed", State(deployment));
        Assert.Equal("InvalidTemplate", deployment.Json!["properties"]!["error"]!["code"]!.GetValue<string>());
        Assert.Contains(named, deployment.Json["properties"]!["error"]!["message"]!.GetValue<string>());
        Assert.Equal(1, f.Server.Query(s => s.Arm.Under(Group.Replace("resourcegroups", "resourceGroups")).Count()));
    }

    [Fact]
    public async Task A_missing_parameter_is_refused_and_unknown_types_and_complete_mode_fail_clearly()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        async Task<string> Fail(JsonObject body, string name)
        {
            await f.ArmAsync(HttpMethod.Put, Group + "/providers/Microsoft.Resources/deployments/" + name + Api, body);
            clock.Advance(TimeSpan.FromSeconds(6));
            var reply = await f.ArmAsync(HttpMethod.Get, Group + "/providers/Microsoft.Resources/deployments/" + name + Api);
            Assert.Equal("Failed", State(reply));
            return reply.Json!["properties"]!["error"]!["message"]!.GetValue<string>();
        }
        var missing = await f.ArmAsync(HttpMethod.Put, Group + "/providers/Microsoft.Resources/deployments/d1" + Api, Body(JsonNode.Parse(Template)!, new JsonObject()));
        Assert.Equal((400, "InvalidTemplate"), (missing.Status, missing.ErrorCode));
        Assert.Contains("appName", missing.Json!["error"]!["message"]!.GetValue<string>());
        var unknownType = JsonNode.Parse(Template)!.AsObject();
        unknownType["resources"]![1]!["type"] = "Microsoft.Cache/redis";
        Assert.Contains("Microsoft.Cache/redis", await Fail(Body(unknownType), "d2"));
        var complete = Body(JsonNode.Parse(Template)!);
        complete["properties"]!["mode"] = "Complete";
        Assert.Contains("Complete", await Fail(complete, "d3"));
    }

    [Fact]
    public void Unique_string_is_deterministic_thirteen_lowercase_characters()
    {
        var a = TemplateExpressions.UniqueString(new[] { "x", "y" });
        Assert.Equal(a, TemplateExpressions.UniqueString(new[] { "x", "y" }));
        Assert.NotEqual(a, TemplateExpressions.UniqueString(new[] { "x", "z" }));
        Assert.Matches("^[a-z2-7]{13}$", a);
    }
}
