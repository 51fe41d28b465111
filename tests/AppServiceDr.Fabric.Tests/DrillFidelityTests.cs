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

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// The REST examples the drills rely on, kept in shared/azure-api-examples-next (build/azure-api-examples-next.tsv):
/// deployment validate and what-if, and a vault's recovery settings through Resource Manager. Each is replayed like the
/// fidelity table's: a documented status, and every documented property with the same JSON type, deliberate
/// differences named with their reason.
/// </summary>
public sealed class DrillFidelityTests
{
    private static string Directory() => Path.Combine(Path.GetDirectoryName(ExampleFiles.Directory())!, "azure-api-examples-next");

    private static readonly JsonObject Template = JsonNode.Parse("""
        { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
          "resources": [ { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2024-01-01", "name": "mystorageaccount",
                           "location": "[resourceGroup().location]", "sku": { "name": "Standard_LRS" }, "kind": "StorageV2", "tags": { "purpose": "drill" } },
                         { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2024-01-01", "name": "myotheraccount",
                           "location": "[resourceGroup().location]", "sku": { "name": "Standard_LRS" }, "kind": "StorageV2", "tags": { "purpose": "drill" } } ] }
        """)!.AsObject();

    private static readonly string[] Files =
    {
        "resources/PostDeploymentValidateOnResourceGroup.json",
        "resources/PostDeploymentWhatIfOnResourceGroup.json",
    };

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Files) data.Add(file);
        return data;
    }

    [Fact]
    public void Every_example_the_drills_rely_on_is_listed_for_download()
    {
        var listed = File.ReadAllLines(Path.Combine(RepositoryRootName(), "build", "azure-api-examples-next.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')[0]).ToList();
        Assert.All(Files, f => Assert.Contains(f, listed));
    }

    private static string RepositoryRootName()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_fabric_answers_like_the_example(string file)
    {
        var example = JsonNode.Parse(File.ReadAllText(Path.Combine(Directory(), file)))!.AsObject();
        var p = example["parameters"]!.AsObject();
        string P(string name) => p[name]!.GetValue<string>();
        await using var fabric = await TestFabric.StartAsync();
        string path;
        HttpMethod method;
        JsonNode? body = null;
        Dictionary<string, string> explained;
        var rg = P("resourceGroupName");
        var sub = P("subscriptionId");
        switch (file)
        {
            default:
                fabric.Server.Control(s =>
                {
                    ResourceGroupsProvider.Seed(s, sub, rg, "eastus");
                    DeploymentsProvider.RegisterTemplate(s, p["parameters"]!["properties"]!["templateLink"]!["uri"]!.GetValue<string>(), Template);
                });
                method = HttpMethod.Post;
                var what = file.Contains("WhatIf", StringComparison.Ordinal) ? "whatIf" : "validate";
                path = $"/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{P("deploymentName")}/{what}";
                body = p["parameters"]!.DeepClone();
                explained = what == "validate"
                    ? new Dictionary<string, string>
                    {
                        ["$.properties.templateLink.id"] = "The example links a template spec by id; the fabric fetches templates by uri and records that uri.",
                        ["$.properties.diagnostics"] = "Diagnostics are warnings about nested deployments, which the fabric does not model.",
                    }
                    : new Dictionary<string, string>
                    {
                        ["$.properties.changes[0].before"] = "The fabric does not compare a resource's current properties, so it lists no before state.",
                        ["$.properties.changes[0].delta"] = "The fabric does not compare properties, so it reports no property changes (changeType Deploy, not Modify).",
                    };
                break;
        }
        var reply = await fabric.SendAsync(method, fabric.ArmUri(path + "?api-version=" + Uri.EscapeDataString(P("api-version"))), body);

        var responses = example["responses"]!.AsObject();
        Assert.True(responses.ContainsKey(reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{file}: {reply.Status} {reply.Text}");
        var expected = responses[reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)]!["body"];
        var differences = JsonShape.Differences(expected, reply.Json);
        var unexplained = differences.Where(d => !explained.Keys.Any(k => d.StartsWith(k, StringComparison.Ordinal))).ToList();
        Assert.True(unexplained.Count == 0, $"{file}: {string.Join("; ", unexplained)}");
        var stale = explained.Keys.Where(k => !differences.Any(d => d.StartsWith(k, StringComparison.Ordinal))).ToList();
        Assert.True(stale.Count == 0, $"{file}: explained differences that no longer occur: {string.Join(", ", stale)}");
    }
}
