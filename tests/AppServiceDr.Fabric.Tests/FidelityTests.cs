using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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
/// Each shared Azure REST example is replayed against the fabric: whatever the example needs is
/// seeded, its request is sent, and the fabric's answer must use one of the documented status codes
/// and carry every property of the documented body with the same JSON type. Deliberate differences
/// are listed per example with the reason; a listed difference that no longer occurs fails too.
/// </summary>
public sealed partial class FidelityTests
{
    private const string SqlServer = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Sql/servers/{serverName}";
    private const string SqlDatabase = SqlServer + "/databases/{databaseName}";
    private const string StorageAccount = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{accountName}";
    private const string WebSite = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Web/sites/{name}";

    /// <summary>What one example needs: request shape, seeding, and the differences the fabric owns up to.</summary>
    private sealed record Case(string Method, string Path)
    {
        public string[] Query { get; init; } = Array.Empty<string>();

        /// <summary>Name of the example parameter holding the request body.</summary>
        public string? Body { get; init; } = "parameters";

        public Func<Context, Task>? Setup { get; init; }

        /// <summary>The request path when it is not <see cref="Path"/> filled in (a resource id the setup made, for a
        /// path parameter that stands for a whole id).</summary>
        public Func<Context, string>? PathOf { get; init; }

        public Dictionary<string, string> Explained { get; init; } = new Dictionary<string, string>();
    }

    private sealed class Context
    {
        public Context(TestFabric fabric, ManualClock clock, JsonObject parameters)
        {
            Fabric = fabric;
            Clock = clock;
            Parameters = parameters;
        }

        public TestFabric Fabric { get; }

        public ManualClock Clock { get; }

        public JsonObject Parameters { get; }

        /// <summary>Parameter values the test substitutes (ids the fabric generates, blobs only it can read).</summary>
        public Dictionary<string, JsonNode> Overrides { get; } = new Dictionary<string, JsonNode>();

        public string P(string name) => Parameters[name]!.GetValue<string>();

        public void Control(Action<FabricState> change) => Fabric.Server.Control(change);

        public Uri Vault => Fabric.Server.VaultUri(new Uri(P("vaultBaseUrl")).Host.Split('.')[0]);

        public async Task<Reply> VaultAsync(HttpMethod method, string path, JsonNode? body = null)
        {
            var reply = await Fabric.SendAsync(method, new Uri(Vault, path + (path.Contains('?') ? "&" : "?") + "api-version=7.5"), body);
            Assert.True(reply.Status < 300, $"setup {method} {path} answered {reply.Status}: {reply.Text}");
            return reply;
        }
    }

    private static void SeedDatabase(Context c, string databaseId, string location, DateTimeOffset? earliest = null)
    {
        var parts = databaseId.Split('/');
        c.Control(s =>
        {
            SqlProvider.SeedServer(s, parts[2], parts[4], parts[8], location);
            var serverId = string.Join("/", parts.Take(9));
            if (s.Arm.Find(databaseId) == null)
            {
                SqlProvider.SeedDatabase(s, serverId, parts[10], earliest);
            }
        });
    }

    private static string ArmId(Context c, string template) => Fill(template, c.Parameters, c.Overrides, escape: false);

