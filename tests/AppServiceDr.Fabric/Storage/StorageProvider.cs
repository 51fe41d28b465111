using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Storage;

/// <summary>
/// Microsoft.Storage (2024-01-01) accounts: create as an operation polled through Location, GET with
/// $expand=geoReplicationStats, customer-managed failover and listKeys. A failover never changes the
/// account's top-level <c>location</c> (the region it was created in): it moves
/// <c>properties.primaryLocation</c>. Unplanned, the former secondary becomes primary, the secondary is
/// gone and every geo-redundant sku (GZRS included) becomes Standard_LRS; planned, primary and secondary
/// swap and the sku stays. Both set <c>lastGeoFailoverTime</c>. The data plane is not modelled here
/// (Azurite serves blobs).
/// </summary>
public sealed class StorageProvider : IFabricProvider, IResourceDeployer
{
    public const string AccountType = "Microsoft.Storage/storageAccounts";
    private const string Account = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{account}";
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Deployers.Add(this);
        routes.Arm.Map("PUT", Account, Put);
        routes.Arm.Map("GET", Account, Get);
        routes.Arm.Map("PATCH", Account, Patch);
        routes.Arm.Map("POST", Account + "/failover", Failover);
        routes.Arm.Map("POST", Account + "/listKeys", ListKeys);
        // An account lives in its primary region, which a failover moves away from the region it was
        // created in. A geo-redundant account stays manageable from its secondary while its primary
        // region is down: that is what customer-managed failover is for.
        routes.ArmRegionRule(path =>
        {
            var account = AccountOnPath(path);
            if (account == null)
            {
                return (false, null);
            }
            var secondary = account.Properties["secondaryLocation"]?.GetValue<string>();
            var primary = PrimaryRegion(account);
            return (true, secondary != null && state.Faults.IsRegionDown(primary) ? secondary : primary);
        });
        routes.Admin.Map("PUT", "/_fabric/seed/storage/{sub}/{rg}/{account}", request =>
        {
            var body = request.RequireBody();
            SeedAccount(_state, request.Route("sub"), request.Route("rg"), request.Route("account"), Arm.RequireLocation(body),
                body["sku"]?.GetValue<string>() ?? "Standard_GRS",
                body["lastSyncTime"] is JsonValue sync ? DateTimeOffset.Parse(sync.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : null);
            return FabricResult.NoContent();
        });
    }

