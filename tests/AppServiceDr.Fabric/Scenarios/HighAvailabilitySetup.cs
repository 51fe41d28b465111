using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Network;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Scenarios;

/// <summary>
/// The tier 3 setup of seed 004 in two paired regions: a SQL failover group (primary sql-west, secondary
/// sql-east) over one database, a GRS storage account in the primary region, an app in each region using
/// its region's database, and a priority-routed Traffic Manager profile sending traffic to the west app.
/// </summary>
public static class HighAvailabilitySetup
{
    public const string PrimaryGroup = "rg-west";
    public const string SecondaryGroup = "rg-east";
    public const string GlobalGroup = "rg-global";
    public const string PrimaryRegion = "westus";
    public const string SecondaryRegion = "eastus";
    public const string PrimaryServer = "sql-west";
    public const string SecondaryServer = "sql-east";
    public const string FailoverGroup = "apprequest-fog";
    public const string Database = "AppRequestPortal";
    public const string StorageAccount = "stapprequest";
    public const string PrimaryApp = "app-west";
    public const string SecondaryApp = "app-east";
    public const string Profile = "apprequest-tm";

    public static string ServerId(string subscription, string group, string server) =>
        Arm.ProviderId(subscription, group, "Microsoft.Sql", "servers/" + server);

    public static string ProfileId(string subscription) =>
        Arm.ProviderId(subscription, GlobalGroup, "Microsoft.Network", "trafficManagerProfiles/" + Profile);

    public static string AccountId(string subscription) =>
        Arm.ProviderId(subscription, PrimaryGroup, "Microsoft.Storage", "storageAccounts/" + StorageAccount);

    /// <summary>Seeds everything; <paramref name="lastSyncTime"/> fixes the storage account's geo-replication point.</summary>
    public static void Seed(FabricState state, string subscription, DateTimeOffset lastSyncTime)
    {
        var west = ServerId(subscription, PrimaryGroup, PrimaryServer);
        var east = ServerId(subscription, SecondaryGroup, SecondaryServer);
        SqlProvider.SeedServer(state, subscription, PrimaryGroup, PrimaryServer, PrimaryRegion);
        SqlProvider.SeedServer(state, subscription, SecondaryGroup, SecondaryServer, SecondaryRegion);
        SqlProvider.SeedDatabase(state, west, Database);
        SqlProvider.SeedDatabase(state, east, Database).Internal["secondaryType"] = "Geo";
        var sql = state.Store<SqlStore>();
        sql.FailoverGroups.Add(new FailoverGroup
        {
            Name = FailoverGroup, PrimaryServerId = west, SecondaryServerId = east, Databases = { Database },
            ReadWriteEndpoint = new JsonObject { ["failoverPolicy"] = "Manual" },
            ReadOnlyEndpoint = new JsonObject { ["failoverPolicy"] = "Disabled" },
        });
        sql.Links.Add(new GeoLink(west + "/databases/" + Database, east + "/databases/" + Database, Guid.NewGuid().ToString()) { StartTime = state.Now });
        StorageProvider.SeedAccount(state, subscription, PrimaryGroup, StorageAccount, PrimaryRegion, "Standard_GRS", lastSyncTime);
        WebProvider.SeedSite(state, subscription, PrimaryGroup, PrimaryApp, PrimaryRegion, databaseId: west + "/databases/" + Database);
        WebProvider.SeedSite(state, subscription, SecondaryGroup, SecondaryApp, SecondaryRegion, databaseId: east + "/databases/" + Database);
        Resources.ResourceGroupsProvider.Seed(state, subscription, GlobalGroup, SecondaryRegion);

        var profile = new ArmResource(ProfileId(subscription), TrafficManagerProvider.ProfileType, "global")
        {
            Properties = new JsonObject
            {
                ["profileStatus"] = "Enabled",
                ["trafficRoutingMethod"] = "Priority",
                ["dnsConfig"] = new JsonObject { ["relativeName"] = Profile, ["ttl"] = 30, ["fqdn"] = Profile + ".trafficmanager." + state.Options.DnsSuffix },
                ["monitorConfig"] = new JsonObject { ["protocol"] = "HTTPS", ["port"] = 443, ["path"] = "/" },
            },
        };
        profile.Internal["endpoints"] = new List<JsonObject>
        {
            Endpoint(state, subscription, "primary", PrimaryGroup, PrimaryApp, 1),
            Endpoint(state, subscription, "secondary", SecondaryGroup, SecondaryApp, 2),
        };
        state.Arm.Add(profile);
    }

    private static JsonObject Endpoint(FabricState state, string subscription, string name, string group, string site, int priority) => new JsonObject
    {
        ["name"] = name,
        ["type"] = TrafficManagerProvider.ProfileType + "/azureEndpoints",
        ["properties"] = new JsonObject
        {
            ["endpointStatus"] = "Enabled",
            ["weight"] = 1,
            ["targetResourceId"] = Arm.ProviderId(subscription, group, "Microsoft.Web", "sites/" + site),
            ["target"] = site + ".web." + state.Options.DnsSuffix,
            ["priority"] = priority,
        },
    };
}
