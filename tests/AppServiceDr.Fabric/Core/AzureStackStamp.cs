using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// The Azure Stack Hub stamp the fabric serves beside its public-cloud endpoints: management.{stamp},
/// {vault}.vault.{stamp} and {site}.web.{stamp}, where {stamp} is {region}.azurestack.{suffix} (as a real stamp is
/// {region}.{external domain}). It shares the fabric's state; what differs is what it answers to:
/// <list type="bullet">
/// <item>Resource Manager requests are refused unless their api-version is one the stamp serves for that resource
/// provider and type: the versions of the 2019-03-01-hybrid and 2020-09-01-hybrid profiles ("Resource provider API
/// versions supported by profiles in Azure Stack Hub"). A known type asked with another version answers
/// 400 NoRegisteredProviderFound naming the supported versions; a type the stamp does not have answers
/// 400 InvalidResourceType; a namespace it does not have (Microsoft.Sql), 400 InvalidResourceNamespace.</item>
/// <item>Key Vault data-plane requests are refused unless their api-version is 2016-10-01, 7.0 or 7.1, with
/// 400 BadParameter "The specified version (...) is not recognized. Consider using the latest supported version (7.1)."
/// as Azure Stack Hub answers.</item>
/// <item>GET /metadata/endpoints (no sign-in) answers the stamp's login endpoint and audience.</item>
/// </list>
/// Resources in the stamp's region get host names under the stamp's suffix (sites, storage endpoints).
/// </summary>
public static class AzureStackStamp
{
    /// <summary>The api-versions the stamp serves, by provider namespace and resource type ("*": every other type of
    /// the namespace, including its operation-status types).</summary>
    private static readonly Dictionary<string, Dictionary<string, string[]>> Served = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Microsoft.Storage"] = new(StringComparer.OrdinalIgnoreCase) { ["*"] = new[] { "2019-06-01", "2017-10-01" } },
        ["Microsoft.Web"] = new(StringComparer.OrdinalIgnoreCase) { ["*"] = new[] { "2018-02-01" } },
        ["Microsoft.KeyVault"] = new(StringComparer.OrdinalIgnoreCase) { ["*"] = new[] { "2019-09-01", "2016-10-01" } },
        ["Microsoft.Compute"] = new(StringComparer.OrdinalIgnoreCase) { ["*"] = new[] { "2020-06-01", "2017-12-01" } },
        ["Microsoft.Network"] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["dnsZones"] = new[] { "2016-04-01" },
            ["virtualNetworks"] = new[] { "2018-11-01", "2017-10-01" },
            ["networkInterfaces"] = new[] { "2018-11-01", "2017-10-01" },
            ["publicIPAddresses"] = new[] { "2018-11-01", "2017-10-01" },
            ["loadBalancers"] = new[] { "2018-11-01", "2017-10-01" },
            ["networkSecurityGroups"] = new[] { "2018-11-01", "2017-10-01" },
            ["locations"] = new[] { "2018-11-01", "2017-10-01" },
        },
        ["Microsoft.Resources"] = new(StringComparer.OrdinalIgnoreCase)
        {
            ["subscriptions/locations"] = new[] { "2016-06-01" },
            ["*"] = new[] { "2019-10-01", "2018-05-01", "2016-06-01" },
        },
    };

    public static readonly string[] KeyVaultDataPlane = { "2016-10-01", "7.0", "7.1" };

    public static string Suffix(FabricOptions options) => options.StackRegion + ".azurestack." + options.DnsSuffix;

    /// <summary>True when <paramref name="location"/> is the stamp's region (its resources live on the stamp).</summary>
    public static bool IsStampRegion(FabricOptions options, string? location) =>
        string.Equals(ArmStore.NormalizeRegion(location ?? string.Empty), ArmStore.NormalizeRegion(options.StackRegion), StringComparison.OrdinalIgnoreCase);

    /// <summary>The DNS suffix of resources in <paramref name="location"/>: the stamp's for its region, the fabric's otherwise.</summary>
    public static string SuffixFor(FabricOptions options, string? location) => IsStampRegion(options, location) ? Suffix(options) : options.DnsSuffix;

    /// <summary>The resource provider namespace and resource type a Resource Manager path is versioned by.</summary>
    public static (string Namespace, string Type) ApiOf(string path)
    {
        var segments = path.Trim('/').Split('/');
        var providers = Array.FindLastIndex(segments, s => string.Equals(s, "providers", StringComparison.OrdinalIgnoreCase));
        if (providers >= 0 && providers + 2 < segments.Length)
        {
            return (segments[providers + 1], segments[providers + 2]);
        }
        if (segments.Length >= 3 && string.Equals(segments[0], "subscriptions", StringComparison.OrdinalIgnoreCase))
        {
            return ("Microsoft.Resources", string.Equals(segments[2], "resourceGroups", StringComparison.OrdinalIgnoreCase) ? "resourceGroups" : "subscriptions/" + segments[2]);
        }
        return ("Microsoft.Resources", segments.Length >= 1 && segments[0].Length > 0 ? segments[0] : "subscriptions");
    }

    /// <summary>The refusal Azure Stack Hub answers for a Resource Manager request with this api-version, or null when it serves it.</summary>
    public static FabricError? CheckArm(FabricOptions options, string path, string apiVersion)
    {
        var (ns, type) = ApiOf(path);
        if (!Served.TryGetValue(ns, out var types))
        {
            return FabricError.BadRequest("InvalidResourceNamespace", $"The resource namespace '{ns}' is invalid.");
        }
        if (!types.TryGetValue(type, out var versions) && !types.TryGetValue("*", out versions))
        {
            return FabricError.BadRequest("InvalidResourceType",
                $"The resource type '{type}' could not be found in the namespace '{ns}' for api version '{apiVersion}'.");
        }
        if (versions.Contains(apiVersion, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }
        return FabricError.BadRequest("NoRegisteredProviderFound",
            $"No registered resource provider found for location '{options.StackRegion}' and API version '{apiVersion}' for type '{type}'. " +
            $"The supported api-versions are '{string.Join(", ", versions)}'. The supported locations are '{options.StackRegion}'.");
    }

    /// <summary>The refusal the stamp's Key Vault answers for this data-plane api-version, or null.</summary>
    public static FabricError? CheckVault(string? apiVersion) =>
        apiVersion != null && KeyVaultDataPlane.Contains(apiVersion, StringComparer.OrdinalIgnoreCase) ? null
        : FabricError.BadRequest("BadParameter",
            $"The specified version ({apiVersion}) is not recognized. Consider using the latest supported version ({KeyVaultDataPlane[KeyVaultDataPlane.Length - 1]}).");

    /// <summary>
    /// GET /metadata/endpoints (api-version 2015-01-01) as Resource Manager answers it without sign-in: the gallery,
    /// Graph and portal endpoints, and authentication.loginEndpoint with the audiences tokens must be issued for. The
    /// stamp signs in through Entra ID (the fabric's login host) or, with <see cref="FabricOptions.StackUsesAdfs"/>,
    /// through AD FS (https://adfs.{stamp}/adfs/).
    /// </summary>
    public static JsonObject Metadata(FabricOptions options, bool stamp)
    {
        var suffix = stamp ? Suffix(options) : options.DnsSuffix;
        var login = stamp && options.StackUsesAdfs ? $"https://adfs.{suffix}/adfs/" : $"https://login.{options.DnsSuffix}/";
        var audience = stamp
            ? (options.StackUsesAdfs ? $"https://management.adfs.{suffix}/" : $"https://management.{options.DnsSuffix}/") + options.StackApplicationId
            : $"https://management.{options.DnsSuffix}/";
        return new JsonObject
        {
            ["galleryEndpoint"] = $"https://adminportal.{suffix}:30015/",
            ["graphEndpoint"] = stamp && options.StackUsesAdfs ? $"https://graph.{suffix}/" : $"https://graph.{options.DnsSuffix}/",
            ["portalEndpoint"] = $"https://portal.{suffix}/",
            ["authentication"] = new JsonObject
            {
                ["loginEndpoint"] = login,
                ["audiences"] = new JsonArray(audience),
            },
        };
    }
}