    public bool CanDeploy(string type) => string.Equals(type, AccountType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Template deployment: a provisioned account (kept as it is when it exists).</summary>
    public void Deploy(FabricState state, DeploymentTarget target)
    {
        if (state.Arm.Find(target.Id) != null)
        {
            return;
        }
        var sku = target.Definition["sku"]?["name"]?.GetValue<string>()
                  ?? throw FabricError.BadRequest("InvalidRequestContent", "The sku is required for a storage account.");
        var account = NewAccount(state, target.Id, target.Location, sku, target.Definition["kind"]?.GetValue<string>() ?? "StorageV2",
            target.Definition["properties"] as JsonObject ?? new JsonObject());
        account.Properties["provisioningState"] = "Succeeded";
        state.Arm.Add(account);
    }

    /// <summary>A provisioned account; <paramref name="lastSyncTime"/> fixes the geo-replication point (default: 5 minutes behind).</summary>
    public static ArmResource SeedAccount(FabricState state, string subscription, string resourceGroup, string name, string location,
        string sku = "Standard_GRS", DateTimeOffset? lastSyncTime = null)
    {
        Resources.ResourceGroupsProvider.Seed(state, subscription, resourceGroup, location);
        var id = Arm.ProviderId(subscription, resourceGroup, "Microsoft.Storage", "storageAccounts/" + name);
        var account = state.Arm.Find(id) ?? state.Arm.Add(NewAccount(state, id, location, sku, "StorageV2", new JsonObject()));
        account.Properties["provisioningState"] = "Succeeded";
        if (lastSyncTime != null)
        {
            account.Internal["lastSyncTime"] = lastSyncTime.Value;
        }
        return account;
    }

    /// <summary>Where the account's data is written now: <c>properties.primaryLocation</c>, which a failover
    /// moves, unlike the top-level <c>location</c>.</summary>
    public static string PrimaryRegion(ArmResource account) =>
        account.Properties["primaryLocation"]?.GetValue<string>() ?? account.Location!;

    private ArmResource? AccountOnPath(string path)
    {
        // Resource health reports on an account from outside its region.
        if (path.IndexOf("/providers/Microsoft.ResourceHealth/", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            return null;
        }
        var marker = "/providers/Microsoft.Storage/storageAccounts/";
        var at = path.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }
        var end = path.IndexOf('/', at + marker.Length);
        var account = _state.Arm.Find(end < 0 ? path : path.Substring(0, end));
        return account != null && string.Equals(account.Type, AccountType, StringComparison.OrdinalIgnoreCase) ? account : null;
    }

    private static bool IsGeoRedundant(string sku) => sku.EndsWith("GRS", StringComparison.OrdinalIgnoreCase) || sku.EndsWith("GZRS", StringComparison.OrdinalIgnoreCase);

    private static ArmResource NewAccount(FabricState state, string id, string location, string sku, string kind, JsonObject requested)
    {
        var account = new ArmResource(id, AccountType, location) { Kind = kind };
        var now = Arm.Iso(state.Now);
        var p = account.Properties;
        p["allowBlobPublicAccess"] = false;
        p["allowSharedKeyAccess"] = true;
        p["minimumTlsVersion"] = "TLS1_2";
        p["supportsHttpsTrafficOnly"] = true;
        p["isHnsEnabled"] = false;
        p["accountMigrationInProgress"] = false;
        p["isSkuConversionBlocked"] = false;
        p["networkAcls"] = new JsonObject
        {
            ["bypass"] = "AzureServices",
            ["defaultAction"] = "Allow",
            ["ipRules"] = new JsonArray(),
            ["resourceAccessRules"] = new JsonArray(),
            ["virtualNetworkRules"] = new JsonArray(),
        };
        foreach (var pair in requested)
        {
            p[pair.Key] = pair.Value?.DeepClone();
        }
        p["creationTime"] = now;
        var service = new JsonObject { ["enabled"] = true, ["keyType"] = "Account", ["lastEnabledTime"] = now };
        p["encryption"] = new JsonObject
        {
            ["keySource"] = "Microsoft.Storage",
            ["requireInfrastructureEncryption"] = false,
            ["services"] = new JsonObject { ["blob"] = service.DeepClone(), ["file"] = service.DeepClone() },
        };
        p["keyCreationTime"] = new JsonObject { ["key1"] = now, ["key2"] = now };
        var endpoints = Endpoints(account.Name, HostSuffix(state.Options, location), string.Empty);
        // A routing preference publishes extra endpoint sets, as the service does.
        if (p["routingPreference"]?["publishInternetEndpoints"]?.GetValue<bool>() == true)
        {
            endpoints["internetEndpoints"] = Endpoints(account.Name, HostSuffix(state.Options, location), "-internetrouting");
        }
        if (p["routingPreference"]?["publishMicrosoftEndpoints"]?.GetValue<bool>() == true)
        {
            endpoints["microsoftEndpoints"] = Endpoints(account.Name, HostSuffix(state.Options, location), "-microsoftrouting");
        }
        p["primaryEndpoints"] = endpoints;
        account.Internal["keys"] = new[] { NewKey(), NewKey() };
        SetRedundancy(account, HostSuffix(state.Options, location), sku, location, IsGeoRedundant(sku) ? Regions.Paired(location) : null);
        return account;
    }

    private static JsonObject Endpoints(string name, string hostSuffix, string nameSuffix)
    {
        var endpoints = new JsonObject();
        foreach (var kind in new[] { "blob", "dfs", "file", "queue", "table", "web" })
        {
            endpoints[kind] = $"https://{name}{nameSuffix}.{kind}.{hostSuffix}/";
        }
        return endpoints;
    }

    /// <summary>Where an account's endpoints live: storage.{suffix}, or for an account on the Azure Stack Hub stamp
    /// the stamp's own suffix ({region}.azurestack.{suffix}), as a stamp's are {account}.blob.{region}.{domain}.</summary>
    public static string HostSuffix(FabricOptions options, string? location) =>
        AzureStackStamp.IsStampRegion(options, location) ? AzureStackStamp.Suffix(options) : "storage." + options.DnsSuffix;

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    /// <summary>The sku and the regions the data lives in. The top-level location is left as created.</summary>
    private static void SetRedundancy(ArmResource account, string hostSuffix, string sku, string primary, string? secondary)
    {
        account.Sku = new JsonObject { ["name"] = sku, ["tier"] = sku.StartsWith("Premium", StringComparison.OrdinalIgnoreCase) ? "Premium" : "Standard" };
        var p = account.Properties;
        p["primaryLocation"] = ArmStore.NormalizeRegion(primary);
        p["statusOfPrimary"] = "available";
        if (secondary != null)
        {
            p["secondaryLocation"] = ArmStore.NormalizeRegion(secondary);
            p["statusOfSecondary"] = "available";
            if (sku.StartsWith("Standard_RA", StringComparison.OrdinalIgnoreCase))
            {
                p["secondaryEndpoints"] = Endpoints(account.Name, hostSuffix, "-secondary");
            }
            else
            {
                // Without read access the secondary has no endpoints of its own.
                p.Remove("secondaryEndpoints");
            }
        }
        else
        {
            p.Remove("secondaryLocation");
            p.Remove("statusOfSecondary");
            p.Remove("secondaryEndpoints");
        }
    }

    private string AccountId(FabricRequest r) => Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Storage", "storageAccounts/" + r.Route("account"));

    private ArmResource RequireAccount(FabricRequest r)
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        return Arm.RequireResource(_state, AccountId(r), AccountType);
    }

