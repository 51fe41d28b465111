using System;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Resources;

/// <summary>Microsoft.Resources resource groups (2022-09-01): PUT 201/200, GET, HEAD, DELETE as an operation.</summary>
public sealed class ResourceGroupsProvider : IFabricProvider
{
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        const string path = "/subscriptions/{sub}/resourcegroups/{rg}";
        routes.Arm.Map("PUT", path, Put);
        routes.Arm.Map("GET", path, Get);
        routes.Arm.Map("HEAD", path, Head);
        routes.Arm.Map("DELETE", path, Delete);
        routes.Arm.Map("GET", "/subscriptions/{sub}/locations", ListLocations);
        routes.Admin.Map("PUT", "/_fabric/seed/resourceGroups/{sub}/{rg}", request =>
        {
            Seed(_state, request.Route("sub"), request.Route("rg"), Arm.RequireLocation(request.RequireBody()));
            return FabricResult.NoContent();
        });
    }

    /// <summary>Creates (or keeps) a resource group; in-process seeding.</summary>
    public static ArmResource Seed(FabricState state, string subscription, string name, string location)
    {
        var id = Arm.ResourceGroupId(subscription, name);
        var existing = state.Arm.Find(id);
        if (existing != null)
        {
            return existing;
        }
        var group = new ArmResource(id, Arm.ResourceGroupType, location);
        group.Properties["provisioningState"] = "Succeeded";
        return state.Arm.Add(group);
    }

    /// <summary>The regions the fabric knows, with their pairs, for validating a target location.</summary>
    private static FabricResult ListLocations(FabricRequest request)
    {
        var subscription = "/subscriptions/" + request.Route("sub") + "/locations/";
        return FabricResult.Ok(Arm.List(Regions.DisplayNames.Select(r => (JsonNode)new JsonObject
        {
            ["id"] = subscription + r.Key,
            ["name"] = r.Key,
            ["type"] = "Region",
            ["displayName"] = r.Value,
            ["metadata"] = new JsonObject
            {
                ["regionType"] = "Physical",
                ["pairedRegion"] = new JsonArray(new JsonObject { ["name"] = Regions.Paired(r.Key), ["id"] = subscription + Regions.Paired(r.Key) }),
            },
        })));
    }

    private FabricResult Put(FabricRequest request)
    {
        var body = request.RequireBody();
        var location = Arm.RequireLocation(body);
        var id = Arm.ResourceGroupId(request.Route("sub"), request.Route("rg"));
        var existing = _state.Arm.Find(id);
        if (existing != null && existing.Get<bool>("deleting"))
        {
            throw FabricError.Conflict("ResourceGroupBeingDeleted", $"Resource group '{existing.Name}' is being deleted.");
        }
        if (existing != null && existing.Location != ArmStore.NormalizeRegion(location))
        {
            throw FabricError.BadRequest("InvalidResourceGroupLocation",
                $"Resource group '{existing.Name}' already exists in '{existing.Location}' and cannot move to '{ArmStore.NormalizeRegion(location)}'.");
        }
        var group = existing ?? _state.Arm.Add(new ArmResource(id, Arm.ResourceGroupType, location));
        group.Properties["provisioningState"] = "Succeeded";
        if (body["tags"] is JsonObject tags)
        {
            group.Tags = (JsonObject)tags.DeepClone();
        }
        return new FabricResult(existing == null ? 201 : 200, Render(group));
    }

    private FabricResult Get(FabricRequest request) =>
        FabricResult.Ok(Render(Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"))));

    private FabricResult Head(FabricRequest request)
    {
        var found = _state.Arm.Find(Arm.ResourceGroupId(request.Route("sub"), request.Route("rg"))) != null;
        return new FabricResult(found ? 204 : 404);
    }

    private FabricResult Delete(FabricRequest request)
    {
        var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        group.Internal["deleting"] = true;
        group.Properties["provisioningState"] = "Deleting";
        var op = _state.Operations.Start(request, "Microsoft.Resources", group.Location, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                foreach (var child in _state.Arm.Under(group.Id).ToList())
                {
                    _state.Arm.Remove(child.Id);
                }
                _state.Arm.Remove(group.Id);
            },
            onFailed: () =>
            {
                group.Internal["deleting"] = false;
                group.Properties["provisioningState"] = "Succeeded";
            });
        return _state.Operations.Accepted(op, request, asyncOperationHeader: false);
    }

    private static JsonObject Render(ArmResource group)
    {
        var json = group.ToJson();
        // Resource groups carry no kind/sku and list location before properties like the service.
        json.Remove("tags");
        if (group.Tags.Count > 0)
        {
            json["tags"] = group.Tags.DeepClone();
        }
        return json;
    }
}
