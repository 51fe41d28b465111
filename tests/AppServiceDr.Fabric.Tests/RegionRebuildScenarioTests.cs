using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Graph;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// The region-rebuild path walked by hand against the fabric: the services must fit together the
/// way the runbook will use them (outage, new group, template, geo-restore, Entra, DNS, restart).
/// </summary>
public sealed class RegionRebuildScenarioTests
{
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers";
    private static readonly string East = $"/subscriptions/{Sub}/resourceGroups/rg-east/providers";
    private const string AppId = "5e5e5e5e-0000-4000-8000-000000000001";

    private static string ConnectionString(string server) => $"Server=tcp:{server}.database.windows.net,1433;Initial Catalog=appdb;Encrypt=True;";

    [Fact]
    public async Task Rebuilding_in_the_paired_region_brings_the_app_back()
    {
        var clock = new ManualClock();
        var start = clock.GetUtcNow();
        await using var f = await TestFabric.StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.OperationMs = 4000;
            o.Timings.DatabaseOnlineMs = 10_000;
            o.Timings.SiteWarmupMs = 1000;
        });
        f.Server.Control(s =>
        {
            SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
            SqlProvider.SeedDatabase(s, West + "/Microsoft.Sql/servers/sql-west", "appdb", lastGeoBackup: clock.GetUtcNow().AddMinutes(-25));
            WebProvider.SeedSite(s, Sub, "rg-west", "shop-west", "westus", new[] { new KeyValuePair<string, string>("SQL", ConnectionString("sql-west")) });
            GraphProvider.SeedApplication(s, AppId, "shop", new[] { "https://shop-west.web.fabric.test/auth" });
            Resources.ResourceGroupsProvider.Seed(s, Sub, "rg-net", "westus");
        });
        var zone = $"/subscriptions/{Sub}/resourceGroups/rg-net/providers/Microsoft.Network/dnsZones/contoso.com";
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, zone + "?api-version=2018-05-01", new JsonObject { ["location"] = "global" })).Status);
        Uri Health(string site) => new Uri("https://" + f.Server.SiteHostName(site) + "/");
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, Health("shop-west"), authenticate: false)).Status);

        f.Server.Faults.SetRegionOutage("westus", true);
        Assert.Equal(503, (await f.SendAsync(HttpMethod.Get, Health("shop-west"), authenticate: false)).Status);
        var before = f.Server.Log.Entries.Count;

        // 1. Target resource group. 2. Template, and the geo-restore as soon as the server exists.
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, $"/subscriptions/{Sub}/resourcegroups/rg-east?api-version=2022-09-01", new JsonObject { ["location"] = "eastus" })).Status);
        var template = JsonNode.Parse($$"""
        {
          "resources": [
            { "type": "Microsoft.Sql/servers", "name": "sql-east", "location": "[resourceGroup().location]", "properties": { "administratorLogin": "dr" } },
            { "type": "Microsoft.Web/serverfarms", "name": "plan-east", "location": "[resourceGroup().location]", "sku": { "name": "P1v3" } },
            { "type": "Microsoft.Web/sites", "name": "shop-east", "location": "[resourceGroup().location]",
              "dependsOn": [ "[resourceId('Microsoft.Web/serverfarms', 'plan-east')]" ],
              "properties": { "siteConfig": { "appSettings": [ { "name": "SQL", "value": "{{ConnectionString("sql-east")}}" } ] } } }
          ]
        }
        """);
        var deployment = await f.ArmAsync(HttpMethod.Put, $"/subscriptions/{Sub}/resourcegroups/rg-east/providers/Microsoft.Resources/deployments/rebuild?api-version=2022-09-01",
            new JsonObject { ["properties"] = new JsonObject { ["template"] = template, ["mode"] = "Incremental" } });
        Assert.Equal(201, deployment.Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, East + "/Microsoft.Sql/servers/sql-east?api-version=2023-08-01")).Status);
        var recoverable = (await f.ArmAsync(HttpMethod.Get, West + "/Microsoft.Sql/servers/sql-west/recoverableDatabases?api-version=2023-08-01")).Json!["value"]![0]!;
        var restore = await f.ArmAsync(HttpMethod.Put, East + "/Microsoft.Sql/servers/sql-east/databases/appdb?api-version=2023-08-01", new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "Recovery", ["sourceDatabaseId"] = recoverable["id"]!.GetValue<string>() },
        });
        Assert.Equal(202, restore.Status);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("Succeeded", (await f.SendAsync(HttpMethod.Get, new Uri(deployment.Header("Azure-AsyncOperation")!))).Json!["status"]!.GetValue<string>());
        var waiting = await f.SendAsync(HttpMethod.Get, Health("shop-east"), authenticate: false);
        Assert.Equal(503, waiting.Status);
        Assert.Contains("'appdb' on server 'sql-east'", waiting.Text);

        // 3. Entra redirect URIs merged by the caller (PATCH replaces). 4. DNS. 5. Restart and verify.
        var app = (await f.SendAsync(HttpMethod.Get, new Uri(f.Server.GraphEndpoint, $"v1.0/applications(appId='{AppId}')"))).Json!;
        var uris = app["spa"]!["redirectUris"]!.AsArray().Select(u => u!.GetValue<string>()).Append("https://shop-east.web.fabric.test/auth").ToArray();
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Patch, new Uri(f.Server.GraphEndpoint, $"v1.0/applications(appId='{AppId}')"),
            new JsonObject { ["spa"] = new JsonObject { ["redirectUris"] = new JsonArray(uris.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray()) } })).Status);
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, zone + "/CNAME/www?api-version=2018-05-01",
            new JsonObject { ["properties"] = new JsonObject { ["TTL"] = 300, ["CNAMERecord"] = new JsonObject { ["cname"] = f.Server.SiteHostName("shop-east") } } })).Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Post, East + "/Microsoft.Web/sites/shop-east/restart?api-version=2024-04-01&synchronous=true")).Status);
        Assert.Equal(503, (await f.SendAsync(HttpMethod.Get, Health("shop-east"), authenticate: false)).Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, Health("shop-east"), authenticate: false)).Status);

        var restored = f.Server.Query(s => s.Arm.Find(East + "/Microsoft.Sql/servers/sql-east/databases/appdb")!.Get<DateTimeOffset>("dataAsOf"));
        Assert.Equal(start.AddMinutes(-25), restored);
        var changes = f.Server.Log.Entries.Skip(before).Where(e => e.Succeeded).Select(e => e.Method + " " + e.Path).ToList();
        Assert.Equal(changes.Distinct().Count(), changes.Count);
        Assert.Equal(6, changes.Count);
    }
}
