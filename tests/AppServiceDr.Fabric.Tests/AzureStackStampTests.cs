using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Resources;
using AppServiceDr.Fabric.Storage;

namespace AppServiceDr.Fabric.Tests;

/// <summary>The Azure Stack Hub stamp the fabric serves: its 2019-06-01 storage examples (the 2020-09-01-hybrid
/// profile), the api-versions it refuses, its metadata and its Key Vault data-plane versions.</summary>
public sealed class AzureStackStampTests
{
    private const string Account = "/subscriptions/{0}/resourceGroups/{1}/providers/Microsoft.Storage/storageAccounts/{2}";

    private static Uri Stamp(TestFabric fabric, string pathAndQuery) => new Uri(fabric.Server.StackArmEndpoint, pathAndQuery);

    private static string Message(Reply reply) => reply.Json?["error"]?["message"]?.GetValue<string>() ?? reply.Text;

    private static JsonObject Example(string file) =>
        JsonNode.Parse(File.ReadAllText(ExampleFiles.Find(file)))!.AsObject();

    [Fact]
    public async Task Storage_account_create_at_2019_06_01_answers_like_the_example()
    {
        var example = Example("storage/StorageAccountCreate.2019-06-01.json");
        var p = example["parameters"]!.AsObject();
        await using var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s => ResourceGroupsProvider.Seed(s, p["subscriptionId"]!.ToString(), p["resourceGroupName"]!.ToString(), "local"));
        var body = p["parameters"]!.DeepClone().AsObject();
        body["location"] = "local";
        var path = string.Format(Account, p["subscriptionId"], p["resourceGroupName"], p["accountName"]) + "?api-version=2019-06-01";
        var reply = await fabric.SendAsync(HttpMethod.Put, Stamp(fabric, path), body);
        Assert.True(reply.Status == 200 || reply.Status == 202, $"{reply.Status}: {reply.Text}");
        var final = await fabric.WaitAsync(() => fabric.SendAsync(HttpMethod.Get, Stamp(fabric, path)),
            r => r.Json?["properties"]?["provisioningState"]?.GetValue<string>() == "Succeeded");
        var expected = example["responses"]!["200"]!["body"]!;
        var differences = JsonShape.Differences(expected, final.Json);
        // The example's account is geo-redundant with routing preferences; what the stamp shows beyond is explained.
        var unexplained = differences.Where(d => !d.StartsWith("$.properties.secondaryLocation:", StringComparison.Ordinal)
                                                 && !d.StartsWith("$.properties.statusOfSecondary:", StringComparison.Ordinal)).ToList();
        Assert.True(unexplained.Count == 0, string.Join("; ", unexplained));
        // The stamp's endpoints are under its own suffix, as a stamp's are {account}.blob.{region}.{domain}.
        Assert.Equal($"https://{p["accountName"]}.blob.{fabric.Server.StackSuffix}/", final.Json!["properties"]!["primaryEndpoints"]!["blob"]!.GetValue<string>());
    }

    [Fact]
    public async Task Storage_list_keys_at_2019_06_01_answers_like_the_example()
    {
        var example = Example("storage/StorageAccountListKeys.2019-06-01.json");
        var p = example["parameters"]!.AsObject();
        await using var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s => StorageProvider.SeedAccount(s, p["subscriptionId"]!.ToString(), p["resourceGroupName"]!.ToString(), p["accountName"]!.ToString(), "local"));
        var path = string.Format(Account, p["subscriptionId"], p["resourceGroupName"], p["accountName"]) + "/listKeys?api-version=2019-06-01";
        var reply = await fabric.SendAsync(HttpMethod.Post, Stamp(fabric, path));
        Assert.Equal(200, reply.Status);
        Assert.Empty(JsonShape.Differences(example["responses"]!["200"]!["body"]!, reply.Json));
    }

    [Theory]
    [InlineData("2024-01-01", "NoRegisteredProviderFound")]
    [InlineData("2019-06-01", null)]
    [InlineData("2017-10-01", null)]
    public async Task The_stamp_serves_only_the_storage_versions_of_its_profiles(string version, string? refusal)
    {
        await using var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s => StorageProvider.SeedAccount(s, TestFabric.Subscription, "rg1", "stackstore1", "local"));
        var reply = await fabric.SendAsync(HttpMethod.Get, Stamp(fabric, string.Format(Account, TestFabric.Subscription, "rg1", "stackstore1") + "?api-version=" + version));
        if (refusal == null)
        {
            Assert.Equal(200, reply.Status);
            return;
        }
        Assert.Equal(400, reply.Status);
        Assert.Equal(refusal, reply.ErrorCode);
        Assert.Contains("'2019-06-01, 2017-10-01'", Message(reply));
        // The public endpoint of the same fabric serves the newest version.
        Assert.Equal(200, (await fabric.ArmAsync(HttpMethod.Get, string.Format(Account, TestFabric.Subscription, "rg1", "stackstore1") + "?api-version=" + version)).Status);
    }

    [Fact]
    public async Task Services_the_stamp_does_not_have_are_refused()
    {
        await using var fabric = await TestFabric.StartAsync();
        var sql = await fabric.SendAsync(HttpMethod.Get, Stamp(fabric, $"/subscriptions/{TestFabric.Subscription}/resourceGroups/rg1/providers/Microsoft.Sql/servers/s1?api-version=2023-08-01"));
        Assert.Equal(400, sql.Status);
        Assert.Equal("InvalidResourceNamespace", sql.ErrorCode);
        var traffic = await fabric.SendAsync(HttpMethod.Get, Stamp(fabric, $"/subscriptions/{TestFabric.Subscription}/resourceGroups/rg1/providers/Microsoft.Network/trafficManagerProfiles/p1?api-version=2022-04-01"));
        Assert.Equal("InvalidResourceType", traffic.ErrorCode);
        var web = await fabric.SendAsync(HttpMethod.Get, Stamp(fabric, $"/subscriptions/{TestFabric.Subscription}/resourceGroups/rg1/providers/Microsoft.Web/sites/app1?api-version=2024-04-01"));
        Assert.Equal("NoRegisteredProviderFound", web.ErrorCode);
        Assert.Contains("'2018-02-01'", Message(web));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Metadata_names_the_sign_in_endpoint_without_sign_in(bool adfs)
    {
        await using var fabric = await TestFabric.StartAsync(o => o.StackUsesAdfs = adfs);
        var reply = await fabric.SendAsync(HttpMethod.Get, Stamp(fabric, "/metadata/endpoints?api-version=2015-01-01"), authenticate: false);
        Assert.Equal(200, reply.Status);
        var login = reply.Json!["authentication"]!["loginEndpoint"]!.GetValue<string>();
        Assert.Equal(adfs, login.EndsWith("/adfs/", StringComparison.Ordinal));
        Assert.Single(reply.Json["authentication"]!["audiences"]!.AsArray());
    }

    [Theory]
    [InlineData("7.5", 400)]
    [InlineData("7.1", 200)]
    [InlineData("7.0", 200)]
    public async Task The_stamp_key_vault_accepts_its_data_plane_versions(string version, int status)
    {
        await using var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s =>
        {
            KeyVaultProvider.SeedVault(s, "stampkv", "local");
            KeyVaultProvider.SeedSecret(s, "stampkv", "s1", "v1");
        });
        var reply = await fabric.SendAsync(HttpMethod.Get, new Uri(fabric.Server.StackVaultUri("stampkv"), "secrets/s1?api-version=" + version));
        Assert.Equal(status, reply.Status);
        if (status == 400)
        {
            Assert.Equal("BadParameter", reply.ErrorCode);
            Assert.Contains($"The specified version ({version}) is not recognized", Message(reply));
        }
    }
}
