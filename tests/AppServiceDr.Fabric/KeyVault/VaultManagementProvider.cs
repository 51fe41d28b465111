using System;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.KeyVault;

/// <summary>
/// Microsoft.KeyVault vaults as Resource Manager resources (2025-05-01 shapes, any api-version): GET one, and
/// the list of a resource group (<c>$top</c> honoured). A vault seeded here is also a data-plane vault
/// (<see cref="KeyVaultProvider"/>), so its secrets go through <c>properties.vaultUri</c>. Soft delete is on
/// (as for every vault created since it became mandatory), with the retention of
/// <see cref="FabricTimings.SoftDeleteRetentionDays"/>; purge protection is as seeded.
/// </summary>
public sealed class VaultManagementProvider : IFabricProvider
{
    public const string VaultType = "Microsoft.KeyVault/vaults";
    private const string Vaults = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults";
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Arm.Map("GET", Vaults + "/{vault}", request =>
        {
            Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
            var vault = Arm.RequireResource(_state, Arm.ProviderId(request.Route("sub"), request.Route("rg"), "Microsoft.KeyVault", "vaults/" + request.Route("vault")), VaultType);
            return FabricResult.Ok(Render(vault, request));
        });
        routes.Arm.Map("GET", Vaults, request =>
        {
            var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
            var vaults = _state.Arm.Under(group.Id).Where(r => string.Equals(r.Type, VaultType, StringComparison.OrdinalIgnoreCase))
                .OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase).AsEnumerable();
            if (int.TryParse(request.Query("$top"), out var top))
            {
                vaults = vaults.Take(top);
            }
            return FabricResult.Ok(Arm.List(vaults.Select(v => (JsonNode)Render(v, request))));
        });
        routes.Admin.Map("PUT", "/_fabric/seed/vaultResources/{sub}/{rg}/{vault}", request =>
        {
            var body = request.RequireBody();
            SeedVault(_state, request.Route("sub"), request.Route("rg"), request.Route("vault"), Arm.RequireLocation(body),
                body["enablePurgeProtection"]?.GetValue<bool>() ?? false);
            return FabricResult.NoContent();
        });
    }

    /// <summary>A vault in a resource group (and its data-plane vault); in-process seeding, idempotent.</summary>
    /// <remarks>A vault created before soft delete became mandatory can still have it off
    /// (<paramref name="enableSoftDelete"/>); the retention is 7 to 90 days.</remarks>
    public static ArmResource SeedVault(FabricState state, string subscription, string resourceGroup, string name, string location, bool purgeProtection = false,
        int? softDeleteRetentionInDays = null, bool enableSoftDelete = true)
    {
        Resources.ResourceGroupsProvider.Seed(state, subscription, resourceGroup, location);
        KeyVaultProvider.SeedVault(state, name, location);
        var id = Arm.ProviderId(subscription, resourceGroup, "Microsoft.KeyVault", "vaults/" + name);
        var vault = state.Arm.Find(id);
        if (vault == null)
        {
            vault = state.Arm.Add(new ArmResource(id, VaultType, location));
            var p = vault.Properties;
            p["sku"] = new JsonObject { ["family"] = "A", ["name"] = "standard" };
            p["tenantId"] = state.Options.TenantId;
            p["accessPolicies"] = new JsonArray();
            p["enabledForDeployment"] = false;
            p["enabledForDiskEncryption"] = false;
            p["enabledForTemplateDeployment"] = true;
            p["enableSoftDelete"] = enableSoftDelete;
            p["softDeleteRetentionInDays"] = softDeleteRetentionInDays ?? state.Timings.SoftDeleteRetentionDays;
            p["enableRbacAuthorization"] = true;
            p["provisioningState"] = "Succeeded";
            p["publicNetworkAccess"] = "Enabled";
            vault.Internal["createdAt"] = state.Now;
        }
        // Once on, purge protection cannot be turned off (the specification's enablePurgeProtection).
        if (purgeProtection)
        {
            vault.Properties["enablePurgeProtection"] = true;
        }
        return vault;
    }

    private JsonObject Render(ArmResource vault, FabricRequest request)
    {
        var json = vault.ToJson();
        var port = request.Http.Request.Host.Port;
        json["properties"]!["vaultUri"] = $"https://{vault.Name.ToLowerInvariant()}.vault.{_state.Options.DnsSuffix}{(port == null ? string.Empty : ":" + port)}/";
        var created = Arm.Iso(vault.Get<DateTimeOffset>("createdAt"));
        json["systemData"] = new JsonObject
        {
            ["createdBy"] = "fabric",
            ["createdByType"] = "Application",
            ["createdAt"] = created,
            ["lastModifiedBy"] = "fabric",
            ["lastModifiedByType"] = "Application",
            ["lastModifiedAt"] = created,
        };
        return json;
    }
}
