using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;

namespace AppServiceDr.Fabric.Web;

/// <summary>
/// Microsoft.Web (2024-04-01) sites: create/get, restart (synchronous or not), stop/start, app settings
/// list and replace; and each site's own host {site}.web.{suffix}, whose health endpoint reflects
/// whether the app is running, warmed, its Key Vault references resolved and its database online.
/// </summary>
public sealed class WebProvider : IFabricProvider, IResourceDeployer
{
    public const string SiteType = "Microsoft.Web/sites";
    private const string Site = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}";
    private static readonly Regex KeyVaultReference = new Regex(@"^@Microsoft\.KeyVault\((?<args>.*)\)\s*$", RegexOptions.IgnoreCase);
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Deployers.Add(this);
        var arm = routes.Arm;
        arm.Map("PUT", Site, PutSite);
        arm.Map("GET", Site, GetSite);
        arm.Map("POST", Site + "/restart", Restart);
        arm.Map("POST", Site + "/stop", Stop);
        arm.Map("POST", Site + "/start", Start);
        arm.Map("POST", Site + "/config/appsettings/list", ListAppSettings);
        arm.Map("PUT", Site + "/config/appsettings", PutAppSettings);
        arm.Map("GET", Site + "/config/configreferences/appsettings", request => FabricResult.Ok(Arm.List(References(RequireSite(request)))));
        arm.Map("GET", Site + "/config/configreferences/appsettings/{setting}", request =>
            FabricResult.Ok(References(RequireSite(request)).FirstOrDefault(r => string.Equals(r["name"]?.GetValue<string>(), request.Route("setting"), StringComparison.OrdinalIgnoreCase))
                            ?? throw FabricError.NotFound("NotFound", $"App setting '{request.Route("setting")}' is not a Key Vault reference.")));
        routes.Admin.Map("PUT", "/_fabric/packages/broken", request =>
        {
            _state.Store<PackageStore>().Broken.Add(request.Query("uri") ?? throw FabricError.BadRequest("InvalidRequestContent", "Name the package with ?uri=."));
            return FabricResult.NoContent();
        });
        routes.For(FabricService.Site).MapFallback(ServeSiteHost);
        routes.RegionOf(FabricService.Site, (name, _) => FindByHost(name)?.Location);
        routes.Admin.Map("PUT", "/_fabric/seed/sites/{sub}/{rg}/{site}", request =>
        {
            var body = request.RequireBody();
            var settings = (body["appSettings"] as JsonObject ?? new JsonObject())
                .Select(p => new KeyValuePair<string, string>(p.Key, p.Value?.GetValue<string>() ?? string.Empty));
            SeedSite(_state, request.Route("sub"), request.Route("rg"), request.Route("site"), Arm.RequireLocation(body), settings,
                body["databaseId"]?.GetValue<string>(), body["healthPath"]?.GetValue<string>());
            return FabricResult.NoContent();
        });
        routes.Admin.Map("PUT", "/_fabric/sites/{sub}/{rg}/{site}/startFailures", SetStartFailures);
    }

    /// <summary>Admin: the next starts of a site fail (an injected fault): PUT /_fabric/sites/{sub}/{rg}/{site}/startFailures
    /// {"count":2,"error":"..."}.</summary>
    private FabricResult SetStartFailures(FabricRequest request)
    {
        var body = request.RequireBody();
        FailNextStarts(_state, SiteId(request), body["count"]?.GetValue<int>() ?? 1, body["error"]?.GetValue<string>());
        return FabricResult.NoContent();
    }

    /// <summary>Makes the next <paramref name="count"/> starts of a site fail with <paramref name="error"/> (in-process seeding).</summary>
    public static void FailNextStarts(FabricState state, string siteId, int count, string? error = null)
    {
        var runtime = Runtime(Arm.RequireResource(state, siteId, SiteType));
        runtime.StartFailures = count;
        runtime.StartFailureMessage = error ?? runtime.StartFailureMessage;
    }

    public const string PlanType = "Microsoft.Web/serverfarms";

    public bool CanDeploy(string type) =>
        string.Equals(type, SiteType, StringComparison.OrdinalIgnoreCase) || string.Equals(type, PlanType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Template deployment: an App Service plan (kept as declared), or a site that starts at once.</summary>
    public void Deploy(FabricState state, DeploymentTarget target)
    {
        if (string.Equals(target.Type, PlanType, StringComparison.OrdinalIgnoreCase))
        {
            var plan = state.Arm.Find(target.Id) ?? state.Arm.Add(new ArmResource(target.Id, PlanType, target.Location));
            plan.Sku = target.Definition["sku"]?.DeepClone() as JsonObject;
            plan.Kind = target.Definition["kind"]?.GetValue<string>();
            plan.Properties = target.Definition["properties"]?.DeepClone() as JsonObject ?? new JsonObject();
            plan.Properties["provisioningState"] = "Succeeded";
            return;
        }
        var site = state.Arm.Find(target.Id)
                   ?? state.Arm.Add(NewSite(state, target.Id, target.Location, target.Definition["properties"]?["serverFarmId"]?.GetValue<string>()));
        ApplySiteDefinition(state, site, target.Definition);
    }

    /// <summary>Takes app settings from properties.siteConfig.appSettings (when given) and (re)starts the site.</summary>
    private static void ApplySiteDefinition(FabricState state, ArmResource site, JsonObject definition)
    {
        if (definition["properties"]?["siteConfig"]?["appSettings"] is JsonArray settings)
        {
            Runtime(site).AppSettings = settings.Select(s => new KeyValuePair<string, string>(
                s!["name"]!.GetValue<string>(), s["value"]?.GetValue<string>() ?? string.Empty)).ToList();
        }
        site.Internal["lastModified"] = state.Now;
        BeginStart(state, site, immediately: true);
    }

    /// <summary>
    /// A running, warmed site (created, or reconfigured when it exists) with its app settings, the
    /// database it depends on and its health path; in-process seeding.
    /// </summary>
    public static ArmResource SeedSite(FabricState state, string subscription, string resourceGroup, string name, string location,
        IEnumerable<KeyValuePair<string, string>>? appSettings = null, string? databaseId = null, string? healthPath = null)
    {
        Resources.ResourceGroupsProvider.Seed(state, subscription, resourceGroup, location);
        var id = Arm.ProviderId(subscription, resourceGroup, "Microsoft.Web", "sites/" + name);
        var site = state.Arm.Find(id) ?? state.Arm.Add(NewSite(state, id, location, null));
        var runtime = Runtime(site);
        if (appSettings != null)
        {
            runtime.AppSettings = appSettings.ToList();
        }
        runtime.DatabaseId = databaseId ?? runtime.DatabaseId;
        runtime.HealthPath = healthPath ?? runtime.HealthPath;
        runtime.Running = true;
        runtime.WarmUntil = state.Now;
        runtime.KeyVaultFailure = ResolveReferences(state, runtime);
        return site;
    }

    public static SiteRuntime Runtime(ArmResource site) => site.Get<SiteRuntime>("runtime") ?? throw new InvalidOperationException("not a site");

    private static ArmResource NewSite(FabricState state, string id, string location, string? serverFarmId)
    {
        var site = new ArmResource(id, SiteType, location) { Kind = "app" };
        site.Internal["runtime"] = new SiteRuntime();
        site.Internal["serverFarmId"] = serverFarmId ?? id.Substring(0, id.IndexOf("/providers/", StringComparison.Ordinal)) + "/providers/Microsoft.Web/serverfarms/" + site.Name + "-plan";
        site.Internal["lastModified"] = state.Now;
        return site;
    }

    private string SiteId(FabricRequest r) => Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Web", "sites/" + r.Route("site"));

    private ArmResource RequireSite(FabricRequest r)
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        return Arm.RequireResource(_state, SiteId(r), SiteType);
    }

    private ArmResource? FindByHost(string siteName) =>
        _state.Arm.OfType(SiteType).FirstOrDefault(s => string.Equals(s.Name, siteName, StringComparison.OrdinalIgnoreCase));

    private JsonObject Render(ArmResource site)
    {
        var runtime = Runtime(site);
        var suffix = AzureStackStamp.SuffixFor(_state.Options, site.Location);
        var host = site.Name.ToLowerInvariant() + ".web." + suffix;
        var scm = site.Name.ToLowerInvariant() + ".scm.web." + suffix;
        var json = site.ToJson();
        json.Remove("tags");
        json["properties"] = new JsonObject
        {
            ["state"] = runtime.Running ? "Running" : "Stopped",
            ["hostNames"] = new JsonArray(host),
            ["repositorySiteName"] = site.Name,
            ["usageState"] = "Normal",
            ["enabled"] = true,
            ["enabledHostNames"] = new JsonArray(host, scm),
            ["availabilityState"] = "Normal",
            ["hostNameSslStates"] = new JsonArray(
                new JsonObject { ["name"] = host, ["sslState"] = "Disabled", ["hostType"] = "Standard" },
                new JsonObject { ["name"] = scm, ["sslState"] = "Disabled", ["hostType"] = "Repository" }),
            ["serverFarmId"] = site.Get<string>("serverFarmId"),
            ["reserved"] = false,
            ["isXenon"] = false,
            ["hyperV"] = false,
            ["lastModifiedTimeUtc"] = Arm.Iso(site.Get<DateTimeOffset>("lastModified")),
            ["vnetRouteAllEnabled"] = false,
            ["vnetImagePullEnabled"] = false,
            ["vnetContentShareEnabled"] = false,
            ["siteConfig"] = SiteConfig(),
            ["scmSiteAlsoStopped"] = false,
            ["clientAffinityEnabled"] = true,
            ["clientCertEnabled"] = false,
            ["clientCertMode"] = "Required",
            ["hostNamesDisabled"] = false,
            ["customDomainVerificationId"] = site.Id.GetHashCode().ToString("X8", System.Globalization.CultureInfo.InvariantCulture),
            ["outboundIpAddresses"] = "127.0.0.1",
            ["possibleOutboundIpAddresses"] = "127.0.0.1",
            ["containerSize"] = 0,
            ["dailyMemoryTimeQuota"] = 0,
            ["resourceGroup"] = Arm.ResourceGroupOf(site.Id),
            ["defaultHostName"] = host,
            ["httpsOnly"] = true,
            ["redundancyMode"] = "None",
            ["storageAccountRequired"] = false,
            ["keyVaultReferenceIdentity"] = "SystemAssigned",
        };
        return json;
    }

    private static JsonObject SiteConfig() => new JsonObject
    {
        ["numberOfWorkers"] = 1,
        ["defaultDocuments"] = new JsonArray("index.html", "hostingstart.html"),
        ["netFrameworkVersion"] = "v8.0",
        ["phpVersion"] = "",
        ["pythonVersion"] = "",
        ["nodeVersion"] = "",
        ["powerShellVersion"] = "",
        ["linuxFxVersion"] = "",
        ["requestTracingEnabled"] = false,
        ["remoteDebuggingEnabled"] = false,
        ["httpLoggingEnabled"] = false,
        ["acrUseManagedIdentityCreds"] = false,
        ["logsDirectorySizeLimit"] = 35,
        ["detailedErrorLoggingEnabled"] = false,
        ["use32BitWorkerProcess"] = false,
        ["webSocketsEnabled"] = false,
        ["alwaysOn"] = true,
        ["appCommandLine"] = "",
        ["managedPipelineMode"] = "Integrated",
        ["virtualApplications"] = new JsonArray(new JsonObject { ["virtualPath"] = "/", ["physicalPath"] = "site\\wwwroot", ["preloadEnabled"] = true }),
        ["loadBalancing"] = "LeastRequests",
        ["autoHealEnabled"] = false,
        ["vnetName"] = "",
        ["vnetRouteAllEnabled"] = false,
        ["vnetPrivatePortsCount"] = 0,
        ["http20Enabled"] = true,
        ["minTlsVersion"] = "1.2",
        ["scmMinTlsVersion"] = "1.2",
        ["ftpsState"] = "Disabled",
        ["functionAppScaleLimit"] = 0,
        ["functionsRuntimeScaleMonitoringEnabled"] = false,
        ["minimumElasticInstanceCount"] = 0,
        ["azureStorageAccounts"] = new JsonObject(),
    };

    private FabricResult PutSite(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var site = _state.Arm.Find(SiteId(request));
        site ??= _state.Arm.Add(NewSite(_state, SiteId(request), Arm.RequireLocation(body), body["properties"]?["serverFarmId"]?.GetValue<string>()));
        ApplySiteDefinition(_state, site, body);
        return FabricResult.Ok(Render(site));
    }

    private FabricResult GetSite(FabricRequest request) => FabricResult.Ok(Render(RequireSite(request)));

    /// <summary>
    /// Starts the app process: warm-up begins (now, or after the restart delay), and when it ends
    /// the Key Vault references are resolved, as App Service does at startup.
    /// </summary>
    private static void BeginStart(FabricState state, ArmResource site, bool immediately)
    {
        var runtime = Runtime(site);
        var generation = ++runtime.Generation;
        void Warm()
        {
            if (runtime.Generation != generation)
            {
                return;
            }
            runtime.Running = true;
            runtime.WarmUntil = state.Now.AddMilliseconds(state.Timings.SiteWarmupMs);
            runtime.StartError = null;
            if (runtime.StartFailures > 0)
            {
                runtime.StartFailures--;
                runtime.StartError = runtime.StartFailureMessage;
            }
            state.Operations.Schedule(state.Timings.SiteWarmupMs, () =>
            {
                if (runtime.Generation == generation)
                {
                    runtime.KeyVaultFailure = ResolveReferences(state, runtime);
                }
            });
        }
        if (immediately)
        {
            Warm();
        }
        else
        {
            state.Operations.Schedule(state.Timings.SiteRestartMs, Warm);
        }
    }

    private FabricResult Restart(FabricRequest request)
    {
        var site = RequireSite(request);
        var synchronous = string.Equals(request.Query("synchronous"), "true", StringComparison.OrdinalIgnoreCase);
        BeginStart(_state, site, immediately: synchronous);
        return FabricResult.Ok(null);
    }

    private FabricResult Stop(FabricRequest request)
    {
        var site = RequireSite(request);
        var runtime = Runtime(site);
        runtime.Generation++;
        runtime.Running = false;
        return FabricResult.Ok(null);
    }

    private FabricResult Start(FabricRequest request)
    {
        var site = RequireSite(request);
        if (!Runtime(site).Running)
        {
            BeginStart(_state, site, immediately: true);
        }
        return FabricResult.Ok(null);
    }

    private JsonObject RenderSettings(ArmResource site)
    {
        var properties = new JsonObject();
        foreach (var pair in Runtime(site).AppSettings)
        {
            properties[pair.Key] = pair.Value;
        }
        return new JsonObject
        {
            ["id"] = site.Id + "/config/appsettings",
            ["name"] = "appsettings",
            ["type"] = "Microsoft.Web/sites/config",
            ["kind"] = site.Kind,
            ["location"] = site.Location,
            ["properties"] = properties,
        };
    }

    private FabricResult ListAppSettings(FabricRequest request) => FabricResult.Ok(RenderSettings(RequireSite(request)));

    /// <summary>Replaces the whole set (settings not named are removed) and restarts the app, like the service.</summary>
    private FabricResult PutAppSettings(FabricRequest request)
    {
        var site = RequireSite(request);
        var properties = request.RequireBody()["properties"] as JsonObject
                         ?? throw FabricError.BadRequest("InvalidRequestContent", "The app settings body must have a properties object.");
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var pair in properties)
        {
            if (pair.Value is not JsonValue value || value.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                throw FabricError.BadRequest("InvalidRequestContent", $"App setting '{pair.Key}' must be a string.");
            }
            settings.Add(new KeyValuePair<string, string>(pair.Key, value.GetValue<string>()));
        }
        Runtime(site).AppSettings = settings;
        site.Internal["lastModified"] = _state.Now;
        BeginStart(_state, site, immediately: true);
        return FabricResult.Ok(RenderSettings(site));
    }

    /// <summary>
    /// Resolves the Key Vault references as the app starts (into <see cref="SiteRuntime.ResolvedSettings"/>)
    /// and returns the first app setting whose reference does not resolve, described without its value.
    /// </summary>
    private static string? ResolveReferences(FabricState state, SiteRuntime runtime)
    {
        string? failure = null;
        var resolved = new List<KeyValuePair<string, string>>();
        var statuses = new List<ReferenceStatus>();
        foreach (var pair in runtime.AppSettings)
        {
            var match = KeyVaultReference.Match(pair.Value);
            if (!match.Success)
            {
                resolved.Add(pair);
                continue;
            }
            var (vaultName, secretName, version) = ParseReference(match.Groups["args"].Value, state.Options);
            var vault = vaultName == null ? null : state.Store<VaultStore>().Find(vaultName);
            var value = vault != null && secretName != null && !state.Faults.IsRegionDown(vault.Location)
                ? vault.ResolveValue(secretName, version) : null;
            resolved.Add(new KeyValuePair<string, string>(pair.Key, value ?? pair.Value));
            var (status, details) = vaultName == null || secretName == null ? ("InvalidSyntax", "The reference names no vault or no secret.")
                : vault == null ? ("VaultNotFound", $"Key Vault reference was not able to be resolved because vault '{vaultName}' could not be found.")
                : state.Faults.IsRegionDown(vault.Location) ? ("FetchTimedOut", $"Key Vault reference was not able to be resolved because vault '{vaultName}' did not answer.")
                : value != null ? ("Resolved", (string?)null)
                : version != null && vault.Secrets.TryGetValue(secretName, out var known) && known.State == SecretState.Active
                    ? ("SecretVersionNotFound", $"Key Vault reference was not able to be resolved because version '{version}' of secret '{secretName}' could not be found in vault '{vaultName}'.")
                : ("SecretNotFound", $"Key Vault reference was not able to be resolved because secret '{secretName}' could not be found in vault '{vaultName}'.");
            statuses.Add(new ReferenceStatus(pair.Key, pair.Value, vaultName, secretName, version, status, details));
            if (value == null)
            {
                failure ??= $"Key Vault reference failed for app setting '{pair.Key}': secret '{secretName}' in vault '{vaultName}' could not be read.";
            }
        }
        runtime.ResolvedSettings = resolved;
        runtime.ReferenceStatuses = statuses;
        return failure;
    }

    /// <summary>WebApps_GetAppSettingsKeyVaultReferences: each Key Vault reference with the status it resolved to at
    /// the app's last start (ApiKVReference; never the secret's value).</summary>
    private static IEnumerable<JsonNode> References(ArmResource site) =>
        Runtime(site).ReferenceStatuses.Select(r =>
        {
            var properties = new JsonObject
            {
                ["reference"] = r.Reference,
                ["status"] = r.Status,
                ["vaultName"] = r.VaultName,
                ["secretName"] = r.SecretName,
                ["identityType"] = "SystemAssigned",
                ["source"] = "KeyVault",
            };
            if (r.SecretVersion != null)
            {
                properties["secretVersion"] = r.SecretVersion;
            }
            if (r.Details != null)
            {
                properties["details"] = r.Details;
            }
            return (JsonNode)new JsonObject
            {
                ["id"] = site.Id + "/config/configreferences/appsettings/" + r.Setting,
                ["name"] = r.Setting,
                ["type"] = "Microsoft.Web/sites/config/configreferences",
                ["properties"] = properties,
            };
        }).ToList();

    /// <summary>
    /// Why a storage account the app's connection strings name (as read at its last start) cannot serve it:
    /// it does not exist, the key is not one of its keys, or its primary region is down. Only connection
    /// strings for the fabric's own storage endpoints (EndpointSuffix=storage.{suffix}) are judged; the
    /// value itself is never described.
    /// </summary>
    private static string? StorageProblem(FabricState state, SiteRuntime runtime)
    {
        var endpointSuffixes = new[] { "storage." + state.Options.DnsSuffix, AzureStackStamp.Suffix(state.Options) };
        foreach (var pair in runtime.ResolvedSettings)
        {
            var builder = new System.Data.Common.DbConnectionStringBuilder();
            try
            {
                builder.ConnectionString = pair.Value;
            }
            catch (ArgumentException)
            {
                continue;
            }
            string? Part(string key) => builder.TryGetValue(key, out var v) ? v?.ToString() : null;
            var name = Part("AccountName");
            var key = Part("AccountKey");
            if (name == null || key == null || !endpointSuffixes.Contains(Part("EndpointSuffix"), StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            var account = state.Arm.OfType(Storage.StorageProvider.AccountType).FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal));
            if (account == null)
            {
                return $"Storage account '{name}' named by app setting '{pair.Key}' does not exist.";
            }
            if (account.Get<string[]>("keys")?.Contains(key, StringComparer.Ordinal) != true)
            {
                return $"Storage account '{name}' refused the key in app setting '{pair.Key}'.";
            }
            var primary = Storage.StorageProvider.PrimaryRegion(account);
            if (state.Faults.IsRegionDown(primary))
            {
                return $"Storage account '{name}' named by app setting '{pair.Key}' is not available: its primary region '{primary}' is down.";
            }
            if (Health.ResourceHealthProvider.IsOutOfService(state, account))
            {
                return $"Storage account '{name}' named by app setting '{pair.Key}' is not available in its primary region '{primary}'.";
            }
            if (account.Get<bool>("failoverInProgress"))
            {
                // While a failover runs the account cannot be written (nor, for a planned one, read) in either region.
                return $"Storage account '{name}' named by app setting '{pair.Key}' is not available: it is failing over.";
            }
        }
        return null;
    }

    private static (string? Vault, string? Secret, string? Version) ParseReference(string args, FabricOptions options)
    {
        var parts = args.Split(';')
            .Select(p => p.Split(new[] { '=' }, 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (parts.TryGetValue("SecretUri", out var uriText) && Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
        {
            var suffix = new[] { ".vault." + options.DnsSuffix, ".vault." + AzureStackStamp.Suffix(options) }
                .FirstOrDefault(s => uri.Host.EndsWith(s, StringComparison.OrdinalIgnoreCase));
            var vault = suffix != null ? uri.Host.Substring(0, uri.Host.Length - suffix.Length) : null;
            var segments = uri.AbsolutePath.Trim('/').Split('/');
            if (segments.Length >= 2 && string.Equals(segments[0], "secrets", StringComparison.OrdinalIgnoreCase))
            {
                return (vault, segments[1], segments.Length > 2 ? segments[2] : null);
            }
            return (vault, null, null);
        }
        parts.TryGetValue("VaultName", out var vaultName);
        parts.TryGetValue("SecretName", out var secretName);
        parts.TryGetValue("SecretVersion", out var secretVersion);
        return (vaultName, secretName, secretVersion);
    }

    private FabricResult ServeSiteHost(FabricRequest request)
    {
        var site = FindByHost(request.ServiceName);
        if (site == null)
        {
            return new FabricResult(404) { Text = $"The site '{request.ServiceName}' does not exist." };
        }
        var runtime = Runtime(site);
        if (!string.Equals(request.Path.TrimEnd('/'), runtime.HealthPath.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            return new FabricResult(404) { Text = "Not found." };
        }
        var reason = Unhealthy(_state, runtime);
        if (reason != null)
        {
            return new FabricResult(503) { Text = reason };
        }
        var package = runtime.AppSettings.FirstOrDefault(p => p.Key == "WEBSITE_RUN_FROM_PACKAGE").Value;
        return new FabricResult(200) { Text = package == null ? "Healthy." : $"Healthy. Running package: {package}" };
    }

    /// <summary>
    /// Why the site serving <paramref name="hostName"/> ({site}.web.{suffix}) is unhealthy, or null
    /// when its health endpoint would answer 200. Unknown hosts are reported as such.
    /// </summary>
    public static string? HealthProblem(FabricState state, string hostName)
    {
        var suffix = new[] { ".web." + AzureStackStamp.Suffix(state.Options), ".web." + state.Options.DnsSuffix }
            .FirstOrDefault(s => hostName.EndsWith(s, StringComparison.OrdinalIgnoreCase));
        if (suffix == null)
        {
            return $"'{hostName}' is not a fabric site.";
        }
        var name = hostName.Substring(0, hostName.Length - suffix.Length);
        var site = state.Arm.OfType(SiteType).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        if (site == null)
        {
            return $"The site '{name}' does not exist.";
        }
        return state.Faults.IsRegionDown(site.Location) ? $"The region '{site.Location}' is unavailable." : Unhealthy(state, Runtime(site));
    }

    private static string? Unhealthy(FabricState state, SiteRuntime runtime)
    {
        if (!runtime.Running)
        {
            return "Site is stopped.";
        }
        if (state.Now < runtime.WarmUntil)
        {
            return "Site is warming up.";
        }
        if (runtime.StartError != null)
        {
            return runtime.StartError;
        }
        if (runtime.KeyVaultFailure != null)
        {
            return runtime.KeyVaultFailure;
        }
        var package = runtime.AppSettings.FirstOrDefault(p => p.Key == "WEBSITE_RUN_FROM_PACKAGE").Value;
        if (package != null && state.Store<PackageStore>().Broken.Contains(package))
        {
            return "Application error: the app failed to start from its package.";
        }
        var storage = StorageProblem(state, runtime);
        if (storage != null)
        {
            return storage;
        }
        var databases = runtime.DatabaseId == null ? new List<(string Server, string Database, ArmResource? Resource)>()
            : new List<(string, string, ArmResource?)> { (string.Empty, runtime.DatabaseId.Substring(runtime.DatabaseId.LastIndexOf('/') + 1), state.Arm.Find(runtime.DatabaseId)) };
        databases.AddRange(ConnectionStringDatabases(state, runtime));
        foreach (var (server, database, db) in databases)
        {
            var status = db?.Properties["status"]?.GetValue<string>();
            if (db == null || status != "Online" || Health.ResourceHealthProvider.IsOutOfService(state, db))
            {
                var on = server.Length == 0 ? string.Empty : $" on server '{server}'";
                return $"Database '{database}'{on} is not available (status: {status ?? "missing"}).";
            }
        }
        return null;
    }

    /// <summary>
    /// The databases the app's SQL connection strings (app settings with a server and a database)
    /// point at: the server is found by its name in the host (name.database.windows.net).
    /// </summary>
    private static IEnumerable<(string Server, string Database, ArmResource? Resource)> ConnectionStringDatabases(FabricState state, SiteRuntime runtime)
    {
        foreach (var pair in runtime.AppSettings)
        {
            var builder = new System.Data.Common.DbConnectionStringBuilder();
            try
            {
                builder.ConnectionString = pair.Value;
            }
            catch (ArgumentException)
            {
                continue;
            }
            var host = new[] { "Server", "Data Source", "Address", "Addr", "Network Address" }.Select(k => builder.TryGetValue(k, out var v) ? v?.ToString() : null).FirstOrDefault(v => v != null);
            var database = new[] { "Database", "Initial Catalog" }.Select(k => builder.TryGetValue(k, out var v) ? v?.ToString() : null).FirstOrDefault(v => v != null);
            if (host == null || database == null)
            {
                continue;
            }
            host = host.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase) ? host.Substring(4) : host;
            var comma = host.IndexOf(',');
            var serverName = (comma < 0 ? host : host.Substring(0, comma)).Split('.')[0];
            var server = state.Arm.OfType(Sql.SqlProvider.ServerType).FirstOrDefault(s => string.Equals(s.Name, serverName, StringComparison.OrdinalIgnoreCase));
            yield return (serverName, database, server == null ? null : state.Arm.Find(server.Id + "/databases/" + database));
        }
    }
}