    private JsonObject Render(ArmResource account, bool geoStats)
    {
        var json = account.ToJson();
        var properties = (JsonObject)json["properties"]!;
        var primary = PrimaryRegion(account);
        var primaryDown = Health.ResourceHealthProvider.IsOutOfService(_state, account);
        if (account.Properties["statusOfPrimary"] != null && primaryDown)
        {
            properties["statusOfPrimary"] = "unavailable";
        }
        // As the service does: present (true) only while a failover runs.
        if (account.Get<bool>("failoverInProgress"))
        {
            properties["failoverInProgress"] = true;
        }
        var secondary = account.Properties["secondaryLocation"]?.GetValue<string>();
        if (secondary != null && _state.Faults.IsRegionDown(secondary))
        {
            properties["statusOfSecondary"] = "unavailable";
        }
        if (geoStats && secondary != null)
        {
            var sku = account.Sku!["name"]!.GetValue<string>();
            var busy = account.Get<bool>("failoverInProgress");
            var bothUp = !primaryDown && !_state.Faults.IsRegionDown(secondary);
            properties["geoReplicationStats"] = new JsonObject
            {
                ["status"] = busy ? "Unavailable" : "Live",
                ["lastSyncTime"] = Arm.Iso(LastSync(account)),
                ["canFailover"] = !busy && !_state.Faults.IsRegionDown(secondary),
                ["canPlannedFailover"] = !busy && bothUp,
                ["postFailoverRedundancy"] = AfterUnplanned,
                ["postPlannedFailoverRedundancy"] = sku,
            };
        }
        return json;
    }

    private DateTimeOffset LastSync(ArmResource account) =>
        account.Internal.TryGetValue("lastSyncTime", out var fixedTime) && fixedTime is DateTimeOffset t ? t : _state.Now.AddMinutes(-5);

