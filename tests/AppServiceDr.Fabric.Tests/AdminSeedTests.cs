using System;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace AppServiceDr.Fabric.Tests;

/// <summary>Seeding over the HTTP admin surface, as standalone runs do it.</summary>
public sealed class AdminSeedTests
{
    private static readonly string Sub = TestFabric.Subscription;

    [Fact]
    public async Task Every_seed_endpoint_creates_what_the_service_apis_then_return()
    {
        await using var f = await TestFabric.StartAsync();
        async Task Seed(string path, JsonObject body) => Assert.Equal(204, (await f.SendAsync(HttpMethod.Put, f.ArmUri("/_fabric/seed/" + path), body)).Status);
        await Seed($"resourceGroups/{Sub}/rg1", new JsonObject { ["location"] = "westus" });
        await Seed($"sql/{Sub}/rg1/sql1", new JsonObject { ["location"] = "westus" });
        await Seed($"sql/{Sub}/rg1/sql1/db1", new JsonObject { ["lastAvailableBackupDate"] = "2026-01-02T03:04:05Z" });
        await Seed($"sites/{Sub}/rg1/app1", new JsonObject
        {
            ["location"] = "westus",
            ["appSettings"] = new JsonObject { ["A"] = "1" },
            ["databaseId"] = $"/subscriptions/{Sub}/resourceGroups/rg1/providers/Microsoft.Sql/servers/sql1/databases/db1",
            ["healthPath"] = "/health",
        });
        await Seed($"storage/{Sub}/rg1/st1", new JsonObject { ["location"] = "westus", ["sku"] = "Standard_RAGRS" });
        await Seed("applications/app-id-1", new JsonObject { ["displayName"] = "app", ["spa"] = new JsonObject { ["redirectUris"] = new JsonArray("https://a.example/") } });
        await Seed("vaults/kv1", new JsonObject { ["location"] = "westus" });
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Put, f.ArmUri("/_fabric/templates?uri=" + Uri.EscapeDataString("https://t.example/a.json")), new JsonObject { ["resources"] = new JsonArray() })).Status);

        var rg = $"/subscriptions/{Sub}/resourceGroups/rg1/providers";
        var recoverable = await f.ArmAsync(HttpMethod.Get, rg + "/Microsoft.Sql/servers/sql1/recoverableDatabases/db1?api-version=2023-08-01");
        Assert.Equal("2026-01-02T03:04:05.000Z", recoverable.Json!["properties"]!["lastAvailableBackupDate"]!.GetValue<string>());
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, new Uri("https://" + f.Server.SiteHostName("app1") + "/health"), authenticate: false)).Status);
        Assert.Equal("1", (await f.ArmAsync(HttpMethod.Post, rg + "/Microsoft.Web/sites/app1/config/appsettings/list?api-version=2024-04-01")).Json!["properties"]!["A"]!.GetValue<string>());
        Assert.Equal("Standard_RAGRS", (await f.ArmAsync(HttpMethod.Get, rg + "/Microsoft.Storage/storageAccounts/st1?api-version=2024-01-01")).Json!["sku"]!["name"]!.GetValue<string>());
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, new Uri(f.Server.GraphEndpoint, "v1.0/applications(appId='app-id-1')"))).Status);
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Put, new Uri(f.Server.VaultUri("kv1"), "secrets/x?api-version=7.5"), new JsonObject { ["value"] = "v" })).Status);
        var deployment = await f.ArmAsync(HttpMethod.Put, $"/subscriptions/{Sub}/resourcegroups/rg1/providers/Microsoft.Resources/deployments/d1?api-version=2022-09-01", new JsonObject
        {
            ["properties"] = new JsonObject { ["templateLink"] = new JsonObject { ["uri"] = "https://t.example/a.json" }, ["mode"] = "Incremental" },
        });
        Assert.Equal(201, deployment.Status);
        Assert.DoesNotContain(f.Server.Log.Entries, e => e.Path.StartsWith("/_fabric", StringComparison.Ordinal));
    }
}
