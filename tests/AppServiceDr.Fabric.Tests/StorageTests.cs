using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Storage;

namespace AppServiceDr.Fabric.Tests;

public sealed class StorageTests
{
    private const string Api = "?api-version=2024-01-01";
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string AccountPath = $"/subscriptions/{Sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stdata";

    private static async Task<(TestFabric Fabric, ManualClock Clock)> StartAsync(string sku = "Standard_GRS")
    {
        var clock = new ManualClock();
        var fabric = await TestFabric.StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.OperationMs = 10_000;
        });
        fabric.Server.Control(s => StorageProvider.SeedAccount(s, Sub, "rg-data", "stdata", "westus", sku, clock.GetUtcNow().AddMinutes(-12)));
        return (fabric, clock);
    }

    private static JsonNode Props(Reply r) => r.Json!["properties"]!;

    [Fact]
    public async Task Create_answers_202_with_location_and_polls_to_the_account()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var path = $"/subscriptions/{Sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stnew" + Api;
        var accepted = await f.ArmAsync(HttpMethod.Put, path, new JsonObject
        {
            ["sku"] = new JsonObject { ["name"] = "Standard_RAGRS" },
            ["kind"] = "StorageV2",
            ["location"] = "westus",
            ["properties"] = new JsonObject { ["minimumTlsVersion"] = "TLS1_2", ["allowBlobPublicAccess"] = false },
            ["tags"] = new JsonObject { ["env"] = "dr" },
        });
        Assert.Equal(202, accepted.Status);
        Assert.Null(accepted.Header("Azure-AsyncOperation"));
        Assert.NotNull(accepted.Header("Retry-After"));
        Assert.Equal(202, (await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!))).Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        var done = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!));
        Assert.Equal(200, done.Status);
        Assert.Equal("Succeeded", Props(done)["provisioningState"]!.GetValue<string>());
        Assert.Equal("eastus", Props(done)["secondaryLocation"]!.GetValue<string>());
        Assert.NotNull(Props(done)["secondaryEndpoints"]);
        Assert.Equal("dr", done.Json!["tags"]!["env"]!.GetValue<string>());
    }

    [Fact]
    public async Task Geo_replication_stats_are_returned_only_when_expanded()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        Assert.Null(Props(await f.ArmAsync(HttpMethod.Get, AccountPath + Api))["geoReplicationStats"]);
        var stats = Props(await f.ArmAsync(HttpMethod.Get, AccountPath + Api + "&$expand=geoReplicationStats"))["geoReplicationStats"]!;
        Assert.True(stats["canFailover"]!.GetValue<bool>());
        Assert.True(stats["canPlannedFailover"]!.GetValue<bool>());
        Assert.Equal(Arm.Iso(clock.GetUtcNow().AddMinutes(-12)), stats["lastSyncTime"]!.GetValue<string>());
        Assert.Equal("Standard_LRS", stats["postFailoverRedundancy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unplanned_failover_during_a_primary_outage_leaves_the_account_locally_redundant()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        f.Server.Faults.SetRegionOutage("westus", true);
        var during = await f.ArmAsync(HttpMethod.Get, AccountPath + Api + "&$expand=geoReplicationStats");
        Assert.Equal(200, during.Status);
        Assert.Equal("unavailable", Props(during)["statusOfPrimary"]!.GetValue<string>());
        Assert.False(Props(during)["geoReplicationStats"]!["canPlannedFailover"]!.GetValue<bool>());

        var planned = await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api + "&failoverType=Planned");
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(500, (await f.SendAsync(HttpMethod.Get, new Uri(planned.Header("Location")!))).Status);

        var accepted = await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api);
        Assert.Equal(202, accepted.Status);
        Assert.Contains("/providers/Microsoft.Storage/locations/eastus/asyncoperations/", accepted.Header("Location"));
        Assert.Equal(409, (await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api)).Status);
        var running = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);
        Assert.True(Props(running)["failoverInProgress"]!.GetValue<bool>());
        Assert.Equal("westus", Props(running)["primaryLocation"]!.GetValue<string>());
        Assert.Null(Props(running)["lastGeoFailoverTime"]);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!))).Status);
        var after = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);
        Assert.Equal("Standard_LRS", after.Json!["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("westus", after.Json["location"]!.GetValue<string>());          // the region it was created in, for good
        Assert.Equal("eastus", Props(after)["primaryLocation"]!.GetValue<string>());
        Assert.Equal("available", Props(after)["statusOfPrimary"]!.GetValue<string>());
        Assert.Null(Props(after)["secondaryLocation"]);
        Assert.Null(Props(after)["statusOfSecondary"]);
        Assert.Null(Props(after)["failoverInProgress"]);
        Assert.Equal(Arm.Iso(clock.GetUtcNow()), Props(after)["lastGeoFailoverTime"]!.GetValue<string>());
        Assert.Null(Props(await f.ArmAsync(HttpMethod.Get, AccountPath + Api + "&$expand=geoReplicationStats"))["geoReplicationStats"]);
        Assert.Equal(400, (await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api)).Status);
    }

    [Theory]
    [InlineData("Standard_RAGRS")]
    [InlineData("Standard_GZRS")]
    [InlineData("Standard_RAGZRS")]
    public async Task Every_geo_redundant_sku_is_locally_redundant_after_an_unplanned_failover(string sku)
    {
        var (f, clock) = await StartAsync(sku);
        await using var _ = f;
        var stats = Props(await f.ArmAsync(HttpMethod.Get, AccountPath + Api + "&$expand=geoReplicationStats"))["geoReplicationStats"]!;
        Assert.Equal("Standard_LRS", stats["postFailoverRedundancy"]!.GetValue<string>());
        Assert.Equal(sku, stats["postPlannedFailoverRedundancy"]!.GetValue<string>());

        await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api);
        clock.Advance(TimeSpan.FromSeconds(10));

        var after = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);
        Assert.Equal("Standard_LRS", after.Json!["sku"]!["name"]!.GetValue<string>());
        Assert.Null(Props(after)["secondaryEndpoints"]);
        Assert.Equal(("westus", "eastus"), (after.Json["location"]!.GetValue<string>(), Props(after)["primaryLocation"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Planned_failover_swaps_regions_and_stays_geo_redundant()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        Assert.Null(Props(await f.ArmAsync(HttpMethod.Get, AccountPath + Api))["failoverInProgress"]);
        var accepted = await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api + "&failoverType=Planned");
        var during = await f.ArmAsync(HttpMethod.Get, AccountPath + Api + "&$expand=geoReplicationStats");
        Assert.True(Props(during)["failoverInProgress"]!.GetValue<bool>());
        Assert.Equal("westus", during.Json!["location"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromSeconds(10));
        await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!));
        var after = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);
        Assert.Null(Props(after)["failoverInProgress"]);
        Assert.Equal("Standard_GRS", after.Json!["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("westus", after.Json["location"]!.GetValue<string>());
        Assert.Equal("eastus", Props(after)["primaryLocation"]!.GetValue<string>());
        Assert.Equal("westus", Props(after)["secondaryLocation"]!.GetValue<string>());
        Assert.Equal(Arm.Iso(clock.GetUtcNow()), Props(after)["lastGeoFailoverTime"]!.GetValue<string>());
        Assert.Equal(1, f.Server.Log.CountSucceeded("POST", "/failover"));

        // Failing back is the same request: the regions swap again.
        await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api + "&failoverType=Planned");
        clock.Advance(TimeSpan.FromSeconds(10));
        var back = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);
        Assert.Equal(("westus", "eastus"), (Props(back)["primaryLocation"]!.GetValue<string>(), Props(back)["secondaryLocation"]!.GetValue<string>()));
    }

    [Fact]
    public async Task After_a_failover_an_outage_of_the_region_the_account_was_created_in_no_longer_touches_it()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api);
        clock.Advance(TimeSpan.FromSeconds(10));
        f.Server.Faults.SetRegionOutage("westus", true);

        var after = await f.ArmAsync(HttpMethod.Get, AccountPath + Api);

        Assert.Equal(200, after.Status);
        Assert.Equal("available", Props(after)["statusOfPrimary"]!.GetValue<string>());
        f.Server.Faults.SetRegionOutage("eastus", true);
        Assert.Equal(503, (await f.ArmAsync(HttpMethod.Get, AccountPath + Api)).Status);
    }

    [Fact]
    public async Task Locally_redundant_accounts_cannot_fail_over_and_answer_503_in_an_outage()
    {
        var (f, _) = await StartAsync("Standard_LRS");
        await using var __ = f;
        Assert.Equal("FailoverNotSupported", (await f.ArmAsync(HttpMethod.Post, AccountPath + "/failover" + Api)).ErrorCode);
        f.Server.Faults.SetRegionOutage("westus", true);
        Assert.Equal(503, (await f.ArmAsync(HttpMethod.Get, AccountPath + Api)).Status);
    }

    [Fact]
    public async Task List_keys_returns_two_full_keys_and_is_not_a_mutation()
    {
        var (f, _) = await StartAsync();
        await using var __ = f;
        var keys = await f.ArmAsync(HttpMethod.Post, AccountPath + "/listKeys" + Api);
        var array = keys.Json!["keys"]!.AsArray();
        Assert.Equal(new[] { "key1", "key2" }, array.Select(k => k!["keyName"]!.GetValue<string>()));
        Assert.All(array, k => Assert.Equal(64, Convert.FromBase64String(k!["value"]!.GetValue<string>()).Length));
        Assert.Empty(f.Server.Log.Entries);
    }
}