    /// <summary>Redundancy after an unplanned failover: the former secondary keeps three local copies, so
    /// every geo-redundant sku becomes Standard_LRS, GZRS and RA-GZRS included (ZRS comes back only with a
    /// failback after geo-redundancy was configured again, which is not modelled).</summary>
    private const string AfterUnplanned = "Standard_LRS";

    private FabricResult Put(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var existing = _state.Arm.Find(AccountId(request));
        if (existing != null)
        {
            if (body["tags"] is JsonObject newTags)
            {
                existing.Tags = (JsonObject)newTags.DeepClone();
            }
            return FabricResult.Ok(Render(existing, false));
        }
        var sku = body["sku"]?["name"]?.GetValue<string>()
                  ?? throw FabricError.BadRequest("InvalidRequestContent", "The sku is required for a storage account.");
        var account = NewAccount(_state, AccountId(request), Arm.RequireLocation(body), sku, body["kind"]?.GetValue<string>() ?? "StorageV2",
            body["properties"] as JsonObject ?? new JsonObject());
        if (body["tags"] is JsonObject tags)
        {
            account.Tags = (JsonObject)tags.DeepClone();
        }
        account.Properties["provisioningState"] = "Creating";
        _state.Arm.Add(account);
        var op = _state.Operations.Start(request, "Microsoft.Storage", account.Location, _state.Timings.OperationMs,
            onSucceeded: () => account.Properties["provisioningState"] = "Succeeded",
            onFailed: () => _state.Arm.Remove(account.Id),
            result: () => Render(account, false));
        return _state.Operations.Accepted(op, request, asyncOperationHeader: false, resultKind: LongRunningOperations.AsyncOperationsKind);
    }

    /// <summary>The redundancy families within which an account's sku can be changed in place; anything else is a
    /// migration the service does not do through an update.</summary>
    private static readonly string[][] SkuFamilies =
    {
        new[] { "Standard_LRS", "Standard_GRS", "Standard_RAGRS" },
        new[] { "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS" },
    };

