using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Network;

/// <summary>
/// Microsoft.Network DNS (2018-05-01): public zones and record sets (CNAME, A, TXT, ...), with etags
/// and If-Match / If-None-Match on record set writes.
/// </summary>
public sealed class DnsProvider : IFabricProvider
{
    public const string ZoneType = "Microsoft.Network/dnszones";
    private const string Zone = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}";
    private static readonly string[] RecordTypes = { "A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA", "PTR" };
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Arm.Map("PUT", Zone, PutZone);
        routes.Arm.Map("GET", Zone, request => FabricResult.Ok(RenderZone(RequireZone(request))));
        routes.Arm.Map("GET", Zone + "/recordsets", request => FabricResult.Ok(Arm.List(Records(RequireZone(request)).Values.Select(r => (JsonNode)r.DeepClone()))));
        routes.Arm.Map("PUT", Zone + "/{type}/{name}", PutRecord);
        routes.Arm.Map("GET", Zone + "/{type}/{name}", request => FabricResult.Ok(RequireRecord(request).DeepClone()));
        routes.Arm.Map("DELETE", Zone + "/{type}/{name}", DeleteRecord);
    }

    private static Dictionary<string, JsonObject> Records(ArmResource zone) => zone.Get<Dictionary<string, JsonObject>>("records")!;

    private string ZoneId(FabricRequest r) => Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Network", "dnszones/" + r.Route("zone"));

    private ArmResource RequireZone(FabricRequest r, string code = "ResourceNotFound")
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        var zone = _state.Arm.Find(ZoneId(r));
        return zone ?? throw FabricError.NotFound(code, $"DNS zone '{r.Route("zone")}' does not exist in resource group '{r.Route("rg")}'.");
    }

    private static string RecordType(FabricRequest r) =>
        RecordTypes.FirstOrDefault(t => string.Equals(t, r.Route("type"), StringComparison.OrdinalIgnoreCase))
        ?? throw FabricError.BadRequest("BadRequest", $"The record type '{r.Route("type")}' is not supported.");

    private static string Key(string type, string name) => type + "/" + name.ToLowerInvariant();

    private JsonObject RequireRecord(FabricRequest r)
    {
        var zone = RequireZone(r, "ParentResourceNotFound");
        return Records(zone).TryGetValue(Key(RecordType(r), r.Route("name")), out var record)
            ? record
            : throw FabricError.NotFound("NotFound", $"Record set '{r.Route("name")}' does not exist in zone '{r.Route("zone")}'.");
    }

    private JsonObject RenderZone(ArmResource zone)
    {
        var json = zone.ToJson();
        json["etag"] = zone.Get<string>("etag");
        json["properties"]!["numberOfRecordSets"] = Records(zone).Count + 2;
        return json;
    }

    private FabricResult PutZone(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var existing = _state.Arm.Find(ZoneId(request));
        var zone = existing ?? _state.Arm.Add(new ArmResource(ZoneId(request), ZoneType, "global"));
        if (existing == null)
        {
            zone.Internal["records"] = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            zone.Properties["maxNumberOfRecordSets"] = 10000;
            zone.Properties["nameServers"] = new JsonArray("ns1-01.dns." + _state.Options.DnsSuffix + ".", "ns2-01.dns." + _state.Options.DnsSuffix + ".");
            zone.Properties["zoneType"] = "Public";
        }
        if (request.RequireBody()["tags"] is JsonObject tags)
        {
            zone.Tags = (JsonObject)tags.DeepClone();
        }
        zone.Internal["etag"] = Guid.NewGuid().ToString();
        return new FabricResult(existing == null ? 201 : 200, RenderZone(zone));
    }

    private FabricResult PutRecord(FabricRequest request)
    {
        var zone = RequireZone(request, "ParentResourceNotFound");
        var type = RecordType(request);
        var name = request.Route("name");
        var records = Records(zone);
        records.TryGetValue(Key(type, name), out var existing);
        var ifMatch = request.Http.Request.Headers.IfMatch.FirstOrDefault();
        var ifNoneMatch = request.Http.Request.Headers.IfNoneMatch.FirstOrDefault();
        if ((ifNoneMatch == "*" && existing != null)
            || (ifMatch != null && ifMatch != "*" && ifMatch.Trim('"') != existing?["etag"]?.GetValue<string>())
            || (ifMatch == "*" && existing == null))
        {
            throw new FabricError(412, "PreconditionFailed", $"The record set '{name}' does not match the given If-Match/If-None-Match condition.");
        }
        var properties = (JsonObject)(request.RequireBody()["properties"]?.DeepClone() ?? throw FabricError.BadRequest("BadRequest", "The record set properties are required."));
        if (type == "CNAME")
        {
            if (properties["CNAMERecord"]?["cname"] == null)
            {
                throw FabricError.BadRequest("BadRequest", "A CNAME record set needs CNAMERecord.cname.");
            }
            if (records.Keys.Any(k => !k.StartsWith("CNAME/", StringComparison.Ordinal) && k.EndsWith("/" + name.ToLowerInvariant(), StringComparison.Ordinal)))
            {
                throw FabricError.Conflict("Conflict", $"A CNAME record set cannot share the name '{name}' with other record sets.");
            }
        }
        properties["TTL"] ??= 3600;
        properties["fqdn"] = (name == "@" ? zone.Name : name + "." + zone.Name) + ".";
        properties["provisioningState"] = "Succeeded";
        var record = new JsonObject
        {
            ["id"] = zone.Id.Replace("/dnszones/", "/dnsZones/", StringComparison.Ordinal) + "/" + type + "/" + name,
            ["etag"] = Guid.NewGuid().ToString(),
            ["name"] = name,
            ["type"] = "Microsoft.Network/dnsZones/" + type,
            ["properties"] = properties,
        };
        records[Key(type, name)] = record;
        return new FabricResult(existing == null ? 201 : 200, record.DeepClone());
    }

    private FabricResult DeleteRecord(FabricRequest request)
    {
        var zone = RequireZone(request, "ParentResourceNotFound");
        return Records(zone).Remove(Key(RecordType(request), request.Route("name"))) ? FabricResult.Ok(null) : FabricResult.NoContent();
    }
}
