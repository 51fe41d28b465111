using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Health;

/// <summary>
/// Microsoft.ResourceHealth (2026-07-01 shapes, any api-version): the current availability status of one
/// resource, and the service health events of a subscription. What the fabric itself breaks is what they report:
/// <list type="bullet">
/// <item>a resource whose (primary) region is down, or that has a resource outage of its own
/// (<see cref="SetResourceOutage"/>), is Unavailable, platform initiated, unplanned;</item>
/// <item>a stopped site is Unavailable, user initiated; a storage account failing over is Unavailable, customer
/// initiated; a SQL database that is not Online is Unknown (it is being created or restored);</item>
/// <item>everything else is Available;</item>
/// <item>each region outage is one active service issue of the subscription, impacting every modelled service in
/// that region, from when the fabric first reported it.</item>
/// </list>
/// A resource outage belongs to the region the resource is primary in when it starts: a storage account failed
/// over to its secondary is available again, as after a real stamp outage.
/// </summary>
public sealed class ResourceHealthProvider : IFabricProvider
{
    private const string Suffix = "/providers/Microsoft.ResourceHealth/availabilityStatuses/current";
    private const string Resource = "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}";
    private static readonly string[] ImpactedServices = { "App Service", "SQL Database", "Storage", "Key Vault" };
    private FabricState _state = null!;