    /// <summary>
    /// Update (PATCH, answered 200 at once): the sku, tags and the properties given, merged into the account
    /// (objects property by property, anything else replaced). A sku change within LRS/GRS/RA-GRS (or
    /// ZRS/GZRS/RA-GZRS) applies at once: a geo-redundant sku gets the paired region of the current primary as
    /// its secondary, read access adds the secondary endpoints, a local sku drops the secondary. Refused while a
    /// failover runs, and across families (a conversion, not an update).
    /// </summary>
    private FabricResult Patch(FabricRequest request)
    {
        var account = RequireAccount(request);
        var body = request.RequireBody();
        var current = account.Sku!["name"]!.GetValue<string>();
        var wanted = body["sku"]?["name"]?.GetValue<string>();
        if (account.Get<bool>("failoverInProgress"))
        {
            throw FabricError.Conflict("FailoverInProgress", $"Storage account '{account.Name}' cannot be updated while it fails over.");
        }
        if (wanted != null && !string.Equals(wanted, current, StringComparison.OrdinalIgnoreCase)
            && !SkuFamilies.Any(f => f.Contains(current, StringComparer.OrdinalIgnoreCase) && f.Contains(wanted, StringComparer.OrdinalIgnoreCase)))
        {
            throw FabricError.BadRequest("SkuChangeNotSupported", $"Storage account '{account.Name}' cannot change from {current} to {wanted} by an update.");
        }
        if (body["properties"] is JsonObject properties)
        {
            Merge(account.Properties, properties);
            var endpoints = (JsonObject)account.Properties["primaryEndpoints"]!;
            var routing = account.Properties["routingPreference"];
            if (routing?["publishInternetEndpoints"]?.GetValue<bool>() == true)
            {
                endpoints["internetEndpoints"] = Endpoints(account.Name, HostSuffix(_state.Options, account.Location), "-internetrouting");
            }
            if (routing?["publishMicrosoftEndpoints"]?.GetValue<bool>() == true)
            {
                endpoints["microsoftEndpoints"] = Endpoints(account.Name, HostSuffix(_state.Options, account.Location), "-microsoftrouting");
            }
        }
        if (body["tags"] is JsonObject tags)
        {
            account.Tags = (JsonObject)tags.DeepClone();
        }
        if (wanted != null && !string.Equals(wanted, current, StringComparison.OrdinalIgnoreCase))
        {
            var canonical = SkuFamilies.SelectMany(f => f).First(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
            var primary = PrimaryRegion(account);
            var secondary = account.Properties["secondaryLocation"]?.GetValue<string>();
            SetRedundancy(account, HostSuffix(_state.Options, account.Location), canonical, primary, IsGeoRedundant(canonical) ? secondary ?? Regions.Paired(primary) : null);
        }
        return FabricResult.Ok(Render(account, false));
    }

    private static void Merge(JsonObject target, JsonObject given)
    {
        foreach (var pair in given)
        {
            if (pair.Value is JsonObject child && target[pair.Key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[pair.Key] = pair.Value?.DeepClone();
            }
        }
    }

    private FabricResult Get(FabricRequest request) =>
        FabricResult.Ok(Render(RequireAccount(request), string.Equals(request.Query("$expand"), "geoReplicationStats", StringComparison.OrdinalIgnoreCase)));

    private FabricResult Failover(FabricRequest request)
    {
        var account = RequireAccount(request);
        var planned = string.Equals(request.Query("failoverType"), "Planned", StringComparison.OrdinalIgnoreCase);
        var secondary = account.Properties["secondaryLocation"]?.GetValue<string>();
        if (secondary == null)
        {
            throw FabricError.BadRequest("FailoverNotSupported", $"The storage account '{account.Name}' is not geo-redundant; failover needs GRS, RA-GRS, GZRS or RA-GZRS.");
        }
        if (account.Get<bool>("failoverInProgress"))
        {
            throw FabricError.Conflict("FailoverInProgress", $"A failover of storage account '{account.Name}' is already in progress.");
        }
        if (_state.Faults.IsRegionDown(secondary))
        {
            throw FabricError.BadRequest("FailoverNotAllowed", $"The secondary region '{secondary}' is unavailable.");
        }
        FabricError? failure = null;
        var primary = PrimaryRegion(account);
        if (planned && Health.ResourceHealthProvider.IsOutOfService(_state, account))
        {
            failure = new FabricError(500, "PlannedFailoverNotAllowed", "A planned failover needs both regions available; use an unplanned failover.");
        }
        var sku = account.Sku!["name"]!.GetValue<string>();
        account.Internal["failoverInProgress"] = true;
        var op = _state.Operations.Start(request, "Microsoft.Storage", secondary, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                account.Internal["failoverInProgress"] = false;
                SetRedundancy(account, HostSuffix(_state.Options, account.Location), planned ? sku : AfterUnplanned, secondary, planned ? primary : null);
                account.Properties["lastGeoFailoverTime"] = Arm.Iso(_state.Now);
            },
            onFailed: () => account.Internal["failoverInProgress"] = false,
            failure: failure);
        return _state.Operations.Accepted(op, request, asyncOperationHeader: false, resultKind: LongRunningOperations.AsyncOperationsKind);
    }

    private FabricResult ListKeys(FabricRequest request)
    {
        var account = RequireAccount(request);
        var keys = account.Get<string[]>("keys")!;
        return FabricResult.Ok(new JsonObject
        {
            ["keys"] = new JsonArray(keys.Select((k, i) => (JsonNode?)new JsonObject
            {
                ["creationTime"] = account.Properties["keyCreationTime"]?["key" + (i + 1)]?.DeepClone(),
                ["keyName"] = "key" + (i + 1),
                ["value"] = k,
                ["permissions"] = "Full",
            }).ToArray()),
        });
    }
}
