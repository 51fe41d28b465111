using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Resources;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// Cases for the examples in shared/azure-api-examples-next that the tier 3 setup, the alert rules, the triage and
/// the emergency record rely on: failover groups and replication links, Traffic Manager profiles and endpoints, a
/// storage account update, metric and activity log alert rules, action groups, resource health, and vaults as
/// Resource Manager resources.
/// </summary>
public sealed partial class FidelityTests
{
    private const string TrafficProfile = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/trafficManagerProfiles/{profileName}";
    private const string Insights = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Insights";
    private const string Vaults = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults";

    private static readonly Dictionary<string, Case> NextCases = new Dictionary<string, Case>
    {
        ["sql/FailoverGroupGet.json"] = new Case("GET", SqlServer + "/failoverGroups/{failoverGroupName}")
        {
            Body = null,
            Setup = c => SeedFailoverGroup(c, c.P("serverName"), "failover-group-secondary-server"),
        },
        ["sql/ReplicationLinkListByDatabase.json"] = new Case("GET", SqlDatabase + "/replicationLinks")
        {
            Body = null,
            Setup = async c =>
            {
                var primary = ArmId(c, SqlDatabase);
                SeedDatabase(c, primary, "japanwest");
                c.Control(s => SqlProvider.SeedServer(s, c.P("subscriptionId"), c.P("resourceGroupName"), "testsvr", "japaneast"));
                var secondary = Arm.ProviderId(c.P("subscriptionId"), c.P("resourceGroupName"), "Microsoft.Sql", "servers/testsvr/databases/" + c.P("databaseName"));
                var created = await c.Fabric.ArmAsync(HttpMethod.Put, secondary + "?api-version=2023-08-01", new JsonObject
                {
                    ["location"] = "japaneast",
                    ["properties"] = new JsonObject { ["createMode"] = "Secondary", ["sourceDatabaseId"] = primary },
                });
                Assert.Equal(202, created.Status);
                c.Clock.Advance(TimeSpan.FromHours(1));
            },
        },
        ["trafficmanager/Endpoint-PUT-External-WithLocation.json"] = new Case("PUT", TrafficProfile + "/{endpointType}/{endpointName}")
        {
            Setup = c => SeedProfile(c, "Performance", new JsonArray()),
        },
        ["trafficmanager/Profile-GET-WithEndpoints.json"] = new Case("GET", TrafficProfile)
        {
            Body = null,
            Setup = c => SeedProfile(c, "Performance", new JsonArray(new JsonObject
            {
                ["name"] = "My external endpoint",
                ["type"] = "Microsoft.network/TrafficManagerProfiles/ExternalEndpoints",
                ["properties"] = new JsonObject { ["target"] = "foobar.contoso.com", ["endpointStatus"] = "Enabled", ["endpointLocation"] = "North Europe" },
            })),
        },
        ["storage/StorageAccountUpdate.json"] = new Case("PATCH", StorageAccount)
        {
            Setup = Seed(c => c.Control(s => StorageProvider.SeedAccount(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("accountName"), "eastus2"))),
        },
        ["monitor/createOrUpdateMetricAlertSingleResource.json"] = new Case("PUT", Insights + "/metricAlerts/{ruleName}")
        {
            // The rule watches a virtual machine, which the fabric knows only as a resource that exists.
            Setup = Seed(c => c.Control(s =>
            {
                ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "eastus");
                var scope = c.Parameters["parameters"]!["properties"]!["scopes"]![0]!.GetValue<string>();
                s.Arm.Add(new ArmResource(scope, "Microsoft.Compute/virtualMachines", "eastus"));
            })),
        },
        ["monitor/createOrUpdateActionGroup.json"] = new Case("PUT", Insights + "/actionGroups/{actionGroupName}")
        {
            Body = "actionGroup",
            Setup = Seed(c => c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "eastus"))),
        },
        ["monitor/ActivityLogAlertRule_CreateOrUpdate.json"] = new Case("PUT", Insights + "/activityLogAlerts/{activityLogAlertName}")
        {
            Body = "activityLogAlertRule",
            Setup = Seed(c => c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "eastus"))),
        },
        ["resourcehealth/AvailabilityStatus_GetByResource.json"] = new Case("GET", "/{resourceUri}/providers/Microsoft.ResourceHealth/availabilityStatuses/current")
        {
            Body = null,
            Query = new[] { "$expand" },
            // {resourceUri} stands for a whole resource id: an app in a region that is down.
            Setup = Seed(c => c.Control(s =>
            {
                WebProvider.SeedSite(s, TestFabric.Subscription, "rhctestenv", "rhctestenvV1PI", "eastus");
                s.Faults.SetRegionOutage("eastus", true);
            })),
            PathOf = _ => Arm.ProviderId(TestFabric.Subscription, "rhctestenv", "Microsoft.Web", "sites/rhctestenvV1PI") + "/providers/Microsoft.ResourceHealth/availabilityStatuses/current",
        },
        ["resourcehealth/Events_ListBySubscriptionId.json"] = new Case("GET", "/subscriptions/{subscriptionId}/providers/Microsoft.ResourceHealth/events")
        {
            Body = null,
            Query = new[] { "$filter", "queryStartTime" },
            Setup = Seed(c => c.Control(s => s.Faults.SetRegionOutage("westus", true))),
            Explained = new Dictionary<string, string>
            {
                ["$.nextLink"] = "The fabric answers every event in one page.",
            },
        },
        ["keyvault/getVault.json"] = new Case("GET", Vaults + "/{vaultName}")
        {
            Body = null,
            Setup = Seed(c => c.Control(s => VaultManagementProvider.SeedVault(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("vaultName"), "westus"))),
            Explained = new Dictionary<string, string>
            {
                ["$.properties.hsmPoolResourceId"] = "Managed HSM pools are not modelled (the property is deprecated in the specification).",
            },
        },
        ["keyvault/listVaultByResourceGroup.json"] = new Case("GET", Vaults)
        {
            Body = null,
            Query = new[] { "$top" },
            Setup = Seed(c => c.Control(s =>
            {
                VaultManagementProvider.SeedVault(s, c.P("subscriptionId"), c.P("resourceGroupName"), "sample-vault", "westus");
                VaultManagementProvider.SeedVault(s, c.P("subscriptionId"), c.P("resourceGroupName"), "sample-vault-2", "westus");
            })),
            Explained = new Dictionary<string, string>
            {
                ["$.nextLink"] = "The fabric answers every vault in one page ($top only shortens it).",
                ["$.value[0].properties.hsmPoolResourceId"] = "Managed HSM pools are not modelled (the property is deprecated in the specification).",
            },
        },
    };

    private static async Task SeedProfile(Context c, string routing, JsonArray endpoints)
    {
        c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "westus"));
        var created = await c.Fabric.ArmAsync(HttpMethod.Put, ArmId(c, TrafficProfile).Replace("{", "%7B", StringComparison.Ordinal).Replace("}", "%7D", StringComparison.Ordinal) + "?api-version=2022-04-01", new JsonObject
        {
            ["location"] = "global",
            ["properties"] = new JsonObject
            {
                ["profileStatus"] = "Enabled",
                ["trafficRoutingMethod"] = routing,
                ["dnsConfig"] = new JsonObject { ["relativeName"] = c.P("profileName"), ["ttl"] = 35 },
                ["monitorConfig"] = new JsonObject
                {
                    ["protocol"] = "HTTP", ["port"] = 80, ["path"] = "/testpath.aspx", ["intervalInSeconds"] = 30, ["toleratedNumberOfFailures"] = 3, ["timeoutInSeconds"] = 10,
                },
                ["endpoints"] = endpoints,
            },
        });
        Assert.Equal(201, created.Status);
    }
}
