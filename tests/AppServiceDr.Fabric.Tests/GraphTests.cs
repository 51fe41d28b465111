using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Graph;

namespace AppServiceDr.Fabric.Tests;

public sealed class GraphTests
{
    private const string AppId = "0d4b2e3a-1111-4c4c-9d9d-0123456789ab";

    private static async Task<TestFabric> StartAsync()
    {
        var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s => GraphProvider.SeedApplication(s, AppId, "shop-spa", new[] { "https://shop.example.com/auth" }, new[] { "https://shop.example.com/signin-oidc" }));
        return fabric;
    }

    private static Uri Graph(TestFabric f, string path) => new Uri(f.Server.GraphEndpoint, path);

    private static string[] Uris(JsonNode app, string section) =>
        app[section]!["redirectUris"]!.AsArray().Select(u => u!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Application_is_found_by_app_id_key_and_by_filter()
    {
        await using var f = await StartAsync();
        var byKey = await f.SendAsync(HttpMethod.Get, Graph(f, $"v1.0/applications(appId='{AppId}')"));
        Assert.Equal(200, byKey.Status);
        Assert.Equal(new[] { "https://shop.example.com/auth" }, Uris(byKey.Json!, "spa"));
        var byFilter = await f.SendAsync(HttpMethod.Get, Graph(f, $"v1.0/applications?$filter=appId eq '{AppId}'"));
        Assert.Equal(byKey.Json!["id"]!.GetValue<string>(), byFilter.Json!["value"]!.AsArray().Single()!["id"]!.GetValue<string>());
        var byId = await f.SendAsync(HttpMethod.Get, Graph(f, "v1.0/applications/" + byKey.Json["id"]!.GetValue<string>()));
        Assert.Equal(AppId, byId.Json!["appId"]!.GetValue<string>());

        Assert.Empty((await f.SendAsync(HttpMethod.Get, Graph(f, "v1.0/applications?$filter=appId eq 'other'"))).Json!["value"]!.AsArray());
        var missing = await f.SendAsync(HttpMethod.Get, Graph(f, "v1.0/applications(appId='other')"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("Request_ResourceNotFound", missing.ErrorCode);
        Assert.Equal(400, (await f.SendAsync(HttpMethod.Get, Graph(f, "v1.0/applications?$filter=startswith(displayName,'s')"))).Status);
    }

    [Fact]
    public async Task Patch_replaces_the_redirect_uri_collections_it_names()
    {
        await using var f = await StartAsync();
        var patch = await f.SendAsync(HttpMethod.Patch, Graph(f, $"v1.0/applications(appId='{AppId}')"), new JsonObject
        {
            ["spa"] = new JsonObject { ["redirectUris"] = new JsonArray("https://shop-dr.web.fabric.test/auth") },
        });
        Assert.Equal(204, patch.Status);
        Assert.Equal("", patch.Text);
        var app = (await f.SendAsync(HttpMethod.Get, Graph(f, $"v1.0/applications(appId='{AppId}')"))).Json!;
        Assert.Equal(new[] { "https://shop-dr.web.fabric.test/auth" }, Uris(app, "spa"));
        Assert.Equal(new[] { "https://shop.example.com/signin-oidc" }, Uris(app, "web"));

        var invalid = await f.SendAsync(HttpMethod.Patch, Graph(f, $"v1.0/applications(appId='{AppId}')"), new JsonObject
        {
            ["web"] = new JsonObject { ["redirectUris"] = new JsonArray("http://insecure.example.com/") },
        });
        Assert.Equal(400, invalid.Status);
        Assert.Equal(1, f.Server.Log.CountSucceeded("PATCH", "/v1.0/applications"));
    }
}
