using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Network;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Tests;

public sealed class NetworkTests
{
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string Profile = $"/subscriptions/{Sub}/resourceGroups/rg-net/providers/Microsoft.Network/trafficManagerProfiles/shop-tm";
    private const string TmApi = "?api-version=2022-04-01";
    private static readonly string Zone = $"/subscriptions/{Sub}/resourceGroups/rg-net/providers/Microsoft.Network/dnsZones/contoso.com";
    private const string DnsApi = "?api-version=2018-05-01";

    private readonly ManualClock _clock = new ManualClock();

    private async Task<TestFabric> StartAsync()
    {
        var fabric = await TestFabric.StartAsync(o => o.Time = _clock);
        fabric.Server.Control(s =>
        {
            Resources.ResourceGroupsProvider.Seed(s, Sub, "rg-net", "westus");
            WebProvider.SeedSite(s, Sub, "rg-west", "shop-west", "westus");
            WebProvider.SeedSite(s, Sub, "rg-east", "shop-east", "eastus");
        });
        return fabric;
    }

    private static JsonObject Endpoint(string name, string target, int? priority = null)
    {
        var properties = new JsonObject { ["target"] = target, ["endpointStatus"] = "Enabled" };
        if (priority != null)
        {
            properties["priority"] = priority;
        }
        return new JsonObject { ["name"] = name, ["type"] = "Microsoft.Network/trafficManagerProfiles/externalEndpoints", ["properties"] = properties };
    }

    private static JsonObject ProfileBody(params JsonObject[] endpoints) => new JsonObject
    {
        ["location"] = "global",
        ["properties"] = new JsonObject
        {
            ["profileStatus"] = "Enabled",
            ["trafficRoutingMethod"] = "Priority",
            ["dnsConfig"] = new JsonObject { ["relativeName"] = "shop-tm", ["ttl"] = 30 },
            ["monitorConfig"] = new JsonObject { ["protocol"] = "HTTPS", ["port"] = 443, ["path"] = "/" },
            ["endpoints"] = new JsonArray(endpoints.Select(e => (JsonNode?)e).ToArray()),
        },
    };

    private string ActiveTarget(TestFabric f) =>
        f.Server.Query(s => TrafficManagerProvider.ActiveEndpoint(s, s.Arm.Find(Profile)!)?["properties"]?["target"]?.GetValue<string>())!;

