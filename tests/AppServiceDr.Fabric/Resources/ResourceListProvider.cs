using System;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Resources;

/// <summary>
/// Listings of a resource group (Microsoft.Resources 2021-04-01 and later): its top-level resources
/// (<c>GET …/resourceGroups/{rg}/resources</c>, the GenericResourceExpanded shape: id, name, type, location, kind,
/// sku, tags; child resources such as a server's databases are not listed, as in the service) and its
/// deployments (<c>GET …/providers/Microsoft.Resources/deployments/</c>), newest first.
/// </summary>
public sealed class ResourceListProvider : IFabricProvider
{
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Arm.Map("GET", "/subscriptions/{sub}/resourceGroups/{rg}/resources", ListResources);
        routes.Arm.Map("GET", "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments", ListDeployments);
        // Listing is metadata: it answers while the group's region is down.
        routes.ArmRegionRule(path => (path.EndsWith("/resources", StringComparison.OrdinalIgnoreCase)
                                      || path.TrimEnd('/').EndsWith("/providers/Microsoft.Resources/deployments", StringComparison.OrdinalIgnoreCase), null));
    }

    private FabricResult ListResources(FabricRequest request)
    {
        var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var items = _state.Arm.Under(group.Id)
            .Where(r => IsTopLevel(group.Id, r.Id) && !string.Equals(r.Type, DeploymentsProvider.DeploymentType, StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase)
            .Select(r =>
            {
                var json = new JsonObject { ["id"] = r.Id, ["name"] = r.Name, ["type"] = r.Type };
                if (r.Location != null)
                {
                    json["location"] = r.Location;
                }
                if (r.Kind != null)
                {
                    json["kind"] = r.Kind;
                }
                if (r.Sku != null)
                {
                    json["sku"] = r.Sku.DeepClone();
                }
                json["tags"] = r.Tags.DeepClone();
                return (JsonNode)json;
            });
        return FabricResult.Ok(Arm.List(items));
    }

    /// <summary>{group}/providers/{namespace}/{type}/{name}: three segments after "providers".</summary>
    private static bool IsTopLevel(string groupId, string id)
    {
        var rest = id.Substring(groupId.Length).Trim('/').Split('/');
        return rest.Length == 4 && string.Equals(rest[0], "providers", StringComparison.OrdinalIgnoreCase);
    }

    private FabricResult ListDeployments(FabricRequest request)
    {
        var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var deployments = _state.Arm.Under(group.Id)
            .Where(r => string.Equals(r.Type, DeploymentsProvider.DeploymentType, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(r => r.Properties["timestamp"]?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal)
            .Select(r => (JsonNode)r.ToJson());
        return FabricResult.Ok(Arm.List(deployments));
    }
}
