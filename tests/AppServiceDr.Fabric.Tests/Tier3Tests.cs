using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Health;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Tests;

/// <summary>The state changes behind the tier 3 setup, the alert rules and the triage, as the specifications and the
/// service documentation describe them.</summary>
public sealed class Tier3Tests
{
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
    private static readonly string WestTwo = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west2";
    private static readonly string East = $"/subscriptions/{Sub}/resourceGroups/rg-east/providers/Microsoft.Sql/servers/sql-east";
    private static readonly string Account = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Storage/storageAccounts/stwest";

    private static async Task<(TestFabric Fabric, ManualClock Clock)> StartAsync()
    {
        var clock = new ManualClock();
        var fabric = await TestFabric.StartAsync(o => o.Time = clock);
        fabric.Server.Control(s =>
        {
            SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
            SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west2", "westus");
            SqlProvider.SeedServer(s, Sub, "rg-east", "sql-east", "eastus");
            SqlProvider.SeedDatabase(s, West, "appdb");
            StorageProvider.SeedAccount(s, Sub, "rg-west", "stwest", "westus", "Standard_GRS");
        });
        return (fabric, clock);
    }

    private static JsonObject Group(string partner, string policy = "Automatic", int? grace = 60)
    {
        var readWrite = new JsonObject { ["failoverPolicy"] = policy };
        if (grace != null) readWrite["failoverWithDataLossGracePeriodMinutes"] = grace;
        return new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["readWriteEndpoint"] = readWrite,
                ["partnerServers"] = new JsonArray(new JsonObject { ["id"] = partner }),
                ["databases"] = new JsonArray(West + "/databases/appdb"),
            },
        };
    }

    [Fact]
    public async Task A_failover_group_needs_a_partner_in_another_region_and_a_valid_grace_period()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        var same = await f.ArmAsync(HttpMethod.Put, West + "/failoverGroups/fog1?api-version=2023-08-01", Group(WestTwo));
        Assert.Equal(400, same.Status);
        Assert.Equal("InvalidFailoverGroupRegion", same.ErrorCode);
        var tooShort = await f.ArmAsync(HttpMethod.Put, West + "/failoverGroups/fog1?api-version=2023-08-01", Group(East, grace: 30));
        Assert.Equal("FailoverGroupCreateOrUpdateRequestLessThanMinimumGracePeriodValues", tooShort.ErrorCode);
        var noGrace = await f.ArmAsync(HttpMethod.Put, West + "/failoverGroups/fog1?api-version=2023-08-01", Group(East, grace: null));
        Assert.Equal("FailoverGroupCreateOrUpdateRequestInvalidReadWriteEndpointFields", noGrace.ErrorCode);
        var manualWithGrace = await f.ArmAsync(HttpMethod.Put, West + "/failoverGroups/fog1?api-version=2023-08-01", Group(East, "Manual", 60));
        Assert.Equal("FailoverGroupCreateOrUpdateRequestInvalidReadWriteEndpointFieldsForManualPolicy", manualWithGrace.ErrorCode);
        Assert.Empty(f.Server.Query(s => s.Store<SqlStore>().FailoverGroups.ToList()));
    }

    [Fact]
    public async Task A_replication_link_seeds_until_its_secondary_is_online()
    {
        var (f, clock) = await StartAsync();
        await using var _f = f;
        var created = await f.ArmAsync(HttpMethod.Put, East + "/databases/appdb?api-version=2023-08-01", new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "Secondary", ["sourceDatabaseId"] = West + "/databases/appdb" },
        });
        Assert.Equal(202, created.Status);
        var link = (await f.ArmAsync(HttpMethod.Get, West + "/databases/appdb/replicationLinks?api-version=2023-08-01")).Json!["value"]![0]!["properties"]!;
        Assert.Equal("SEEDING", link["replicationState"]!.GetValue<string>());
        Assert.Equal(0, link["percentComplete"]!.GetValue<int>());
        clock.Advance(TimeSpan.FromMinutes(5));
        link = (await f.ArmAsync(HttpMethod.Get, West + "/databases/appdb/replicationLinks?api-version=2023-08-01")).Json!["value"]![0]!["properties"]!;
        Assert.Equal("CATCH_UP", link["replicationState"]!.GetValue<string>());
        Assert.Equal(100, link["percentComplete"]!.GetValue<int>());
        Assert.Equal("Secondary", link["partnerRole"]!.GetValue<string>());
    }

    [Fact]
    public async Task Storage_redundancy_changes_in_place_within_its_family_only()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        var ragrs = await f.ArmAsync(HttpMethod.Patch, Account + "?api-version=2024-01-01", new JsonObject { ["sku"] = new JsonObject { ["name"] = "Standard_RAGRS" } });
        Assert.Equal(200, ragrs.Status);
        Assert.Equal("Standard_RAGRS", ragrs.Json!["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("eastus", ragrs.Json["properties"]!["secondaryLocation"]!.GetValue<string>());
        Assert.NotNull(ragrs.Json["properties"]!["secondaryEndpoints"]);

        var grs = await f.ArmAsync(HttpMethod.Patch, Account + "?api-version=2024-01-01", new JsonObject { ["sku"] = new JsonObject { ["name"] = "Standard_GRS" } });
        Assert.Null(grs.Json!["properties"]!["secondaryEndpoints"]);
        Assert.Equal("eastus", grs.Json["properties"]!["secondaryLocation"]!.GetValue<string>());

        var zrs = await f.ArmAsync(HttpMethod.Patch, Account + "?api-version=2024-01-01", new JsonObject { ["sku"] = new JsonObject { ["name"] = "Standard_ZRS" } });
        Assert.Equal(400, zrs.Status);
        Assert.Equal("SkuChangeNotSupported", zrs.ErrorCode);
    }

    [Fact]
    public async Task A_storage_outage_stays_with_the_region_it_began_in()
    {
        var (f, clock) = await StartAsync();
        await using var _f = f;
        f.Server.Control(s => ResourceHealthProvider.SetResourceOutage(s, Account, true));
        var health = await f.ArmAsync(HttpMethod.Get, Account + "/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2026-07-01");
        Assert.Equal("Unavailable", health.Json!["properties"]!["availabilityState"]!.GetValue<string>());
        var stats = (await f.ArmAsync(HttpMethod.Get, Account + "?api-version=2024-01-01&$expand=geoReplicationStats")).Json!["properties"]!;
        Assert.Equal("unavailable", stats["statusOfPrimary"]!.GetValue<string>());
        Assert.False(stats["geoReplicationStats"]!["canPlannedFailover"]!.GetValue<bool>());

        var failover = await f.ArmAsync(HttpMethod.Post, Account + "/failover?api-version=2024-01-01");
        Assert.Equal(202, failover.Status);
        clock.Advance(TimeSpan.FromHours(1));
        health = await f.ArmAsync(HttpMethod.Get, Account + "/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2026-07-01");
        Assert.Equal("Available", health.Json!["properties"]!["availabilityState"]!.GetValue<string>());
    }

    [Fact]
    public async Task Key_vault_reference_status_is_what_the_app_resolved_at_its_last_start()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        f.Server.Control(s =>
        {
            VaultManagementProvider.SeedVault(s, Sub, "rg-west", "kv1", "westus");
            KeyVaultProvider.SeedSecret(s, "kv1", "ClientSecret", "secret-value");
            WebProvider.SeedSite(s, Sub, "rg-west", "app1", "westus", new[]
            {
                new System.Collections.Generic.KeyValuePair<string, string>("Secret", "@Microsoft.KeyVault(VaultName=kv1;SecretName=ClientSecret)"),
                new System.Collections.Generic.KeyValuePair<string, string>("Missing", "@Microsoft.KeyVault(VaultName=kv1;SecretName=Gone)"),
                new System.Collections.Generic.KeyValuePair<string, string>("Plain", "value"),
            });
        });
        var site = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Web/sites/app1";
        var references = (await f.ArmAsync(HttpMethod.Get, site + "/config/configreferences/appsettings?api-version=2024-04-01")).Json!["value"]!.AsArray();
        Assert.Equal(new[] { "Secret", "Missing" }, references.Select(r => r!["name"]!.GetValue<string>()));
        Assert.Equal("Resolved", references[0]!["properties"]!["status"]!.GetValue<string>());
        Assert.Equal("SecretNotFound", references[1]!["properties"]!["status"]!.GetValue<string>());
        Assert.DoesNotContain("secret-value", references.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Traffic_manager_names_are_one_namespace()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        var profile = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Network/trafficManagerProfiles/";
        JsonObject Body(string name) => new JsonObject
        {
            ["location"] = "global",
            ["properties"] = new JsonObject { ["trafficRoutingMethod"] = "Priority", ["dnsConfig"] = new JsonObject { ["relativeName"] = name, ["ttl"] = 30 } },
        };
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, profile + "tm1?api-version=2022-04-01", Body("apprequest"))).Status);
        var check = await f.ArmAsync(HttpMethod.Post, $"/subscriptions/{Sub}/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2?api-version=2022-04-01",
            new JsonObject { ["name"] = "apprequest", ["type"] = "Microsoft.Network/trafficManagerProfiles" });
        Assert.False(check.Json!["nameAvailable"]!.GetValue<bool>());
        Assert.Equal("AlreadyExists", check.Json["reason"]!.GetValue<string>());
        var taken = await f.ArmAsync(HttpMethod.Put, profile + "tm2?api-version=2022-04-01", Body("apprequest"));
        Assert.Equal(409, taken.Status);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, profile + "tm1?api-version=2022-04-01", Body("apprequest"))).Status);
        // The check only reads.
        Assert.Equal(0, f.Server.Query(s => s.Log.Entries.Count(e => e.Path.Contains("checkTrafficManagerNameAvailability", StringComparison.OrdinalIgnoreCase))));
    }

    [Fact]
    public async Task An_alert_rule_put_again_replaces_the_rule_of_that_name()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        var rule = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Insights/metricAlerts/";
        JsonObject Body(double threshold, string metric = "Availability") => new JsonObject
        {
            ["location"] = "global",
            ["properties"] = new JsonObject
            {
                ["severity"] = 2, ["enabled"] = true, ["scopes"] = new JsonArray(Account), ["evaluationFrequency"] = "PT5M", ["windowSize"] = "PT15M",
                ["criteria"] = new JsonObject
                {
                    ["odata.type"] = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    ["allOf"] = new JsonArray(new JsonObject
                    {
                        ["criterionType"] = "StaticThresholdCriterion", ["name"] = "c1", ["metricName"] = metric, ["operator"] = "LessThan",
                        ["threshold"] = threshold, ["timeAggregation"] = "Average",
                    }),
                },
            },
        };
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, rule + "storage-availability?api-version=2018-03-01", Body(99))).Status);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, rule + "storage-availability?api-version=2018-03-01", Body(98))).Status);
        var listed = (await f.ArmAsync(HttpMethod.Get, rule.TrimEnd('/') + "?api-version=2018-03-01")).Json!["value"]!.AsArray();
        Assert.Single(listed);
        Assert.Equal(98, listed[0]!["properties"]!["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<double>());
        var wrongMetric = await f.ArmAsync(HttpMethod.Put, rule + "bad?api-version=2018-03-01", Body(99, "dtu_consumption_percent"));
        Assert.Equal(400, wrongMetric.Status);
        var missingScope = Body(99);
        missingScope["properties"]!["scopes"] = new JsonArray(Account + "nope");
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Put, rule + "bad?api-version=2018-03-01", missingScope)).Status);
    }

    [Fact]
    public async Task A_region_outage_is_a_service_issue_of_the_subscription()
    {
        var (f, _) = await StartAsync();
        await using var _f = f;
        var events = $"/subscriptions/{Sub}/providers/Microsoft.ResourceHealth/events?api-version=2026-07-01";
        Assert.Empty((await f.ArmAsync(HttpMethod.Get, events)).Json!["value"]!.AsArray());
        f.Server.Control(s => s.Faults.SetRegionOutage("westus", true));
        var active = (await f.ArmAsync(HttpMethod.Get, events)).Json!["value"]!.AsArray();
        Assert.Single(active);
        Assert.Equal("West US", active[0]!["properties"]!["impact"]![0]!["impactedRegions"]![0]!["impactedRegion"]!.GetValue<string>());
        Assert.Empty((await f.ArmAsync(HttpMethod.Get, events + "&$filter=" + Uri.EscapeDataString("region eq 'East US'"))).Json!["value"]!.AsArray());
        // Service health answers while the region it reports on is down.
        var health = await f.ArmAsync(HttpMethod.Get, West + "/databases/appdb/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2026-07-01");
        Assert.Equal("Unavailable", health.Json!["properties"]!["availabilityState"]!.GetValue<string>());
    }
}
