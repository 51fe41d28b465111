using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Xml;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Monitor;

/// <summary>
/// Microsoft.Insights alerting: action groups (2022-06-01), metric alert rules (2018-03-01) and activity log
/// alert rules (2020-10-01), each PUT (create or replace by name), GET, DELETE and list by resource group. A
/// PUT of an existing name replaces that rule: a rule is identified by its name, so sending it again never makes
/// a second one. What each operation checks is what its specification marks required or bounded
/// (<c>groupShortName</c> at most 12 characters; a metric rule's evaluation frequency and window from the sets
/// the service accepts); a metric rule's scopes must exist, and its metric must be one the scope's resource type
/// publishes when the fabric knows that type's metrics.
/// </summary>
public sealed class MonitorProvider : IFabricProvider
{
    public const string ActionGroupType = "Microsoft.Insights/actionGroups";
    public const string MetricAlertType = "Microsoft.Insights/metricAlerts";
    public const string ActivityLogAlertType = "Microsoft.Insights/activityLogAlerts";
    private const string Group = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights";

    /// <summary>Evaluation frequencies and windows a metric alert accepts (Azure Monitor metric alert documentation).</summary>
    private static readonly TimeSpan[] Frequencies = { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1) };
    private static readonly TimeSpan[] Windows = { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1) };

    /// <summary>Platform metrics of the resource types the runbooks alert on (Azure Monitor supported metrics lists).</summary>
    private static readonly Dictionary<string, string[]> Metrics = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["Microsoft.Sql/servers/databases"] = new[] { "dtu_consumption_percent", "cpu_percent", "physical_data_read_percent", "log_write_percent", "storage_percent", "connection_failed", "deadlock" },
        ["Microsoft.Storage/storageAccounts"] = new[] { "Availability", "Transactions", "Ingress", "Egress", "SuccessE2ELatency", "SuccessServerLatency", "UsedCapacity" },
        ["Microsoft.Web/sites"] = new[] { "HealthCheckStatus", "Http5xx", "Http4xx", "Requests", "HttpResponseTime", "CpuTime", "MemoryWorkingSet" },
        ["Microsoft.KeyVault/vaults"] = new[] { "ServiceApiHit", "ServiceApiLatency", "ServiceApiResult", "Availability", "SaturationShoebox" },
    };

    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        var arm = routes.Arm;
        Map(arm, "actionGroups", ActionGroupType, PutActionGroup);
        Map(arm, "metricAlerts", MetricAlertType, PutMetricAlert);
        Map(arm, "activityLogAlerts", ActivityLogAlertType, PutActivityLogAlert);
    }

    private void Map(Router arm, string collection, string type, Func<FabricRequest, FabricResult> put)
    {
        arm.Map("PUT", Group + "/" + collection + "/{name}", put);
        arm.Map("GET", Group + "/" + collection + "/{name}", request => FabricResult.Ok(Render(Require(request, collection, type))));
        arm.Map("DELETE", Group + "/" + collection + "/{name}", request =>
        {
            Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
            return _state.Arm.Remove(Id(request, collection)) ? FabricResult.Ok(null) : FabricResult.NoContent();
        });
        arm.Map("GET", Group + "/" + collection, request =>
        {
            var group = Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
            return FabricResult.Ok(Arm.List(_state.Arm.Under(group.Id).Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase))
                .OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase).Select(r => (JsonNode)Render(r))));
        });
    }

    private static string Id(FabricRequest r, string collection) =>
        Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Insights", collection + "/" + r.Route("name"));

    private ArmResource Require(FabricRequest r, string collection, string type)
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        return Arm.RequireResource(_state, Id(r, collection), type);
    }

    /// <summary>Creates or replaces the rule named by the request: 201 when new, 200 when it replaced one (or
    /// always 200 for operations whose specification documents only 200).</summary>
    private FabricResult Store(FabricRequest request, string collection, string type, JsonObject body, JsonObject properties, bool createdAnswers201)
    {
        var id = Id(request, collection);
        var existing = _state.Arm.Find(id);
        var resource = new ArmResource(id, type, Arm.RequireLocation(body)) { Properties = properties };
        // Global rules keep the location as it was written ("Global", "global").
        resource.Internal["location"] = body["location"]!.GetValue<string>();
        if (body["tags"] is JsonObject tags)
        {
            resource.Tags = (JsonObject)tags.DeepClone();
        }
        _state.Arm.Add(resource);
        return new FabricResult(existing == null && createdAnswers201 ? 201 : 200, Render(resource));
    }

    private static JsonObject Render(ArmResource resource)
    {
        var json = resource.ToJson();
        json["location"] = resource.Get<string>("location") ?? resource.Location;
        return json;
    }

    private static JsonObject RequireProperties(JsonObject body, params string[] required)
    {
        var properties = body["properties"] as JsonObject ?? throw FabricError.BadRequest("BadRequest", "properties are required.");
        foreach (var name in required)
        {
            if (properties[name] == null)
            {
                throw FabricError.BadRequest("BadRequest", $"properties.{name} is required.");
            }
        }
        return (JsonObject)properties.DeepClone();
    }

    // ---------------------------------------------------------------- action groups

    private FabricResult PutActionGroup(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var properties = RequireProperties(body, "groupShortName", "enabled");
        var shortName = properties["groupShortName"]!.GetValue<string>();
        if (shortName.Length == 0 || shortName.Length > 12)
        {
            throw FabricError.BadRequest("BadRequest", $"groupShortName '{shortName}' must be 1 to 12 characters.");
        }
        foreach (var (collection, required) in new[]
                 {
                     ("emailReceivers", new[] { "name", "emailAddress" }), ("smsReceivers", new[] { "name", "countryCode", "phoneNumber" }),
                     ("webhookReceivers", new[] { "name", "serviceUri" }), ("voiceReceivers", new[] { "name", "countryCode", "phoneNumber" }),
                 })
        {
            foreach (var receiver in properties[collection] as JsonArray ?? new JsonArray())
            {
                var missing = required.FirstOrDefault(r => receiver?[r] == null);
                if (missing != null)
                {
                    throw FabricError.BadRequest("BadRequest", $"Each of {collection} needs '{missing}'.");
                }
                // Read-only receiver status (ReceiverStatus): Enabled unless the receiver unsubscribed.
                if (collection is "emailReceivers" or "smsReceivers")
                {
                    receiver!["status"] = "Enabled";
                }
            }
        }
        foreach (var receiver in properties["eventHubReceivers"] as JsonArray ?? new JsonArray())
        {
            receiver!["useCommonAlertSchema"] ??= false;
        }
        return Store(request, "actionGroups", ActionGroupType, body, properties, createdAnswers201: true);
    }

    // ---------------------------------------------------------------- metric alerts

    private FabricResult PutMetricAlert(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var properties = RequireProperties(body, "severity", "enabled", "scopes", "evaluationFrequency", "windowSize", "criteria");
        var frequency = Duration(properties, "evaluationFrequency", Frequencies);
        var window = Duration(properties, "windowSize", Windows);
        if (window < frequency)
        {
            throw FabricError.BadRequest("BadRequest", "windowSize must be at least evaluationFrequency.");
        }
        var scopes = (properties["scopes"] as JsonArray ?? new JsonArray()).Select(s => s!.GetValue<string>()).ToList();
        if (scopes.Count == 0)
        {
            throw FabricError.BadRequest("BadRequest", "A metric alert needs at least one scope.");
        }
        var resources = scopes.Select(s => _state.Arm.Find(s)
                                             ?? throw FabricError.NotFound("ResourceNotFound", $"The scope '{s}' of the alert rule does not exist.")).ToList();
        foreach (var criterion in properties["criteria"]?["allOf"] as JsonArray ?? new JsonArray())
        {
            var metric = criterion?["metricName"]?.GetValue<string>()
                         ?? throw FabricError.BadRequest("BadRequest", "Each criterion needs a metricName.");
            foreach (var resource in resources)
            {
                if (Metrics.TryGetValue(resource.Type, out var known) && !known.Contains(metric, StringComparer.OrdinalIgnoreCase))
                {
                    throw FabricError.BadRequest("BadRequest", $"Couldn't find a metric named '{metric}' for resource type '{resource.Type}'.");
                }
            }
        }
        return Store(request, "metricAlerts", MetricAlertType, body, properties, createdAnswers201: false);
    }

    private static TimeSpan Duration(JsonObject properties, string name, TimeSpan[] allowed)
    {
        var text = properties[name]!.GetValue<string>();
        TimeSpan value;
        try
        {
            value = XmlConvert.ToTimeSpan(text.ToUpperInvariant());
        }
        catch (FormatException)
        {
            throw FabricError.BadRequest("BadRequest", $"{name} '{text}' is not an ISO 8601 duration.");
        }
        if (!allowed.Contains(value))
        {
            throw FabricError.BadRequest("BadRequest", $"{name} '{text}' is not one of the supported values.");
        }
        return value;
    }

    // ---------------------------------------------------------------- activity log alerts

    private FabricResult PutActivityLogAlert(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var properties = RequireProperties(body, "scopes", "condition", "actions");
        if (properties["condition"]?["allOf"] is not JsonArray all || all.Count == 0)
        {
            throw FabricError.BadRequest("BadRequest", "condition.allOf needs at least one condition.");
        }
        properties["enabled"] ??= true;
        return Store(request, "activityLogAlerts", ActivityLogAlertType, body, properties, createdAnswers201: true);
    }
}
