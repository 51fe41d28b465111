using System;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>Resource-id building and the lookups every ARM provider shares.</summary>
public static class Arm
{
    public const string ResourceGroupType = "Microsoft.Resources/resourceGroups";

    public static string ResourceGroupId(string subscription, string resourceGroup) =>
        $"/subscriptions/{subscription}/resourceGroups/{resourceGroup}";

    public static string ProviderId(string subscription, string resourceGroup, string providerNamespace, string typePath) =>
        $"{ResourceGroupId(subscription, resourceGroup)}/providers/{providerNamespace}/{typePath}";

    /// <summary>The resource group, or 404 ResourceGroupNotFound like ARM.</summary>
    public static ArmResource RequireResourceGroup(FabricState state, string subscription, string resourceGroup)
    {
        var group = state.Arm.Find(ResourceGroupId(subscription, resourceGroup));
        if (group == null)
        {
            throw FabricError.NotFound("ResourceGroupNotFound", $"Resource group '{resourceGroup}' does not exist.");
        }
        return group;
    }

    /// <summary>The resource, or 404 ResourceNotFound naming its type like ARM.</summary>
    public static ArmResource RequireResource(FabricState state, string id, string type)
    {
        var resource = state.Arm.Find(id);
        if (resource == null || !string.Equals(resource.Type, type, StringComparison.OrdinalIgnoreCase))
        {
            throw ResourceNotFound(type + "/" + id.Substring(id.LastIndexOf('/') + 1), ResourceGroupOf(id));
        }
        return resource;
    }

    /// <summary>ARM's 404 ResourceNotFound for a resource named like "Microsoft.Sql/servers/a/databases/b".</summary>
    public static FabricError ResourceNotFound(string typeAndName, string resourceGroup) =>
        FabricError.NotFound("ResourceNotFound", $"Resource '{typeAndName}' does not exist in resource group '{resourceGroup}'.");

    public static string ResourceGroupOf(string id)
    {
        var parts = id.Split('/');
        for (var i = 0; i + 1 < parts.Length; i++)
        {
            if (string.Equals(parts[i], "resourceGroups", StringComparison.OrdinalIgnoreCase))
            {
                return parts[i + 1];
            }
        }
        return string.Empty;
    }

    /// <summary>The body's "location", required on creation.</summary>
    public static string RequireLocation(JsonObject body)
    {
        var location = body["location"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(location))
        {
            throw FabricError.BadRequest("LocationRequired", "A location is required.");
        }
        return location!;
    }

    public static JsonObject List(System.Collections.Generic.IEnumerable<JsonNode> items)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(item);
        }
        return new JsonObject { ["value"] = array };
    }

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
