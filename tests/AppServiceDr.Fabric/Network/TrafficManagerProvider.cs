using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Network;

/// <summary>
/// Microsoft.Network Traffic Manager (2022-04-01): profiles with endpoints (PUT/GET/PATCH), and
/// endpoints on their own (PUT/GET/PATCH/DELETE). Endpoint monitor status is Inactive in a disabled
/// profile, Disabled for a disabled endpoint, CheckingEndpoint from when an endpoint is added, enabled or
/// retargeted until its first probe (TrafficManagerProbeMs), Stopped when the fabric site it targets is not
/// running, and otherwise Online or Degraded by that site's health; <see cref="ActiveEndpoint"/> tells which
/// endpoint priority routing picks.
/// </summary>
public sealed class TrafficManagerProvider : IFabricProvider
{
    public const string ProfileType = "Microsoft.Network/trafficManagerProfiles";
    private const string Profile = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/trafficManagerProfiles/{profile}";
    private static readonly string[] EndpointKinds = { "azureEndpoints", "externalEndpoints", "nestedEndpoints" };
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Arm.Map("PUT", Profile, PutProfile);
        routes.Arm.Map("GET", Profile, request => FabricResult.Ok(Render(RequireProfile(request))));
        routes.Arm.Map("PATCH", Profile, PatchProfile);
        routes.Arm.Map("PUT", Profile + "/{kind}/{endpoint}", PutEndpoint);
        routes.Arm.Map("GET", Profile + "/{kind}/{endpoint}", request => FabricResult.Ok(RenderEndpoint(RequireProfile(request), RequireEndpoint(request))));
        routes.Arm.Map("PATCH", Profile + "/{kind}/{endpoint}", PatchEndpoint);
        routes.Arm.Map("DELETE", Profile + "/{kind}/{endpoint}", DeleteEndpoint);
        routes.Arm.Map("POST", "/subscriptions/{sub}/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2", CheckName);
        routes.Arm.Map("POST", "/providers/Microsoft.Network/checkTrafficManagerNameAvailability", CheckName);
    }

    /// <summary>
    /// The endpoint priority routing sends traffic to: the enabled endpoint with the lowest priority whose
    /// monitor status is Online or CheckingEndpoint; when every enabled endpoint is degraded, all of them are
    /// answered again, so the lowest priority among them. Null when no endpoint is enabled.
    /// </summary>
    public static JsonObject? ActiveEndpoint(FabricState state, ArmResource profile)
    {
        var enabled = Endpoints(profile)
            .Where(e => MonitorStatus(state, profile, e) is not ("Disabled" or "Inactive"))
            .OrderBy(e => e["properties"]?["priority"]?.GetValue<int>() ?? int.MaxValue)
            .ToList();
        return enabled.FirstOrDefault(e => MonitorStatus(state, profile, e) is "Online" or "CheckingEndpoint") ?? enabled.FirstOrDefault();
    }

    private static List<JsonObject> Endpoints(ArmResource profile) => profile.Get<List<JsonObject>>("endpoints")!;

    /// <summary>When each endpoint (by name) gets its first probe result; before that it is CheckingEndpoint.</summary>
    private static Dictionary<string, DateTimeOffset> FirstProbes(ArmResource profile)
    {
        if (profile.Get<Dictionary<string, DateTimeOffset>>("firstProbes") is not { } probes)
        {
            probes = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
            profile.Internal["firstProbes"] = probes;
        }
        return probes;
    }

    /// <summary>An endpoint that is new, enabled again or pointed elsewhere is probed from scratch.</summary>
    private void ProbeChanged(ArmResource profile, JsonObject? before, JsonObject after)
    {
        string? Property(JsonObject? e, string name) => e?["properties"]?[name]?.GetValue<string>();
        if (before == null || Property(before, "endpointStatus") == "Disabled" && Property(after, "endpointStatus") != "Disabled"
                           || Property(before, "target") != Property(after, "target") || Property(before, "targetResourceId") != Property(after, "targetResourceId"))
        {
            FirstProbes(profile)[after["name"]!.GetValue<string>()] = _state.Now.AddMilliseconds(_state.Timings.TrafficManagerProbeMs);
        }
    }

    /// <summary>Each endpoint of <paramref name="endpoints"/> compared with the one of the same name before.</summary>
    private void ProbeChanged(ArmResource profile, IReadOnlyList<JsonObject> before, IEnumerable<JsonObject> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            ProbeChanged(profile, before.FirstOrDefault(e => string.Equals(e["name"]?.GetValue<string>(), endpoint["name"]?.GetValue<string>(), StringComparison.OrdinalIgnoreCase)), endpoint);
        }
    }

    private static string MonitorStatus(FabricState state, ArmResource profile, JsonObject endpoint)
    {
        var properties = endpoint["properties"] as JsonObject ?? new JsonObject();
        if (string.Equals(profile.Properties["profileStatus"]?.GetValue<string>(), "Disabled", StringComparison.OrdinalIgnoreCase))
        {
            return "Inactive";
        }
        if (properties["endpointStatus"]?.GetValue<string>() == "Disabled")
        {
            return "Disabled";
        }
        if (FirstProbes(profile).TryGetValue(endpoint["name"]!.GetValue<string>(), out var due) && state.Now < due)
        {
            return "CheckingEndpoint";
        }
        var target = properties["target"]?.GetValue<string>();
        if (target != null && target.EndsWith(".web." + state.Options.DnsSuffix, StringComparison.OrdinalIgnoreCase))
        {
            var site = state.Arm.OfType(Web.WebProvider.SiteType)
                .FirstOrDefault(s => string.Equals(s.Name + ".web." + state.Options.DnsSuffix, target, StringComparison.OrdinalIgnoreCase));
            if (site != null && !Web.WebProvider.Runtime(site).Running)
            {
                return "Stopped";
            }
            return Web.WebProvider.HealthProblem(state, target) == null ? "Online" : "Degraded";
        }
        return "CheckingEndpoint";
    }

    private string ProfileId(FabricRequest r) => Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Network", "trafficManagerProfiles/" + r.Route("profile"));

    private ArmResource RequireProfile(FabricRequest r)
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        return Arm.RequireResource(_state, ProfileId(r), ProfileType);
    }

    private static string Kind(FabricRequest r)
    {
        var kind = EndpointKinds.FirstOrDefault(k => string.Equals(k, r.Route("kind"), StringComparison.OrdinalIgnoreCase));
        return kind ?? throw FabricError.BadRequest("BadRequest", $"'{r.Route("kind")}' is not an endpoint type (azureEndpoints, externalEndpoints, nestedEndpoints).");
    }

    private JsonObject RequireEndpoint(FabricRequest r)
    {
        var profile = RequireProfile(r);
        var kind = Kind(r);
        return Endpoints(profile).FirstOrDefault(e => string.Equals(e["name"]?.GetValue<string>(), r.Route("endpoint"), StringComparison.OrdinalIgnoreCase)
                                                      && e["type"]!.GetValue<string>().EndsWith("/" + kind, StringComparison.OrdinalIgnoreCase))
               ?? throw FabricError.NotFound("NotFound", $"The endpoint '{r.Route("endpoint")}' does not exist in profile '{profile.Name}'.");
    }

    private JsonObject Render(ArmResource profile)
    {
        var json = profile.ToJson();
        json["location"] = "global";
        json["properties"]!["endpoints"] = new JsonArray(Endpoints(profile).Select(e => (JsonNode?)RenderEndpoint(profile, e)).ToArray());
        var monitor = json["properties"]!["monitorConfig"] as JsonObject;
        if (monitor != null)
        {
            monitor["profileMonitorStatus"] = ProfileMonitorStatus(profile);
        }
        return json;
    }

    /// <summary>Disabled with the profile; otherwise Degraded when an endpoint is, else Online when one is, else
    /// CheckingEndpoints when one is being checked, else Inactive (every endpoint disabled or stopped, or none).</summary>
    private string ProfileMonitorStatus(ArmResource profile)
    {
        if (string.Equals(profile.Properties["profileStatus"]?.GetValue<string>(), "Disabled", StringComparison.OrdinalIgnoreCase))
        {
            return "Disabled";
        }
        var statuses = Endpoints(profile).Select(e => MonitorStatus(_state, profile, e)).ToList();
        return statuses.Contains("Degraded") ? "Degraded"
            : statuses.Contains("Online") ? "Online"
            : statuses.Contains("CheckingEndpoint") ? "CheckingEndpoints"
            : "Inactive";
    }

    private JsonObject RenderEndpoint(ArmResource profile, JsonObject endpoint)
    {
        var json = (JsonObject)endpoint.DeepClone();
        var kind = json["type"]!.GetValue<string>();
        json["id"] = profile.Id + "/" + kind.Substring(kind.LastIndexOf('/') + 1) + "/" + json["name"]!.GetValue<string>();
        json["properties"]!["endpointMonitorStatus"] = MonitorStatus(_state, profile, endpoint);
        return json;
    }

    private JsonObject NormalizeEndpoint(JsonObject given, string? kind, string? name)
    {
        var endpointName = name ?? given["name"]?.GetValue<string>() ?? throw FabricError.BadRequest("BadRequest", "Each endpoint needs a name.");
        var typeKind = kind ?? given["type"]?.GetValue<string>()?.Split('/').Last()
                       ?? throw FabricError.BadRequest("BadRequest", $"Endpoint '{endpointName}' needs a type.");
        typeKind = EndpointKinds.FirstOrDefault(k => string.Equals(k, typeKind, StringComparison.OrdinalIgnoreCase))
                   ?? throw FabricError.BadRequest("BadRequest", $"Endpoint type '{typeKind}' is not supported.");
        var properties = (JsonObject)(given["properties"]?.DeepClone() ?? new JsonObject());
        properties["endpointStatus"] ??= "Enabled";
        properties["weight"] ??= 1;
        if (properties["target"] == null && properties["targetResourceId"] == null)
        {
            throw FabricError.BadRequest("BadRequest", $"Endpoint '{endpointName}' needs a target or targetResourceId.");
        }
        // An Azure endpoint's target is the DNS name of the resource it names (for an app, its default host name).
        if (typeKind == "azureEndpoints" && properties["targetResourceId"]?.GetValue<string>() is string resourceId)
        {
            var site = _state.Arm.Find(resourceId);
            if (site == null || !string.Equals(site.Type, Web.WebProvider.SiteType, StringComparison.OrdinalIgnoreCase))
            {
                throw FabricError.BadRequest("BadRequest", $"The target resource '{resourceId}' of endpoint '{endpointName}' does not exist.");
            }
            properties["target"] = site.Name.ToLowerInvariant() + ".web." + _state.Options.DnsSuffix;
        }
        return new JsonObject { ["name"] = endpointName, ["type"] = ProfileType + "/" + typeKind, ["properties"] = properties };
    }

    /// <summary>Priority routing: every endpoint gets a priority (next free one when unset); duplicates are refused.</summary>
    private static void AssignPriorities(ArmResource profile, List<JsonObject> endpoints)
    {
        var next = 1;
        foreach (var endpoint in endpoints)
        {
            var properties = (JsonObject)endpoint["properties"]!;
            if (properties["priority"] == null)
            {
                while (endpoints.Any(e => e["properties"]?["priority"]?.GetValue<int>() == next))
                {
                    next++;
                }
                properties["priority"] = next;
            }
        }
        var routing = profile.Properties["trafficRoutingMethod"]?.GetValue<string>();
        var duplicate = endpoints.GroupBy(e => e["properties"]!["priority"]!.GetValue<int>()).FirstOrDefault(g => g.Count() > 1);
        if (string.Equals(routing, "Priority", StringComparison.OrdinalIgnoreCase) && duplicate != null)
        {
            throw FabricError.BadRequest("BadRequest", $"Endpoint priorities must be unique within a profile; priority {duplicate.Key} is used more than once.");
        }
    }

    private FabricResult PutProfile(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var properties = (JsonObject)(body["properties"]?.DeepClone() ?? throw FabricError.BadRequest("BadRequest", "The profile properties are required."));
        var endpoints = (properties["endpoints"] as JsonArray ?? new JsonArray()).Select(e => NormalizeEndpoint((JsonObject)e!, null, null)).ToList();
        properties.Remove("endpoints");
        var dns = properties["dnsConfig"] as JsonObject ?? throw FabricError.BadRequest("BadRequest", "dnsConfig.relativeName is required.");
        var relativeName = dns["relativeName"]?.GetValue<string>() ?? throw FabricError.BadRequest("BadRequest", "dnsConfig.relativeName is required.");
        var holder = ProfileWithName(relativeName);
        if (holder != null && !string.Equals(holder.Id, ProfileId(request), StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.Conflict("Conflict", $"The domain name '{relativeName}.trafficmanager.{_state.Options.DnsSuffix}' is already in use by another profile.");
        }
        dns["fqdn"] = relativeName + ".trafficmanager." + _state.Options.DnsSuffix;
        properties["profileStatus"] ??= "Enabled";
        var existing = _state.Arm.Find(ProfileId(request));
        var profile = new ArmResource(ProfileId(request), ProfileType, "global") { Properties = properties };
        if (body["tags"] is JsonObject tags)
        {
            profile.Tags = (JsonObject)tags.DeepClone();
        }
        AssignPriorities(profile, endpoints);
        var before = existing == null ? new List<JsonObject>() : Endpoints(existing);
        if (existing?.Get<Dictionary<string, DateTimeOffset>>("firstProbes") is { } probes)
        {
            profile.Internal["firstProbes"] = probes;
        }
        ProbeChanged(profile, before, endpoints);
        profile.Internal["endpoints"] = endpoints;
        _state.Arm.Add(profile);
        return new FabricResult(existing == null ? 201 : 200, Render(profile));
    }

    /// <summary>The profile (any subscription) whose DNS name is <paramref name="relativeName"/>.trafficmanager.…: the
    /// names are one global namespace.</summary>
    private ArmResource? ProfileWithName(string relativeName) =>
        _state.Arm.OfType(ProfileType).FirstOrDefault(p =>
            string.Equals(p.Properties["dnsConfig"]?["relativeName"]?.GetValue<string>(), relativeName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Profiles_CheckTrafficManagerNameAvailability(V2): whether a relative DNS name is free; a read.</summary>
    private FabricResult CheckName(FabricRequest request)
    {
        var body = request.RequireBody();
        var name = body["name"]?.GetValue<string>() ?? throw FabricError.BadRequest("BadRequest", "name is required.");
        var taken = ProfileWithName(name) != null;
        var answer = new JsonObject
        {
            ["name"] = name,
            ["type"] = body["type"]?.GetValue<string>() ?? ProfileType,
            ["nameAvailable"] = !taken,
        };
        if (taken)
        {
            answer["reason"] = "AlreadyExists";
            answer["message"] = $"Domain name {name}.trafficmanager.{_state.Options.DnsSuffix} already exists. Please choose a different DNS prefix.";
        }
        return FabricResult.Ok(answer);
    }

    private FabricResult PatchProfile(FabricRequest request)
    {
        var profile = RequireProfile(request);
        var properties = request.RequireBody()["properties"] as JsonObject ?? new JsonObject();
        foreach (var pair in properties)
        {
            if (pair.Key == "endpoints")
            {
                var endpoints = ((JsonArray)pair.Value!).Select(e => NormalizeEndpoint((JsonObject)e!, null, null)).ToList();
                AssignPriorities(profile, endpoints);
                ProbeChanged(profile, Endpoints(profile), endpoints);
                profile.Internal["endpoints"] = endpoints;
            }
            else
            {
                profile.Properties[pair.Key] = pair.Value?.DeepClone();
            }
        }
        return FabricResult.Ok(Render(profile));
    }

    private FabricResult PutEndpoint(FabricRequest request)
    {
        var profile = RequireProfile(request);
        var endpoint = NormalizeEndpoint(request.RequireBody(), Kind(request), request.Route("endpoint"));
        var endpoints = Endpoints(profile).Where(e => !string.Equals(e["name"]?.GetValue<string>(), request.Route("endpoint"), StringComparison.OrdinalIgnoreCase)).ToList();
        var created = endpoints.Count == Endpoints(profile).Count;
        endpoints.Add(endpoint);
        AssignPriorities(profile, endpoints);
        ProbeChanged(profile, Endpoints(profile), new[] { endpoint });
        profile.Internal["endpoints"] = endpoints;
        return new FabricResult(created ? 201 : 200, RenderEndpoint(profile, endpoint));
    }

    private FabricResult PatchEndpoint(FabricRequest request)
    {
        var profile = RequireProfile(request);
        var endpoint = RequireEndpoint(request);
        var before = (JsonObject)endpoint.DeepClone();
        var properties = (JsonObject)endpoint["properties"]!;
        foreach (var pair in request.RequireBody()["properties"] as JsonObject ?? new JsonObject())
        {
            properties[pair.Key] = pair.Value?.DeepClone();
        }
        try
        {
            AssignPriorities(profile, Endpoints(profile));
        }
        catch (FabricError)
        {
            endpoint["properties"] = before["properties"]!.DeepClone();
            throw;
        }
        ProbeChanged(profile, before, endpoint);
        return FabricResult.Ok(RenderEndpoint(profile, endpoint));
    }

    private FabricResult DeleteEndpoint(FabricRequest request)
    {
        var profile = RequireProfile(request);
        var kind = Kind(request);
        var removed = Endpoints(profile).RemoveAll(e => string.Equals(e["name"]?.GetValue<string>(), request.Route("endpoint"), StringComparison.OrdinalIgnoreCase)
                                                        && e["type"]!.GetValue<string>().EndsWith("/" + kind, StringComparison.OrdinalIgnoreCase));
        return removed > 0 ? FabricResult.Ok(null) : FabricResult.NoContent();
    }
}