    private sealed class HealthStore
    {
        /// <summary>When the fabric first reported each region outage (normalized region).</summary>
        public Dictionary<string, DateTimeOffset> OutageSeen { get; } = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
    }

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Arm.Map("GET", Resource + Suffix, Current);
        routes.Arm.Map("GET", Resource + "/{childType}/{child}" + Suffix, Current);
        routes.Arm.Map("GET", "/subscriptions/{sub}/providers/Microsoft.ResourceHealth/events", Events);
        // Service health is reported from outside the region it is about.
        routes.ArmRegionRule(path => (path.IndexOf("/providers/Microsoft.ResourceHealth/", StringComparison.OrdinalIgnoreCase) >= 0, null));
        routes.Admin.Map("PUT", "/_fabric/resourceOutages", request => Outage(request, true));
        routes.Admin.Map("DELETE", "/_fabric/resourceOutages", request => Outage(request, false));
    }

    private FabricResult Outage(FabricRequest request, bool down)
    {
        var id = request.Query("id") ?? throw FabricError.BadRequest("InvalidRequestContent", "Name the resource with ?id=<resource id>.");
        if (!SetResourceOutage(_state, id, down))
        {
            throw FabricError.NotFound("ResourceNotFound", $"The resource '{id}' does not exist.");
        }
        return FabricResult.NoContent();
    }

    /// <summary>Starts (or ends) an outage of one resource in the region it is primary in now; false when there is no such resource.</summary>
    public static bool SetResourceOutage(FabricState state, string id, bool down)
    {
        var resource = state.Arm.Find(id);
        if (resource == null)
        {
            return false;
        }
        if (down)
        {
            resource.Internal["outageRegion"] = PrimaryRegion(resource);
            resource.Internal["outageSince"] = state.Now;
        }
        else
        {
            resource.Internal.Remove("outageRegion");
        }
        return true;
    }

    /// <summary>Where the resource serves from now: a storage account's primary location, any other resource's location.</summary>
    public static string? PrimaryRegion(ArmResource resource) =>
        string.Equals(resource.Type, Storage.StorageProvider.AccountType, StringComparison.OrdinalIgnoreCase)
            ? Storage.StorageProvider.PrimaryRegion(resource)
            : resource.Location;

    /// <summary>True when the resource cannot serve: its primary region is down, or it has an outage of its own there.</summary>
    public static bool IsOutOfService(FabricState state, ArmResource resource)
    {
        var primary = PrimaryRegion(resource);
        return state.Faults.IsRegionDown(primary)
               || resource.Get<string>("outageRegion") is string region && string.Equals(region, primary, StringComparison.OrdinalIgnoreCase);
    }

    private FabricResult Current(FabricRequest request)
    {
        var path = request.Path.TrimEnd('/');
        var id = path.Substring(0, path.Length - Suffix.Length);
        var resource = _state.Arm.Find(id);
        if (resource == null || string.Equals(resource.Type, Arm.ResourceGroupType, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.NotFound("ResourceNotFound", $"The resource '{id}' does not exist.");
        }
        var now = _state.Now;
        var (availability, summary, reasonType, context, since) = Assess(resource, now);
        var properties = new JsonObject
        {
            ["availabilityState"] = availability,
            ["title"] = availability,
            ["summary"] = summary,
            ["detailedStatus"] = summary,
            ["reasonType"] = reasonType,
            ["context"] = context,
            ["category"] = reasonType == "Unplanned" ? "Unplanned" : availability == "Available" ? "Not Applicable" : "Planned",
            ["reasonChronicity"] = availability == "Available" ? "Transient" : "Persistent",
            ["occuredTime"] = Arm.Iso(since),
            ["reportedTime"] = Arm.Iso(now),
        };
        if (availability == "Unavailable")
        {
            properties["rootCauseAttributionTime"] = Arm.Iso(since);
            properties["resolutionETA"] = Arm.Iso(now.AddHours(1));
        }
        if (string.Equals(request.Query("$expand"), "recommendedactions", StringComparison.OrdinalIgnoreCase))
        {
            properties["recommendedActions"] = availability == "Available"
                ? new JsonArray()
                : new JsonArray(new JsonObject
                {
                    ["action"] = "If you are experiencing problems you believe are caused by Azure, contact support",
                    ["actionUrl"] = "<#SupportCase>",
                    ["actionUrlText"] = "contact support",
                });
        }
        return FabricResult.Ok(new JsonObject
        {
            ["id"] = id + Suffix,
            ["name"] = "current",
            ["type"] = "Microsoft.ResourceHealth/AvailabilityStatuses",
            ["location"] = PrimaryRegion(resource),
            ["properties"] = properties,
        });
    }

    private (string State, string Summary, string ReasonType, string Context, DateTimeOffset Since) Assess(ArmResource resource, DateTimeOffset now)
    {
        var primary = PrimaryRegion(resource);
        if (_state.Faults.IsRegionDown(primary))
        {
            return ("Unavailable", $"An Azure service issue in {primary} is affecting this resource.", "Unplanned", "Platform Initiated", Seen(primary!, now));
        }
        if (IsOutOfService(_state, resource))
        {
            return ("Unavailable", "We're sorry, this resource is unavailable because of a platform problem.", "Unplanned", "Platform Initiated",
                resource.Get<DateTimeOffset>("outageSince"));
        }
        if (string.Equals(resource.Type, Web.WebProvider.SiteType, StringComparison.OrdinalIgnoreCase) && !Web.WebProvider.Runtime(resource).Running)
        {
            return ("Unavailable", "This app was stopped.", "Planned", "User Initiated", now);
        }
        if (string.Equals(resource.Type, Storage.StorageProvider.AccountType, StringComparison.OrdinalIgnoreCase) && resource.Get<bool>("failoverInProgress"))
        {
            return ("Unavailable", "A customer-initiated failover of this storage account is in progress.", "Planned", "Customer Initiated", now);
        }
        if (string.Equals(resource.Type, Sql.SqlProvider.DatabaseType, StringComparison.OrdinalIgnoreCase)
            && resource.Properties["status"]?.GetValue<string>() != "Online")
        {
            return ("Unknown", $"The database is {resource.Properties["status"]?.GetValue<string>() ?? "not online"}; its health is not known yet.", "Planned", "Customer Initiated", now);
        }
        return ("Available", "There aren't any known Azure platform problems affecting this resource.", "Unplanned", "Platform Initiated", now);
    }

    private DateTimeOffset Seen(string region, DateTimeOffset now)
    {
        var seen = _state.Store<HealthStore>().OutageSeen;
        if (!seen.TryGetValue(region, out var since))
        {
            since = now;
            seen[region] = since;
        }
        return since;
    }

    /// <summary>Service issues: one per region outage, filtered by <c>region eq '…'</c> and <c>service eq '…'</c>
    /// terms joined with <c>or</c> (no filter: all).</summary>
    private FabricResult Events(FabricRequest request)
    {
        var subscription = request.Route("sub");
        var now = _state.Now;
        var terms = Regex.Matches(request.Query("$filter") ?? string.Empty, @"(?<field>region|service)\s+eq\s+'(?<value>[^']*)'", RegexOptions.IgnoreCase)
            .Select(m => (Field: m.Groups["field"].Value.ToLowerInvariant(), Value: m.Groups["value"].Value)).ToList();
        var events = new List<JsonNode>();
        foreach (var region in _state.Faults.DownRegions)
        {
            var display = Regions.DisplayNames.TryGetValue(region, out var name) ? name : region;
            var matches = terms.Count == 0 || terms.Any(t => t.Field == "region" ? ArmStore.NormalizeRegion(t.Value) == region
                                                                                : ImpactedServices.Contains(t.Value, StringComparer.OrdinalIgnoreCase));
            if (!matches)
            {
                continue;
            }
            events.Add(Event(subscription, region, display, Seen(region, now), now));
        }
        return FabricResult.Ok(new JsonObject { ["value"] = new JsonArray(events.ToArray()) });
    }

    private static JsonObject Event(string subscription, string region, string display, DateTimeOffset since, DateTimeOffset now)
    {
        var tracking = "FAB-" + region.ToUpperInvariant();
        var summary = $"Customers may experience failures reaching resources in {display}. Engineers are investigating.";
        var update = new JsonObject { ["summary"] = summary, ["updateDateTime"] = Arm.Iso(since), ["eventTags"] = new JsonArray() };
        var impact = new JsonArray(ImpactedServices.Select(service => (JsonNode?)new JsonObject
        {
            ["impactedService"] = service,
            ["impactedServiceGuid"] = Guid.Empty.ToString(),
            ["impactedRegions"] = new JsonArray(new JsonObject
            {
                ["impactedRegion"] = display,
                ["status"] = "Active",
                ["impactedSubscriptions"] = new JsonArray(subscription),
                ["impactedTenants"] = new JsonArray(),
                ["lastUpdateTime"] = Arm.Iso(now),
                ["updates"] = new JsonArray(update.DeepClone()),
            }),
        }).ToArray());
        return new JsonObject
        {
            ["name"] = tracking,
            ["type"] = "/providers/Microsoft.ResourceHealth/events",
            ["id"] = "/providers/Microsoft.ResourceHealth/events/" + tracking,
            ["properties"] = new JsonObject
            {
                ["eventType"] = "ServiceIssue",
                ["eventSource"] = "ServiceHealth",
                ["status"] = "Active",
                ["title"] = $"ACTIVE: Service issue in {display}",
                ["summary"] = summary,
                ["header"] = "Your service might have been impacted by an Azure service issue",
                ["level"] = "Error",
                ["eventLevel"] = "Error",
                ["priority"] = 1,
                ["article"] = new JsonObject { ["articleContent"] = "<p>" + summary + "</p>" },
                ["enableChatWithUs"] = false,
                ["enableMicrosoftSupport"] = true,
                ["isHIR"] = false,
                ["isEventSensitive"] = false,
                ["hirStage"] = "active",
                ["eventTags"] = new JsonArray(),
                ["faqs"] = new JsonArray(),
                ["links"] = new JsonArray(),
                ["recommendedActions"] = new JsonObject { ["message"] = "Fail over to your secondary region if this issue affects you.", ["actions"] = new JsonArray(), ["localeCode"] = "en" },
                ["impact"] = impact,
                ["impactStartTime"] = Arm.Iso(since),
                ["impactMitigationTime"] = Arm.Iso(now.AddHours(4)),
                ["lastUpdateTime"] = Arm.Iso(now),
            },
        };
    }
}
