using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// One ARM resource as stored: identity, region and the JSON the service returns for it. Providers
/// change <see cref="Properties"/> as the resource moves through its states.
/// </summary>
public sealed class ArmResource
{
    public ArmResource(string id, string type, string? location)
    {
        Id = id;
        Type = type;
        Location = location == null ? null : ArmStore.NormalizeRegion(location);
    }

    public string Id { get; set; }

    public string Name => Id.Substring(Id.LastIndexOf('/') + 1);

    public string Type { get; }

    /// <summary>Normalized region (lower case, no spaces), or null for global resources.</summary>
    public string? Location { get; set; }

    public string? Kind { get; set; }

    public JsonObject? Sku { get; set; }

    public JsonObject Tags { get; set; } = new JsonObject();

    public JsonObject Properties { get; set; } = new JsonObject();

    /// <summary>State the fabric keeps for its own behaviour; never rendered.</summary>
    public Dictionary<string, object?> Internal { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    public T? Get<T>(string key) => Internal.TryGetValue(key, out var v) && v is T t ? t : default;

    /// <summary>The resource as ARM renders it.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Sku != null)
        {
            json["sku"] = Sku.DeepClone();
        }
        if (Kind != null)
        {
            json["kind"] = Kind;
        }
        if (Location != null)
        {
            json["location"] = Location;
        }
        json["tags"] = Tags.DeepClone();
        json["id"] = Id;
        json["name"] = Name;
        json["type"] = Type;
        json["properties"] = Properties.DeepClone();
        return json;
    }
}

/// <summary>Every ARM resource the fabric holds, keyed by id (case-insensitive like ARM).</summary>
public sealed class ArmStore
{
    private readonly Dictionary<string, ArmResource> _byId = new Dictionary<string, ArmResource>(StringComparer.OrdinalIgnoreCase);

    public static string NormalizeRegion(string region) => region.Replace(" ", string.Empty).ToLowerInvariant();

    public ArmResource? Find(string id) => _byId.TryGetValue(id.TrimEnd('/'), out var r) ? r : null;

    public ArmResource Add(ArmResource resource)
    {
        _byId[resource.Id] = resource;
        return resource;
    }

    public bool Remove(string id) => _byId.Remove(id);

    /// <summary>Direct children of <paramref name="parentId"/> of one type (e.g. the databases of a server).</summary>
    public IEnumerable<ArmResource> Children(string parentId, string type) =>
        _byId.Values
            .Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase)
                        && r.Id.StartsWith(parentId + "/", StringComparison.OrdinalIgnoreCase)
                        && IsDirectChild(parentId, r.Id))
            .OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every resource whose id lies under <paramref name="scopeId"/> (a resource group, say).</summary>
    public IEnumerable<ArmResource> Under(string scopeId) =>
        _byId.Values.Where(r => r.Id.StartsWith(scopeId + "/", StringComparison.OrdinalIgnoreCase)).ToList();

    public IEnumerable<ArmResource> OfType(string type) =>
        _byId.Values.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>
    /// Region a request path concerns: a /locations/{region}/ segment, else the region of the deepest
    /// existing resource on the path. Resource groups are metadata and never count.
    /// </summary>
    public string? RegionOfPath(string path)
    {
        var segments = path.Trim('/').Split('/');
        for (var i = 0; i + 1 < segments.Length; i++)
        {
            if (string.Equals(segments[i], "locations", StringComparison.OrdinalIgnoreCase))
            {
                return NormalizeRegion(segments[i + 1]);
            }
        }
        for (var n = segments.Length; n > 0; n--)
        {
            var id = "/" + string.Join("/", segments, 0, n);
            var resource = Find(id);
            if (resource != null && resource.Location != null
                && !string.Equals(resource.Type, "Microsoft.Resources/resourceGroups", StringComparison.OrdinalIgnoreCase))
            {
                return resource.Location;
            }
        }
        return null;
    }

    private static bool IsDirectChild(string parentId, string id)
    {
        // parent/{type}/{name}: exactly two more segments.
        var rest = id.Substring(parentId.Length + 1);
        return rest.Split('/').Length == 2;
    }
}