    private static async Task SeedFailoverGroup(Context c, string primary, string secondary)
    {
        var rg = c.P("resourceGroupName");
        var sub = c.P("subscriptionId");
        var primaryId = Arm.ProviderId(sub, rg, "Microsoft.Sql", "servers/" + primary);
        var secondaryId = Arm.ProviderId(sub, rg, "Microsoft.Sql", "servers/" + secondary);
        c.Control(s =>
        {
            SqlProvider.SeedServer(s, sub, rg, primary, "japaneast");
            SqlProvider.SeedServer(s, sub, rg, secondary, "japanwest");
            SqlProvider.SeedDatabase(s, primaryId, "testdb-1");
            SqlProvider.SeedDatabase(s, primaryId, "testdb-2");
        });
        var accepted = await c.Fabric.ArmAsync(HttpMethod.Put, primaryId + "/failoverGroups/" + c.P("failoverGroupName") + "?api-version=2023-08-01", new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["readWriteEndpoint"] = new JsonObject { ["failoverPolicy"] = "Automatic", ["failoverWithDataLossGracePeriodMinutes"] = 120 },
                ["readOnlyEndpoint"] = new JsonObject { ["failoverPolicy"] = "Disabled" },
                ["partnerServers"] = new JsonArray(new JsonObject { ["id"] = secondaryId }),
                ["databases"] = new JsonArray(primaryId + "/databases/testdb-1", primaryId + "/databases/testdb-2"),
            },
        });
        Assert.Equal(202, accepted.Status);
        c.Clock.Advance(TimeSpan.FromHours(1));
    }

    private static readonly Dictionary<string, string> Api2014Shape = new Dictionary<string, string>
    {
        ["$.properties.edition"] = "2014-04-01 shape: the fabric answers every api-version with the 2023-08-01 database shape (sku object).",
        ["$.properties.serviceLevelObjective"] = "2014-04-01 shape (see edition).",
        ["$.properties.maxSizeBytes"] = "2014-04-01 sends maxSizeBytes as a string; 2023-08-01 as a number.",
        ["$.properties.currentServiceObjectiveId"] = "2014-04-01 shape (see edition).",
        ["$.properties.requestedServiceObjectiveId"] = "2014-04-01 shape (see edition).",
        ["$.properties.containmentState"] = "2014-04-01 shape (see edition).",
        ["$.properties.sampleName"] = "2014-04-01 shape (see edition).",
        ["$.properties.elasticPoolName"] = "2014-04-01 shape; 2023-08-01 names the pool by elasticPoolId, only when in one.",
        ["$.properties.failoverGroupId"] = "2023-08-01 returns failoverGroupId only for databases in a failover group.",
    };

    private static readonly Dictionary<string, Case> Cases = new Dictionary<string, Case>
    {
        ["sql/CreateDatabasePITRMode.json"] = new Case("PUT", SqlDatabase)
        {
            Setup = Seed(c => SeedDatabase(c, c.Parameters["parameters"]!["properties"]!["sourceDatabaseId"]!.GetValue<string>(), "southeastasia", new DateTimeOffset(2020, 10, 1, 0, 0, 0, TimeSpan.Zero))),
        },
        ["sql/CreateDatabaseSecondaryMode.json"] = new Case("PUT", SqlDatabase)
        {
            Setup = Seed(c =>
            {
                SeedDatabase(c, c.Parameters["parameters"]!["properties"]!["sourceDatabaseId"]!.GetValue<string>(), "northeurope");
                c.Control(s => SqlProvider.SeedServer(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("serverName"), "southeastasia"));
            }),
        },
        ["sql/DatabaseCreateGeoRestore.json"] = new Case("PUT", SqlDatabase)
        {
            Setup = Seed(c =>
            {
                var source = c.Parameters["parameters"]!["properties"]!["sourceDatabaseId"]!.GetValue<string>().Replace("/recoverableDatabases/", "/databases/", StringComparison.Ordinal);
                SeedDatabase(c, source, "japanwest");
                c.Control(s => SqlProvider.SeedServer(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("serverName"), "japaneast"));
            }),
            Explained = Api2014Shape,
        },
        ["sql/RecoverableDatabaseList.json"] = new Case("GET", SqlServer + "/recoverableDatabases")
        {
            Body = null,
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlServer) + "/databases/db1", "westus")),
        },
        ["sql/RecoverableDatabaseGet.json"] = new Case("GET", SqlServer + "/recoverableDatabases/{databaseName}")
        {
            Body = null,
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlDatabase), "westus")),
        },
        ["sql/RenameDatabase.json"] = new Case("POST", SqlDatabase + "/move")
        {
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlDatabase), "southeastasia")),
        },
        ["sql/DeleteDatabase.json"] = new Case("DELETE", SqlDatabase)
        {
            Body = null,
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlDatabase), "southeastasia")),
        },
        ["sql/GetVCoreDatabase.json"] = new Case("GET", SqlDatabase)
        {
            Body = null,
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlDatabase), "southeastasia")),
            Explained = new Dictionary<string, string>
            {
                ["$.properties.licenseType"] = "vCore-only property; the fabric's seeded databases use DTU tiers.",
                ["$.properties.maxLogSizeBytes"] = "vCore-only property; the fabric's seeded databases use DTU tiers.",
            },
        },
        ["sql/DatabaseRestorePointsListByDatabase.json"] = new Case("GET", SqlDatabase + "/restorePoints")
        {
            Body = null,
            Setup = Seed(c => SeedDatabase(c, ArmId(c, SqlDatabase), "westus")),
        },
        ["sql/FailoverGroupCreateOrUpdate.json"] = new Case("PUT", SqlServer + "/failoverGroups/{failoverGroupName}")
        {
            Setup = Seed(c =>
            {
                var primary = ArmId(c, SqlServer);
                c.Control(s =>
                {
                    SqlProvider.SeedServer(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("serverName"), "japaneast");
                    SqlProvider.SeedServer(s, c.P("subscriptionId"), c.P("resourceGroupName"), "failover-group-secondary-server", "japanwest");
                    SqlProvider.SeedDatabase(s, primary, "testdb-1");
                    SqlProvider.SeedDatabase(s, primary, "testdb-2");
                });
            }),
        },
        ["sql/FailoverGroupFailover.json"] = new Case("POST", SqlServer + "/failoverGroups/{failoverGroupName}/failover")
        {
            Body = null,
            Setup = c => SeedFailoverGroup(c, "failover-group-primary-server", c.P("serverName")),
        },
        ["sql/FailoverGroupForceFailoverAllowDataLoss.json"] = new Case("POST", SqlServer + "/failoverGroups/{failoverGroupName}/forceFailoverAllowDataLoss")
        {
            Body = null,
            Setup = c => SeedFailoverGroup(c, "failover-group-primary-server", c.P("serverName")),
        },
        ["storage/StorageAccountCreate.json"] = new Case("PUT", StorageAccount)
        {
            Setup = Seed(c => c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "eastus"))),
            Explained = new Dictionary<string, string>
            {
                ["$.extendedLocation"] = "Edge zones are not modelled; accounts live in regions only.",
            },
        },
        ["storage/StorageAccountListKeys.json"] = new Case("POST", StorageAccount + "/listKeys")
        {
            Body = null,
            Setup = Seed(c => c.Control(s => StorageProvider.SeedAccount(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("accountName"), "eastus"))),
        },
        ["storage/StorageAccountGetPropertiesGeoReplicationStatscanFailoverTrue.json"] = GeoStatsCase(),
        ["storage/StorageAccountGetPropertiesGeoReplicationStatscanFailoverFalse.json"] = GeoStatsCase(),
        ["storage/StorageAccountFailover.json"] = new Case("POST", StorageAccount + "/failover")
        {
            Body = null,
            Setup = Seed(c => c.Control(s => StorageProvider.SeedAccount(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("accountName"), "eastus"))),
        },
        ["storage/StorageAccountFailoverPlanned.json"] = new Case("POST", StorageAccount + "/failover")
        {
            Body = null,
            Query = new[] { "failoverType" },
            Setup = Seed(c => c.Control(s => StorageProvider.SeedAccount(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("accountName"), "eastus"))),
        },
        ["web/GetWebApp.json"] = new Case("GET", WebSite)
        {
            Body = null,
            Setup = Seed(c => c.Control(s => WebProvider.SeedSite(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("name"), "eastus"))),
            Explained = new Dictionary<string, string>
            {
                ["$.properties.workloadProfileName"] = "Container Apps environment workload profiles are not modelled.",
                ["$.properties.resourceConfig"] = "Container Apps environment resource configuration is not modelled.",
            },
        },
        ["web/ListAppSettings.json"] = new Case("POST", WebSite + "/config/appsettings/list")
        {
            Body = null,
            Setup = Seed(c =>
            {
                c.Control(s => WebProvider.SeedSite(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("name"), "eastus", new[]
                {
                    new KeyValuePair<string, string>("Setting1", "Value1"),
                    new KeyValuePair<string, string>("Setting2", "Value2"),
                }));
            }),
        },
        ["web/UpdateAppSettings.json"] = new Case("PUT", WebSite + "/config/appsettings")
        {
            Body = "appSettings",
            Setup = Seed(c => c.Control(s => WebProvider.SeedSite(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("name"), "eastus"))),
        },
        ["resources/CreateResourceGroup.json"] = new Case("PUT", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}"),
        ["resources/PutDeploymentResourceGroup.json"] = new Case("PUT", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}")
        {
            Setup = Seed(c =>
            {
                c.Control(s =>
                {
                    ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "eastus");
                    DeploymentsProvider.RegisterTemplate(s, c.Parameters["parameters"]!["properties"]!["templateLink"]!["uri"]!.GetValue<string>(), JsonNode.Parse("""
                        {
                          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                          "contentVersion": "1.0.0.0",
                          "resources": [
                            { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2024-01-01", "name": "my-storage-account",
                              "location": "[resourceGroup().location]", "sku": { "name": "Standard_LRS" }, "kind": "StorageV2" }
                          ]
                        }
                        """)!.AsObject());
                });
            }),
            Explained = new Dictionary<string, string>
            {
                ["$.properties.templateLink.id"] = "The example links a template spec by id; the fabric fetches templates by uri and records that uri.",
            },
        },
        ["trafficmanager/Profile-PUT-WithEndpoints.json"] = new Case("PUT", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/trafficManagerProfiles/{profileName}")
        {
            Setup = Seed(c => c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "westus"))),
        },
        ["dns/CreateOrUpdateCNAMERecordset.json"] = new Case("PUT", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/dnsZones/{zoneName}/{recordType}/{relativeRecordSetName}")
        {
            Setup = async c =>
            {
                c.Control(s => ResourceGroupsProvider.Seed(s, c.P("subscriptionId"), c.P("resourceGroupName"), "westus"));
                var zone = await c.Fabric.ArmAsync(HttpMethod.Put, ArmId(c, "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/dnsZones/{zoneName}") + "?api-version=2018-05-01", new JsonObject { ["location"] = "global" });
                Assert.Equal(201, zone.Status);
            },
        },
        ["keyvault/SetSecret-example.json"] = new Case("PUT", "/secrets/{secret-name}") { Setup = SeedVault },
        ["keyvault/GetSecret-example.json"] = new Case("GET", "/secrets/{secret-name}/{secret-version}")
        {
            Body = null,
            Setup = async c =>
            {
                await SeedVault(c);
                var set = await c.VaultAsync(HttpMethod.Put, "secrets/" + c.P("secret-name"), new JsonObject { ["value"] = "v" });
                c.Overrides["secret-version"] = set.Json!["id"]!.GetValue<string>().Split('/').Last();
            },
        },
        ["keyvault/GetSecretVersions-example.json"] = new Case("GET", "/secrets/{secret-name}/versions")
        {
            Body = null,
            Query = new[] { "maxresults" },
            Setup = async c =>
            {
                await SeedVault(c);
                await c.VaultAsync(HttpMethod.Put, "secrets/" + c.P("secret-name"), new JsonObject { ["value"] = "1" });
                await c.VaultAsync(HttpMethod.Put, "secrets/" + c.P("secret-name"), new JsonObject { ["value"] = "2" });
            },
        },
        ["keyvault/DeleteSecret-example.json"] = new Case("DELETE", "/secrets/{secret-name}") { Body = null, Setup = c => SeedSecret(c, delete: false) },
        ["keyvault/GetDeletedSecret-example.json"] = new Case("GET", "/deletedsecrets/{secret-name}") { Body = null, Setup = c => SeedSecret(c, delete: true) },
        ["keyvault/GetDeletedSecrets-example.json"] = new Case("GET", "/deletedsecrets")
        {
            Body = null,
            Query = new[] { "maxresults" },
            Setup = async c =>
            {
                await SeedVault(c);
                foreach (var name in new[] { "listdeletedsecrettest0", "listdeletedsecrettest1" })
                {
                    await c.VaultAsync(HttpMethod.Put, "secrets/" + name, new JsonObject { ["value"] = "v", ["contentType"] = "plainText" });
                    await c.VaultAsync(HttpMethod.Delete, "secrets/" + name);
                }
            },
        },
        ["keyvault/PurgeDeletedSecret-example.json"] = new Case("DELETE", "/deletedsecrets/{secret-name}") { Body = null, Setup = c => SeedSecret(c, delete: true) },
        ["keyvault/RecoverDeletedSecret-example.json"] = new Case("POST", "/deletedsecrets/{secret-name}/recover") { Body = null, Setup = c => SeedSecret(c, delete: true) },
        ["keyvault/BackupSecret-example.json"] = new Case("POST", "/secrets/{secret-name}/backup") { Body = null, Setup = c => SeedSecret(c, delete: false) },
        ["keyvault/RestoreSecret-example.json"] = new Case("POST", "/secrets/restore")
        {
            // The example's blob was made by Azure and is encrypted for Azure: the fabric restores its own.
            Setup = async c =>
            {
                await SeedVault(c);
                await c.VaultAsync(HttpMethod.Put, "secrets/SecretBackupRestoreTest", new JsonObject
                {
                    ["value"] = "v",
                    ["contentType"] = "text",
                    ["attributes"] = new JsonObject { ["nbf"] = 1262332800, ["exp"] = 1893484800 },
                });
                var blob = (await c.VaultAsync(HttpMethod.Post, "secrets/SecretBackupRestoreTest/backup")).Json!["value"]!.GetValue<string>();
                await c.VaultAsync(HttpMethod.Delete, "secrets/SecretBackupRestoreTest");
                await c.VaultAsync(HttpMethod.Delete, "deletedsecrets/SecretBackupRestoreTest");
                c.Clock.Advance(TimeSpan.FromHours(1));          // a purge frees the name only once it has run
                c.Overrides["parameters"] = new JsonObject { ["value"] = blob };
            },
        },
    };

    private static Case GeoStatsCase() => new Case("GET", StorageAccount)
    {
        Body = null,
        Query = new[] { "$expand" },
        Setup = Seed(c => c.Control(s => StorageProvider.SeedAccount(s, c.P("subscriptionId"), c.P("resourceGroupName"), c.P("accountName"), "eastus2"))),
        Explained = new Dictionary<string, string>
        {
            ["$.properties.routingPreference"] = "Returned only for accounts created with a routing preference; the seeded account has none.",
            ["$.properties.primaryEndpoints.internetEndpoints"] = "Published only under a routing preference; the seeded account has none.",
            ["$.properties.primaryEndpoints.microsoftEndpoints"] = "Published only under a routing preference; the seeded account has none.",
        },
    };

    /// <summary>A setup that only seeds in-process.</summary>
    private static Func<Context, Task> Seed(Action<Context> seed) => c =>
    {
        seed(c);
        return Task.CompletedTask;
    };

    private static Task SeedVault(Context c)
    {
        c.Control(s => KeyVaultProvider.SeedVault(s, new Uri(c.P("vaultBaseUrl")).Host.Split('.')[0], "westus"));
        return Task.CompletedTask;
    }

    private static async Task SeedSecret(Context c, bool delete)
    {
        await SeedVault(c);
        await c.VaultAsync(HttpMethod.Put, "secrets/" + c.P("secret-name"), new JsonObject { ["value"] = "v" });
        if (delete)
        {
            await c.VaultAsync(HttpMethod.Delete, "secrets/" + c.P("secret-name"));
        }
    }

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var name in AllCases.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            data.Add(name);
        }
        return data;
    }

    [Fact]
    public void Every_shared_example_has_a_case()
    {
        var root = ExampleFiles.Directory();
        var files = Directory.GetFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
        Assert.Empty(files.Except(AllCases.Keys, StringComparer.Ordinal));
        // Every case has its example, in shared/azure-api-examples or shared/azure-api-examples-next.
        Assert.All(AllCases.Keys, file => Assert.True(File.Exists(ExampleFiles.Find(file))));
    }

    /// <summary>Every example with a case is in build/azure-api-examples.tsv, so the fetch script finds it on a machine
    /// without the shared folders.</summary>
    [Fact]
    public void Every_case_is_in_the_fetch_list()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln")))
        {
            dir = dir.Parent;
        }
        var listed = File.ReadAllLines(Path.Combine(dir!.FullName, "build", "azure-api-examples.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t')[0])
            .ToHashSet(StringComparer.Ordinal);
        Assert.Empty(AllCases.Keys.Where(k => !listed.Contains(k)).OrderBy(k => k, StringComparer.Ordinal));
    }

    /// <summary>The cases of both example folders.</summary>
    private static Dictionary<string, Case> AllCases => Cases.Concat(NextCases).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_fabric_answers_like_the_example(string file)
    {
        var example = JsonNode.Parse(File.ReadAllText(ExampleFiles.Find(file)))!.AsObject();
        var parameters = example["parameters"]!.AsObject();
        var test = AllCases[file];
        var clock = new ManualClock();
        await using var fabric = await TestFabric.StartAsync(o => o.Time = clock);
        var context = new Context(fabric, clock, parameters);
        if (test.Setup != null)
        {
            await test.Setup(context);
        }

        var isVault = parameters.ContainsKey("vaultBaseUrl");
        var query = new[] { "api-version" }.Concat(test.Query)
            .Select(q => q + "=" + Uri.EscapeDataString(parameters[q]!.ToString()));
        var path = (test.PathOf != null ? test.PathOf(context) : Fill(test.Path, parameters, context.Overrides, escape: true)) + "?" + string.Join("&", query);
        var uri = isVault ? new Uri(context.Vault, path.TrimStart('/')) : fabric.ArmUri(path);
        var body = test.Body == null ? null : context.Overrides.TryGetValue(test.Body, out var given) ? given : parameters[test.Body]?.DeepClone();
        var reply = await fabric.SendAsync(new HttpMethod(test.Method), uri, body);

        var responses = example["responses"]!.AsObject();
        Assert.True(responses.ContainsKey(reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            $"{file}: the fabric answered {reply.Status} ({reply.Text}); the example documents {string.Join(", ", responses.Select(r => r.Key))}.");
        var (expected, actual) = await ComparableBodies(fabric, clock, responses, reply);
        var differences = expected == null ? new List<string>() : JsonShape.Differences(expected, actual);
        var unexplained = differences.Where(d => !test.Explained.Keys.Any(k => d.StartsWith(k + ":", StringComparison.Ordinal))).ToList();
        Assert.True(unexplained.Count == 0, $"{file}: {string.Join("; ", unexplained)}");
        var stale = test.Explained.Keys.Where(k => !differences.Any(d => d.StartsWith(k + ":", StringComparison.Ordinal))).ToList();
        Assert.True(stale.Count == 0, $"{file}: explained differences that no longer occur: {string.Join(", ", stale)}");
    }

    /// <summary>
    /// The documented body for the fabric's status; for a 202 without one, the operation is run to its
    /// end and its final result is compared with the documented 200 (or 201) body.
    /// </summary>
    private static async Task<(JsonNode? Expected, JsonNode? Actual)> ComparableBodies(TestFabric fabric, ManualClock clock, JsonObject responses, Reply reply)
    {
        var documented = responses[reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)]?["body"];
        if (documented != null || reply.Status != 202)
        {
            return (documented, reply.Json);
        }
        var final = responses["200"]?["body"] ?? responses["201"]?["body"];
        var location = reply.Header("Location");
        if (final == null || location == null)
        {
            return (null, null);
        }
        clock.Advance(TimeSpan.FromHours(1));
        var result = await fabric.SendAsync(HttpMethod.Get, new Uri(location));
        Assert.Equal(200, result.Status);
        return (final, result.Json);
    }

    private static string Fill(string template, JsonObject parameters, Dictionary<string, JsonNode> overrides, bool escape)
    {
        var result = template;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(template, "{([^}]+)}").Select(m => m.Groups[1].Value))
        {
            var value = overrides.TryGetValue(name, out var o) ? o.ToString() : parameters[name]!.ToString();
            result = result.Replace("{" + name + "}", escape ? Uri.EscapeDataString(value) : value, StringComparison.Ordinal);
        }
        return result;
    }
}