    [Fact]
    public async Task Priority_profile_routes_to_the_first_healthy_endpoint_and_priorities_can_be_changed()
    {
        await using var f = await StartAsync();
        var put = await f.ArmAsync(HttpMethod.Put, Profile + TmApi, ProfileBody(Endpoint("west", "shop-west.web.fabric.test"), Endpoint("east", "shop-east.web.fabric.test")));
        Assert.Equal(201, put.Status);
        var endpoints = put.Json!["properties"]!["endpoints"]!.AsArray();
        Assert.Equal(new[] { 1, 2 }, endpoints.Select(e => e!["properties"]!["priority"]!.GetValue<int>()));
        // New endpoints are checked before their first probe answers; then they report their health.
        Assert.All(endpoints, e => Assert.Equal("CheckingEndpoint", e!["properties"]!["endpointMonitorStatus"]!.GetValue<string>()));
        Assert.Equal("CheckingEndpoints", put.Json["properties"]!["monitorConfig"]!["profileMonitorStatus"]!.GetValue<string>());
        _clock.Advance(TimeSpan.FromMilliseconds(f.Server.Timings.TrafficManagerProbeMs));
        var probed = await f.ArmAsync(HttpMethod.Get, Profile + TmApi);
        Assert.All(probed.Json!["properties"]!["endpoints"]!.AsArray(), e => Assert.Equal("Online", e!["properties"]!["endpointMonitorStatus"]!.GetValue<string>()));
        Assert.Equal("Online", probed.Json["properties"]!["monitorConfig"]!["profileMonitorStatus"]!.GetValue<string>());
        Assert.Equal("shop-tm.trafficmanager.fabric.test", put.Json["properties"]!["dnsConfig"]!["fqdn"]!.GetValue<string>());
        Assert.Equal("shop-west.web.fabric.test", ActiveTarget(f));

        // The west region goes down: its endpoint degrades and traffic moves to east.
        f.Server.Faults.SetRegionOutage("westus", true);
        var west = await f.ArmAsync(HttpMethod.Get, Profile + "/externalEndpoints/west" + TmApi);
        Assert.Equal("Degraded", west.Json!["properties"]!["endpointMonitorStatus"]!.GetValue<string>());
        Assert.Equal("shop-east.web.fabric.test", ActiveTarget(f));
        f.Server.Faults.SetRegionOutage("westus", false);

        // Making east the active priority: a duplicate priority is refused, a swap is accepted.
        var clash = await f.ArmAsync(HttpMethod.Patch, Profile + "/externalEndpoints/east" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["priority"] = 1 } });
        Assert.Equal(400, clash.Status);
        Assert.Equal(2, (await f.ArmAsync(HttpMethod.Get, Profile + "/externalEndpoints/east" + TmApi)).Json!["properties"]!["priority"]!.GetValue<int>());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Patch, Profile + "/externalEndpoints/west" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["priority"] = 10 } })).Status);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Patch, Profile + "/externalEndpoints/east" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["priority"] = 1 } })).Status);
        Assert.Equal("shop-east.web.fabric.test", ActiveTarget(f));

        var disabled = await f.ArmAsync(HttpMethod.Patch, Profile + "/externalEndpoints/east" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["endpointStatus"] = "Disabled" } });
        Assert.Equal("Disabled", disabled.Json!["properties"]!["endpointMonitorStatus"]!.GetValue<string>());
        Assert.Equal("shop-west.web.fabric.test", ActiveTarget(f));
        var enabled = await f.ArmAsync(HttpMethod.Patch, Profile + "/externalEndpoints/east" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["endpointStatus"] = "Enabled" } });
        Assert.Equal("CheckingEndpoint", enabled.Json!["properties"]!["endpointMonitorStatus"]!.GetValue<string>());
        Assert.Equal("shop-east.web.fabric.test", ActiveTarget(f));
    }

    [Fact]
    public async Task Stopped_apps_disabled_profiles_and_all_degraded_endpoints_report_as_traffic_manager_does()
    {
        await using var f = await StartAsync();
        await f.ArmAsync(HttpMethod.Put, Profile + TmApi, ProfileBody(Endpoint("west", "shop-west.web.fabric.test"), Endpoint("east", "shop-east.web.fabric.test")));
        _clock.Advance(TimeSpan.FromSeconds(1));
        async Task<string> Status(string endpoint) =>
            (await f.ArmAsync(HttpMethod.Get, Profile + "/externalEndpoints/" + endpoint + TmApi)).Json!["properties"]!["endpointMonitorStatus"]!.GetValue<string>();

        f.Server.Control(s => WebProvider.Runtime(s.Arm.Find($"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Web/sites/shop-west")!).Running = false);
        Assert.Equal("Stopped", await Status("west"));
        Assert.Equal("shop-east.web.fabric.test", ActiveTarget(f));

        // Every endpoint degraded: all are answered again, so priority routing picks the first.
        f.Server.Faults.SetRegionOutage("eastus", true);
        f.Server.Control(s => WebProvider.Runtime(s.Arm.Find($"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Web/sites/shop-west")!).Running = true);
        f.Server.Faults.SetRegionOutage("westus", true);
        Assert.Equal(("Degraded", "Degraded"), (await Status("west"), await Status("east")));
        Assert.Equal("shop-west.web.fabric.test", ActiveTarget(f));
        Assert.Equal("Degraded", (await f.ArmAsync(HttpMethod.Get, Profile + TmApi)).Json!["properties"]!["monitorConfig"]!["profileMonitorStatus"]!.GetValue<string>());

        var off = await f.ArmAsync(HttpMethod.Patch, Profile + TmApi, new JsonObject { ["properties"] = new JsonObject { ["profileStatus"] = "Disabled" } });
        Assert.Equal("Inactive", off.Json!["properties"]!["endpoints"]![0]!["properties"]!["endpointMonitorStatus"]!.GetValue<string>());
        Assert.Equal("Disabled", off.Json["properties"]!["monitorConfig"]!["profileMonitorStatus"]!.GetValue<string>());
    }

    [Fact]
    public async Task Endpoints_can_be_added_and_removed_individually()
    {
        await using var f = await StartAsync();
        await f.ArmAsync(HttpMethod.Put, Profile + TmApi, ProfileBody(Endpoint("west", "shop-west.web.fabric.test", 1)));
        var added = await f.ArmAsync(HttpMethod.Put, Profile + "/externalEndpoints/east" + TmApi, new JsonObject { ["properties"] = new JsonObject { ["target"] = "shop-east.web.fabric.test" } });
        Assert.Equal(201, added.Status);
        Assert.Equal(2, added.Json!["properties"]!["priority"]!.GetValue<int>());
        Assert.EndsWith("/externalEndpoints/east", added.Json["id"]!.GetValue<string>());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Delete, Profile + "/externalEndpoints/west" + TmApi)).Status);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Profile + "/externalEndpoints/west" + TmApi)).Status);
        Assert.Single((await f.ArmAsync(HttpMethod.Get, Profile + TmApi)).Json!["properties"]!["endpoints"]!.AsArray());
    }

    [Fact]
    public async Task Dns_zone_with_a_cname_record_set_and_conditional_writes()
    {
        await using var f = await StartAsync();
        Assert.Equal("ParentResourceNotFound", (await f.ArmAsync(HttpMethod.Put, Zone + "/CNAME/www" + DnsApi, new JsonObject { ["properties"] = new JsonObject { ["TTL"] = 60, ["CNAMERecord"] = new JsonObject { ["cname"] = "x" } } })).ErrorCode);
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, Zone + DnsApi, new JsonObject { ["location"] = "global" })).Status);
        var record = new JsonObject { ["properties"] = new JsonObject { ["TTL"] = 300, ["CNAMERecord"] = new JsonObject { ["cname"] = "shop-west.web.fabric.test" } } };
        var created = await f.ArmAsync(HttpMethod.Put, Zone + "/CNAME/www" + DnsApi, record);
        Assert.Equal(201, created.Status);
        Assert.Equal("www.contoso.com.", created.Json!["properties"]!["fqdn"]!.GetValue<string>());
        Assert.Equal(300, created.Json["properties"]!["TTL"]!.GetValue<int>());

        record["properties"]!["CNAMERecord"]!["cname"] = "shop-east.web.fabric.test";
        using var conditional = new HttpRequestMessage(HttpMethod.Put, f.ArmUri(Zone + "/CNAME/www" + DnsApi)) { Content = new StringContent(record.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        conditional.Headers.TryAddWithoutValidation("If-Match", "\"stale\"");
        Assert.Equal(412, (int)(await f.Http.SendAsync(conditional)).StatusCode);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, Zone + "/CNAME/www" + DnsApi, record)).Status);
        Assert.Equal("shop-east.web.fabric.test", (await f.ArmAsync(HttpMethod.Get, Zone + "/CNAME/www" + DnsApi)).Json!["properties"]!["CNAMERecord"]!["cname"]!.GetValue<string>());
        Assert.Single((await f.ArmAsync(HttpMethod.Get, Zone + "/recordsets" + DnsApi)).Json!["value"]!.AsArray());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Delete, Zone + "/CNAME/www" + DnsApi)).Status);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Zone + "/CNAME/www" + DnsApi)).Status);
    }
}
