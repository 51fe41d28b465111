using System;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Sql;

/// <summary>
/// Microsoft.Sql (2023-08-01): servers, databases (createMode Default, Copy, PointInTimeRestore, Restore of a
/// deleted database, Recovery, Secondary), move (rename), delete, restore points, recoverable databases
/// (geo-backups) and failover groups with planned and forced failover. Error codes are the ones the
/// specification lists for each operation (Databases.json, FailoverGroups.json).
/// </summary>
public sealed class SqlProvider : IFabricProvider, IResourceDeployer
{
    public const string ServerType = "Microsoft.Sql/servers";
    public const string DatabaseType = "Microsoft.Sql/servers/databases";
    private const string Server = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{server}";
    private FabricState _state = null!;

    private SqlStore Store => _state.Store<SqlStore>();

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        routes.Deployers.Add(this);
        var arm = routes.Arm;
        arm.Map("PUT", Server, PutServer);
        arm.Map("GET", Server, GetServer);
        arm.Map("GET", Server + "/databases", ListDatabases);
        arm.Map("PUT", Server + "/databases/{db}", PutDatabase);
        arm.Map("GET", Server + "/databases/{db}", GetDatabase);
        arm.Map("DELETE", Server + "/databases/{db}", DeleteDatabase);
        arm.Map("POST", Server + "/databases/{db}/move", MoveDatabase);
        arm.Map("GET", Server + "/databases/{db}/restorePoints", ListRestorePoints);
        arm.Map("GET", Server + "/databases/{db}/replicationLinks", ListReplicationLinks);
        arm.Map("GET", Server + "/recoverableDatabases", ListRecoverable);
        arm.Map("GET", Server + "/recoverableDatabases/{db}", GetRecoverable);
        arm.Map("GET", Server + "/failoverGroups", ListFailoverGroups);
        arm.Map("PUT", Server + "/failoverGroups/{fg}", PutFailoverGroup);
        arm.Map("GET", Server + "/failoverGroups/{fg}", GetFailoverGroup);
        arm.Map("POST", Server + "/failoverGroups/{fg}/failover", request => Failover(request, allowDataLoss: false));
        arm.Map("POST", Server + "/failoverGroups/{fg}/forceFailoverAllowDataLoss", request => Failover(request, allowDataLoss: true));

        // Geo-backups live in the paired region's storage: listable while the server's region is down.
        routes.ArmRegionRule(path => (path.IndexOf("/recoverableDatabases", StringComparison.OrdinalIgnoreCase) >= 0, null));
        routes.Admin.Map("PUT", "/_fabric/seed/sql/{sub}/{rg}/{server}", request =>
        {
            var body = request.RequireBody();
            SeedServer(_state, request.Route("sub"), request.Route("rg"), request.Route("server"), Arm.RequireLocation(body),
                body["fullyQualifiedDomainName"]?.GetValue<string>());
            return FabricResult.NoContent();
        });
        routes.Admin.Map("PUT", "/_fabric/seed/sql/{sub}/{rg}/{server}/{db}", request =>
        {
            var body = request.Body as JsonObject ?? new JsonObject();
            var serverId = Arm.ProviderId(request.Route("sub"), request.Route("rg"), "Microsoft.Sql", "servers/" + request.Route("server"));
            SeedDatabase(_state, serverId, request.Route("db"), Date(body, "earliestRestoreDate"), Date(body, "lastAvailableBackupDate"));
            return FabricResult.NoContent();
        });
    }

    public bool CanDeploy(string type) =>
        string.Equals(type, ServerType, StringComparison.OrdinalIgnoreCase) || string.Equals(type, DatabaseType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Template deployment: a Ready server, or a new empty Online database (createMode Default only).</summary>
    public void Deploy(FabricState state, DeploymentTarget target)
    {
        if (string.Equals(target.Type, ServerType, StringComparison.OrdinalIgnoreCase))
        {
            if (state.Arm.Find(target.Id) == null)
            {
                var login = target.Definition["properties"]?["administratorLogin"]?.GetValue<string>() ?? "sqladmin";
                state.Arm.Add(NewServer(target.Id, target.Location, login));
            }
            return;
        }
        var mode = target.Definition["properties"]?["createMode"]?.GetValue<string>() ?? "Default";
        if (!string.Equals(mode, "Default", StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.BadRequest("InvalidParameterValue", $"The fabric deploys databases from templates with createMode Default only, not '{mode}'.");
        }
        var serverId = ServerIdOf(target.Id);
        var server = state.Arm.Find(serverId) ?? throw FabricError.NotFound("ParentResourceNotFound", $"The parent server '{serverId}' does not exist.");
        if (state.Arm.Find(target.Id) == null)
        {
            state.Arm.Add(NewDatabase(server, target.Name.Split('/')[1], target.Definition["sku"] as JsonObject, state.Now, "Online"));
        }
    }

    /// <summary>A ready server (and its resource group when missing); in-process seeding. Its
    /// <c>fullyQualifiedDomainName</c> is <c>&lt;name&gt;.database.windows.net</c> unless
    /// <paramref name="fullyQualifiedDomainName"/> says otherwise (for example "127.0.0.1,54321", a TDS server
    /// on loopback that clients of the fabric then connect to).</summary>
    public static ArmResource SeedServer(FabricState state, string subscription, string resourceGroup, string name, string location, string? fullyQualifiedDomainName = null)
    {
        Resources.ResourceGroupsProvider.Seed(state, subscription, resourceGroup, location);
        var id = Arm.ProviderId(subscription, resourceGroup, "Microsoft.Sql", "servers/" + name);
        var server = state.Arm.Find(id) ?? state.Arm.Add(NewServer(id, location, "sqladmin"));
        if (fullyQualifiedDomainName != null) server.Properties["fullyQualifiedDomainName"] = fullyQualifiedDomainName;
        return server;
    }

    /// <summary>
    /// An Online database with backups reaching back to <paramref name="earliestRestoreDate"/> (default:
    /// 7 days ago) and a latest geo-backup at <paramref name="lastGeoBackup"/> (default: one hour ago).
    /// </summary>
    public static ArmResource SeedDatabase(FabricState state, string serverId, string name, DateTimeOffset? earliestRestoreDate = null, DateTimeOffset? lastGeoBackup = null)
    {
        var server = state.Arm.Find(serverId) ?? throw new InvalidOperationException($"Server '{serverId}' is not seeded.");
        var now = state.Now;
        var db = NewDatabase(server, name, null, now.AddDays(-30), "Online");
        SetEarliestRestore(db, earliestRestoreDate ?? now.AddDays(-7));
        db.Internal["lastGeoBackup"] = lastGeoBackup ?? now.AddHours(-1);
        return state.Arm.Add(db);
    }

    private static DateTimeOffset? Date(JsonObject body, string name) =>
        body[name] is JsonValue v ? DateTimeOffset.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;

    private static ArmResource NewServer(string id, string location, string login)
    {
        var server = new ArmResource(id, ServerType, location) { Kind = "v12.0" };
        server.Properties["administratorLogin"] = login;
        server.Properties["version"] = "12.0";
        server.Properties["state"] = "Ready";
        server.Properties["fullyQualifiedDomainName"] = server.Name + ".database.windows.net";
        server.Properties["publicNetworkAccess"] = "Enabled";
        return server;
    }

    private static ArmResource NewDatabase(ArmResource server, string name, JsonObject? sku, DateTimeOffset created, string status)
    {
        var db = new ArmResource(server.Id + "/databases/" + name, DatabaseType, server.Location) { Kind = "v12.0,user" };
        var (skuJson, objective) = NormalizeSku(sku);
        db.Sku = skuJson;
        var p = db.Properties;
        p["collation"] = "SQL_Latin1_General_CP1_CI_AS";
        p["maxSizeBytes"] = 268435456000L;
        p["status"] = status;
        p["databaseId"] = Guid.NewGuid().ToString();
        p["creationDate"] = Arm.Iso(created);
        p["currentServiceObjectiveName"] = objective;
        p["requestedServiceObjectiveName"] = objective;
        p["defaultSecondaryLocation"] = Regions.Paired(server.Location ?? "westus");
        p["catalogCollation"] = "SQL_Latin1_General_CP1_CI_AS";
        p["zoneRedundant"] = false;
        p["readScale"] = "Disabled";
        p["currentSku"] = skuJson.DeepClone();
        p["currentBackupStorageRedundancy"] = "Geo";
        p["requestedBackupStorageRedundancy"] = "Geo";
        p["isInfraEncryptionEnabled"] = false;
        p["isLedgerOn"] = false;
        p["maintenanceConfigurationId"] = server.Id.Substring(0, server.Id.IndexOf("/resourceGroups/", StringComparison.OrdinalIgnoreCase))
                                          + "/providers/Microsoft.Maintenance/publicMaintenanceConfigurations/SQL_Default";
        SetEarliestRestore(db, created);
        db.Internal["lastGeoBackup"] = created;
        return db;
    }

    /// <summary>The earliest restore point, kept at the precision it is shown with (milliseconds), so a client
    /// that restores to the very point it read is inside the window.</summary>
    private static void SetEarliestRestore(ArmResource db, DateTimeOffset earliest)
    {
        var shown = earliest.AddTicks(-(earliest.UtcTicks % TimeSpan.TicksPerMillisecond));
        db.Internal["earliestRestoreDate"] = shown;
        db.Properties["earliestRestoreDate"] = Arm.Iso(shown);
    }

    /// <summary>DTU names (S0, P1, Basic) become the service's tier/capacity form; vCore skus pass through.</summary>
    private static (JsonObject Sku, string Objective) NormalizeSku(JsonObject? requested)
    {
        var name = requested?["name"]?.GetValue<string>() ?? "S0";
        int[] standard = { 10, 20, 50, 100, 200, 400, 800, 1600, 3000 };
        int[] premium = { 125, 250, 0, 500, 1000, 0, 1750, 0, 0, 0, 4000 };
        if (name.Length > 1 && (name[0] == 'S' || name[0] == 'P') && int.TryParse(name.Substring(1), out var level))
        {
            var table = name[0] == 'S' ? standard : premium;
            var tier = name[0] == 'S' ? "Standard" : "Premium";
            var index = name[0] == 'S' ? level : level - 1;
            if (index >= 0 && index < table.Length && table[index] > 0)
            {
                return (new JsonObject { ["name"] = tier, ["tier"] = tier, ["capacity"] = table[index] }, name);
            }
        }
        if (name == "Basic")
        {
            return (new JsonObject { ["name"] = "Basic", ["tier"] = "Basic", ["capacity"] = 5 }, "Basic");
        }
        var sku = (JsonObject)requested!.DeepClone();
        var capacity = sku["capacity"]?.GetValue<int>() ?? 2;
        sku["capacity"] = capacity;
        return (sku, name + "_" + capacity.ToString(CultureInfo.InvariantCulture));
    }

    private string ServerId(FabricRequest r) => Arm.ProviderId(r.Route("sub"), r.Route("rg"), "Microsoft.Sql", "servers/" + r.Route("server"));

    private ArmResource RequireServer(FabricRequest r)
    {
        Arm.RequireResourceGroup(_state, r.Route("sub"), r.Route("rg"));
        return Arm.RequireResource(_state, ServerId(r), ServerType);
    }

    private ArmResource RequireDatabase(FabricRequest r)
    {
        var server = RequireServer(r);
        return Arm.RequireResource(_state, server.Id + "/databases/" + r.Route("db"), DatabaseType);
    }

    private JsonObject Render(ArmResource db)
    {
        var json = db.ToJson();
        var properties = (JsonObject)json["properties"]!;
        var group = Store.FailoverGroups.FirstOrDefault(g => g.Involves(ServerIdOf(db.Id)) && g.Databases.Contains(db.Name, StringComparer.OrdinalIgnoreCase));
        if (group != null)
        {
            properties["failoverGroupId"] = ServerIdOf(db.Id) + "/failoverGroups/" + group.Name;
        }
        if (db.Get<string>("secondaryType") is string secondaryType)
        {
            properties["secondaryType"] = secondaryType;
        }
        // Databases are tracked resources: they carry the tags they were created with, and none when given none.
        json.Remove("tags");
        if (db.Tags.Count > 0)
        {
            json["tags"] = db.Tags.DeepClone();
        }
        return json;
    }

    private static string ServerIdOf(string databaseId) => databaseId.Substring(0, databaseId.LastIndexOf("/databases/", StringComparison.OrdinalIgnoreCase));

    private FabricResult PutServer(FabricRequest request)
    {
        Arm.RequireResourceGroup(_state, request.Route("sub"), request.Route("rg"));
        var body = request.RequireBody();
        var existing = _state.Arm.Find(ServerId(request));
        if (existing != null)
        {
            return FabricResult.Ok(existing.ToJson());
        }
        var login = body["properties"]?["administratorLogin"]?.GetValue<string>() ?? "sqladmin";
        var server = _state.Arm.Add(NewServer(ServerId(request), Arm.RequireLocation(body), login));
        server.Properties["state"] = "Creating";
        var op = _state.Operations.Start(request, "Microsoft.Sql", server.Location, _state.Timings.OperationMs,
            onSucceeded: () => server.Properties["state"] = "Ready",
            onFailed: () => _state.Arm.Remove(server.Id),
            result: () => server.ToJson());
        return _state.Operations.Accepted(op, request);
    }

    private FabricResult GetServer(FabricRequest request) => FabricResult.Ok(RequireServer(request).ToJson());

    private FabricResult ListDatabases(FabricRequest request)
    {
        var server = RequireServer(request);
        return FabricResult.Ok(Arm.List(_state.Arm.Children(server.Id, DatabaseType).Select(d => (JsonNode)Render(d))));
    }

    private FabricResult GetDatabase(FabricRequest request) => FabricResult.Ok(Render(RequireDatabase(request)));

    private FabricResult PutDatabase(FabricRequest request)
    {
        var server = RequireServer(request);
        var body = request.RequireBody();
        var properties = body["properties"] as JsonObject ?? new JsonObject();
        var id = server.Id + "/databases/" + request.Route("db");
        var existing = _state.Arm.Find(id);
        if (existing != null)
        {
            // Updates apply at once; only the service tier is modelled.
            if (body["sku"] is JsonObject sku)
            {
                var (normalized, objective) = NormalizeSku(sku);
                existing.Sku = normalized;
                existing.Properties["currentSku"] = normalized.DeepClone();
                existing.Properties["currentServiceObjectiveName"] = objective;
                existing.Properties["requestedServiceObjectiveName"] = objective;
            }
            return FabricResult.Ok(Render(existing));
        }
        Arm.RequireLocation(body);
        var mode = properties["createMode"]?.GetValue<string>() ?? "Default";
        var now = _state.Now;
        ArmResource db;
        switch (mode.ToLowerInvariant())
        {
            case "default":
                db = NewDatabase(server, request.Route("db"), body["sku"] as JsonObject, now, "Creating");
                break;
            case "copy":
                db = Copy(server, request, body, properties, now);
                break;
            case "pointintimerestore":
                db = PointInTimeRestore(server, request, properties, now);
                break;
            case "restore":
                db = RestoreDropped(server, request, properties, now);
                break;
            case "recovery":
                db = GeoRestore(server, request, properties, now);
                break;
            case "secondary":
                db = GeoSecondary(server, request, body, properties, now);
                break;
            default:
                throw FabricError.BadRequest("InvalidDatabaseCreateMode", $"createMode '{mode}' is not modelled; the fabric knows Default, Copy, PointInTimeRestore, Restore, Recovery and Secondary.");
        }
        if (body["tags"] is JsonObject tags)
        {
            db.Tags = (JsonObject)tags.DeepClone();
        }
        _state.Arm.Add(db);
        var op = _state.Operations.Start(request, "Microsoft.Sql", server.Location, _state.Timings.DatabaseOnlineMs,
            onSucceeded: () => db.Properties["status"] = "Online",
            onFailed: () =>
            {
                _state.Arm.Remove(db.Id);
                Store.Links.RemoveAll(l => string.Equals(l.SecondaryId, db.Id, StringComparison.OrdinalIgnoreCase));
            },
            result: () => Render(db));
        return _state.Operations.Accepted(op, request);
    }

    private ArmResource RequireSource(string? sourceId, string kind)
    {
        if (string.IsNullOrEmpty(sourceId))
        {
            throw FabricError.BadRequest("MissingSourceDatabaseId", $"createMode {kind} requires sourceDatabaseId.");
        }
        var source = _state.Arm.Find(sourceId!);
        if (source == null || !string.Equals(source.Type, DatabaseType, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.BadRequest("SourceDatabaseNotFound", $"The source database '{sourceId}' does not exist.");
        }
        return source;
    }

    private ArmResource PointInTimeRestore(ArmResource server, FabricRequest request, JsonObject properties, DateTimeOffset now)
    {
        var source = RequireSource(properties["sourceDatabaseId"]?.GetValue<string>(), "PointInTimeRestore");
        var text = properties["restorePointInTime"]?.GetValue<string>();
        if (text == null)
        {
            throw FabricError.BadRequest("MissingRestorePointInTime", "createMode PointInTimeRestore requires restorePointInTime.");
        }
        if (source.Get<string>("secondaryType") != null)
        {
            throw FabricError.BadRequest("RestoreNotSupportedForGeoDrSecondary", $"Database '{source.Name}' is a geo-secondary; restore from its primary.");
        }
        var point = RequirePoint(text, source.Name, source.Get<DateTimeOffset>("earliestRestoreDate"), now);
        var db = NewDatabase(server, request.Route("db"), source.Sku, now, "Restoring");
        db.Internal["createMode"] = "PointInTimeRestore";
        db.Internal["sourceDatabaseId"] = source.Id;
        db.Internal["dataAsOf"] = point;
        return db;
    }

    /// <summary>A restore point inside [<paramref name="earliest"/>, <paramref name="latest"/>], or 400 InvalidPointInTime.</summary>
    private static DateTimeOffset RequirePoint(string text, string database, DateTimeOffset earliest, DateTimeOffset latest)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var point) || point < earliest || point > latest)
        {
            throw FabricError.BadRequest("InvalidPointInTime",
                $"The point in time '{text}' is not valid for database '{database}': restore points range from {Arm.Iso(earliest)} to {Arm.Iso(latest)}.");
        }
        return point;
    }

    /// <summary>A transactionally consistent copy as of the request, on this or another server.</summary>
    private ArmResource Copy(ArmResource server, FabricRequest request, JsonObject body, JsonObject properties, DateTimeOffset now)
    {
        var source = RequireSource(properties["sourceDatabaseId"]?.GetValue<string>(), "Copy");
        var db = NewDatabase(server, request.Route("db"), body["sku"] as JsonObject ?? source.Sku, now, "Copying");
        db.Internal["createMode"] = "Copy";
        db.Internal["sourceDatabaseId"] = source.Id;
        db.Internal["dataAsOf"] = now;
        return db;
    }

    /// <summary>A deleted database brought back: sourceDatabaseId is its original id and sourceDatabaseDeletionDate
    /// when it was deleted; restorePointInTime, when given, picks an earlier point of its retention window.</summary>
    private ArmResource RestoreDropped(ArmResource server, FabricRequest request, JsonObject properties, DateTimeOffset now)
    {
        var sourceId = properties["sourceDatabaseId"]?.GetValue<string>()
                       ?? throw FabricError.BadRequest("MissingSourceDatabaseId", "createMode Restore requires sourceDatabaseId.");
        var deletionText = properties["sourceDatabaseDeletionDate"]?.GetValue<string>()
                           ?? throw FabricError.BadRequest("MissingSourceDatabaseDeletionDate", "createMode Restore with a database's own id requires sourceDatabaseDeletionDate.");
        if (!DateTimeOffset.TryParse(deletionText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var deletion))
        {
            throw FabricError.BadRequest("InvalidRestorableDroppedDatabaseDeletionDate", $"'{deletionText}' is not a date and time.");
        }
        var dropped = Store.Dropped.FirstOrDefault(d => string.Equals(d.Id, sourceId, StringComparison.OrdinalIgnoreCase)
                                                       && Math.Abs((d.DeletionDate - deletion).TotalSeconds) < 1)
                      ?? throw FabricError.BadRequest("InvalidDroppedDatabase", $"No database '{sourceId}' deleted at {deletionText} is within its recovery period on this server.");
        var text = properties["restorePointInTime"]?.GetValue<string>();
        var point = text == null ? dropped.DeletionDate : RequirePoint(text, sourceId.Substring(sourceId.LastIndexOf('/') + 1), dropped.EarliestRestoreDate, dropped.DeletionDate);
        var db = NewDatabase(server, request.Route("db"), dropped.Sku, now, "Restoring");
        db.Internal["createMode"] = "Restore";
        db.Internal["sourceDatabaseId"] = sourceId;
        db.Internal["dataAsOf"] = point;
        return db;
    }

    private ArmResource GeoRestore(ArmResource server, FabricRequest request, JsonObject properties, DateTimeOffset now)
    {
        var sourceId = properties["recoverableDatabaseId"]?.GetValue<string>() ?? properties["sourceDatabaseId"]?.GetValue<string>();
        if (sourceId == null)
        {
            throw FabricError.BadRequest("MissingRecoverableDatabaseId", "createMode Recovery requires the id of a recoverable database.");
        }
        var marker = "/recoverableDatabases/";
        var at = sourceId.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            throw FabricError.BadRequest("InvalidRecoverableDatabaseId", "createMode Recovery requires the id of a recoverable database (.../recoverableDatabases/{name}).");
        }
        var source = RequireSource(sourceId.Substring(0, at) + "/databases/" + sourceId.Substring(at + marker.Length), "Recovery");
        var db = NewDatabase(server, request.Route("db"), source.Sku, now, "Restoring");
        db.Internal["createMode"] = "Recovery";
        db.Internal["sourceDatabaseId"] = sourceId;
        db.Internal["dataAsOf"] = source.Get<DateTimeOffset>("lastGeoBackup");
        return db;
    }

    private ArmResource GeoSecondary(ArmResource server, FabricRequest request, JsonObject body, JsonObject properties, DateTimeOffset now)
    {
        var source = RequireSource(properties["sourceDatabaseId"]?.GetValue<string>(), "Secondary");
        if (string.Equals(ServerIdOf(source.Id), server.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.BadRequest("ReplicationSourceAndTargetMustBeInDifferentServers", "A geo-secondary must be created on a different server than its primary.");
        }
        var db = NewDatabase(server, request.Route("db"), body["sku"] as JsonObject ?? source.Sku, now, "Creating");
        db.Internal["createMode"] = "Secondary";
        db.Internal["sourceDatabaseId"] = source.Id;
        db.Internal["secondaryType"] = properties["secondaryType"]?.GetValue<string>() ?? "Geo";
        Store.Links.Add(new GeoLink(source.Id, db.Id, Guid.NewGuid().ToString()) { StartTime = now });
        return db;
    }

    private FabricResult DeleteDatabase(FabricRequest request)
    {
        var server = RequireServer(request);
        var db = _state.Arm.Find(server.Id + "/databases/" + request.Route("db"));
        if (db == null)
        {
            return FabricResult.NoContent();
        }
        db.Internal["deleting"] = true;
        var op = _state.Operations.Start(request, "Microsoft.Sql", server.Location, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                _state.Arm.Remove(db.Id);
                Store.Dropped.Add(new DroppedDatabase(db.Id, _state.Now, db.Get<DateTimeOffset>("earliestRestoreDate"), db.Sku));
                Store.Links.RemoveAll(l => Store.LinksOf(db.Id).Contains(l));
                foreach (var group in Store.FailoverGroups)
                {
                    group.Databases.RemoveAll(n => string.Equals(n, db.Name, StringComparison.OrdinalIgnoreCase) && group.Involves(server.Id));
                }
            },
            onFailed: () => db.Internal["deleting"] = false);
        return _state.Operations.Accepted(op, request);
    }

    private FabricResult MoveDatabase(FabricRequest request)
    {
        var server = RequireServer(request);
        var db = _state.Arm.Find(server.Id + "/databases/" + request.Route("db"))
                 ?? throw FabricError.NotFound("SourceDatabaseNotFound", $"The source database '{request.Route("db")}' does not exist.");
        var target = request.RequireBody()["id"]?.GetValue<string>();
        var serverId = ServerIdOf(db.Id);
        if (string.IsNullOrEmpty(target) || !target!.StartsWith(serverId + "/databases/", StringComparison.OrdinalIgnoreCase)
            || target.Substring(serverId.Length + "/databases/".Length).Contains('/'))
        {
            throw FabricError.BadRequest("InvalidMoveTargetResourceId", "The target id must name a database on the same server.");
        }
        if (Store.LinksOf(db.Id).Any() || Render(db)["properties"]!["failoverGroupId"] != null)
        {
            throw FabricError.Conflict("InvalidOperationForDatabaseInReplicationRelationship", $"Database '{db.Name}' cannot be renamed while it has a geo-replication link or belongs to a failover group.");
        }
        if (db.Properties["status"]?.GetValue<string>() != "Online" || db.Get<bool>("deleting"))
        {
            throw FabricError.Conflict("ConflictingDatabaseOperation", $"Database '{db.Name}' cannot be renamed while another operation runs on it (status '{db.Properties["status"]}').");
        }
        if (_state.Arm.Find(target) != null)
        {
            throw FabricError.BadRequest("DatabaseNameInUse", $"Database '{target.Substring(target.LastIndexOf('/') + 1)}' already exists on server '{serverId.Substring(serverId.LastIndexOf('/') + 1)}'.");
        }
        _state.Arm.Remove(db.Id);
        db.Id = serverId + "/databases/" + target.Substring(target.LastIndexOf('/') + 1);
        _state.Arm.Add(db);
        return FabricResult.Ok(null);
    }

    private FabricResult ListRestorePoints(FabricRequest request)
    {
        var db = RequireDatabase(request);
        var point = new JsonObject
        {
            ["id"] = db.Id + "/restorePoints/ContinuousRestorePoint",
            ["name"] = "ContinuousRestorePoint",
            ["location"] = db.Location,
            ["type"] = "Microsoft.Sql/servers/databases/restorePoints",
            ["properties"] = new JsonObject
            {
                ["restorePointType"] = "CONTINUOUS",
                ["earliestRestoreDate"] = Arm.Iso(db.Get<DateTimeOffset>("earliestRestoreDate")),
            },
        };
        return FabricResult.Ok(Arm.List(new[] { point }));
    }

    private FabricResult ListReplicationLinks(FabricRequest request)
    {
        var db = RequireDatabase(request);
        var links = Store.LinksOf(db.Id).Select(link =>
        {
            var isPrimary = string.Equals(link.PrimaryId, db.Id, StringComparison.OrdinalIgnoreCase);
            var partnerId = isPrimary ? link.SecondaryId : link.PrimaryId;
            var partner = _state.Arm.Find(partnerId);
            return (JsonNode)new JsonObject
            {
                ["id"] = db.Id + "/replicationLinks/" + link.LinkId,
                ["name"] = link.LinkId,
                ["type"] = "Microsoft.Sql/servers/databases/replicationLinks",
                ["properties"] = new JsonObject
                {
                    ["partnerServer"] = ServerIdOf(partnerId).Substring(ServerIdOf(partnerId).LastIndexOf('/') + 1),
                    ["partnerDatabase"] = partnerId.Substring(partnerId.LastIndexOf('/') + 1),
                    ["partnerLocation"] = partner?.Location,
                    ["role"] = isPrimary ? "Primary" : "Secondary",
                    ["partnerRole"] = isPrimary ? "Secondary" : "Primary",
                    ["replicationMode"] = "ASYNC",
                    ["startTime"] = Arm.Iso(link.StartTime),
                    ["percentComplete"] = Seeded(link) ? 100 : 0,
                    ["replicationState"] = Seeded(link) ? ReplicationState(partner?.Location) : "SEEDING",
                    ["isTerminationAllowed"] = true,
                    ["linkType"] = "GEO",
                },
            };
        });
        return FabricResult.Ok(Arm.List(links));
    }

    /// <summary>A link is seeding until its secondary is Online (it is being copied); then it replicates.</summary>
    private bool Seeded(GeoLink link) => _state.Arm.Find(link.SecondaryId)?.Properties["status"]?.GetValue<string>() == "Online";

    /// <summary>CATCH_UP while the partner keeps up; SUSPENDED while its region is down (the link is intact but
    /// not active), as after a forced failover until the old primary is back.</summary>
    private string ReplicationState(string? partnerRegion) => _state.Faults.IsRegionDown(partnerRegion) ? "SUSPENDED" : "CATCH_UP";

    private JsonObject RenderRecoverable(ArmResource db)
    {
        var serverId = ServerIdOf(db.Id);
        return new JsonObject
        {
            ["id"] = serverId + "/recoverableDatabases/" + db.Name,
            ["name"] = db.Name,
            ["type"] = "Microsoft.Sql/servers/recoverableDatabases",
            ["properties"] = new JsonObject
            {
                ["edition"] = db.Sku?["tier"]?.GetValue<string>(),
                ["serviceLevelObjective"] = db.Properties["currentServiceObjectiveName"]?.GetValue<string>(),
                ["lastAvailableBackupDate"] = Arm.Iso(db.Get<DateTimeOffset>("lastGeoBackup")),
                ["elasticPoolName"] = null,
            },
        };
    }

    /// <summary>Geo-backups exist for databases that reached Online; they stay listable during an outage.</summary>
    private System.Collections.Generic.IEnumerable<ArmResource> Recoverable(FabricRequest request) =>
        _state.Arm.Children(RequireServer(request).Id, DatabaseType).Where(d => d.Get<DateTimeOffset>("lastGeoBackup") != default
                                                                                  && d.Properties["status"]?.GetValue<string>() == "Online");

    private FabricResult ListRecoverable(FabricRequest request) =>
        FabricResult.Ok(Arm.List(Recoverable(request).Select(d => (JsonNode)RenderRecoverable(d))));

    private FabricResult GetRecoverable(FabricRequest request)
    {
        var db = Recoverable(request).FirstOrDefault(d => string.Equals(d.Name, request.Route("db"), StringComparison.OrdinalIgnoreCase))
                 ?? throw Arm.ResourceNotFound($"Microsoft.Sql/servers/{request.Route("server")}/recoverableDatabases/{request.Route("db")}", request.Route("rg"));
        return FabricResult.Ok(RenderRecoverable(db));
    }

    private JsonObject RenderGroup(FailoverGroup group, string viewerServerId)
    {
        var viewerIsPrimary = string.Equals(viewerServerId, group.PrimaryServerId, StringComparison.OrdinalIgnoreCase);
        var partnerId = viewerIsPrimary ? group.SecondaryServerId : group.PrimaryServerId;
        var viewer = _state.Arm.Find(viewerServerId);
        var partner = _state.Arm.Find(partnerId);
        return new JsonObject
        {
            ["id"] = viewerServerId + "/failoverGroups/" + group.Name,
            ["name"] = group.Name,
            ["type"] = "Microsoft.Sql/servers/failoverGroups",
            ["location"] = viewer?.Location,
            ["properties"] = new JsonObject
            {
                ["readWriteEndpoint"] = group.ReadWriteEndpoint.DeepClone(),
                ["readOnlyEndpoint"] = group.ReadOnlyEndpoint.DeepClone(),
                ["replicationRole"] = viewerIsPrimary ? "Primary" : "Secondary",
                ["replicationState"] = ReplicationState(partner?.Location),
                ["partnerServers"] = new JsonArray(new JsonObject
                {
                    ["id"] = partnerId,
                    ["location"] = partner?.Location,
                    ["replicationRole"] = viewerIsPrimary ? "Secondary" : "Primary",
                }),
                ["databases"] = new JsonArray(group.Databases.Select(n => (JsonNode?)JsonValue.Create(viewerServerId + "/databases/" + n)).ToArray()),
            },
        };
    }

    private FailoverGroup RequireGroup(FabricRequest request)
    {
        var server = RequireServer(request);
        return Store.FindGroup(server.Id, request.Route("fg"))
               ?? throw Arm.ResourceNotFound($"Microsoft.Sql/servers/{request.Route("server")}/failoverGroups/{request.Route("fg")}", request.Route("rg"));
    }

    private FabricResult ListFailoverGroups(FabricRequest request)
    {
        var server = RequireServer(request);
        return FabricResult.Ok(Arm.List(Store.FailoverGroups.Where(g => g.Involves(server.Id)).Select(g => (JsonNode)RenderGroup(g, server.Id))));
    }

    private FabricResult GetFailoverGroup(FabricRequest request) =>
        FabricResult.Ok(RenderGroup(RequireGroup(request), RequireServer(request).Id));

    private FabricResult PutFailoverGroup(FabricRequest request)
    {
        var server = RequireServer(request);
        var properties = request.RequireBody()["properties"] as JsonObject
                         ?? throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalid", "properties are required.");
        var partnerId = properties["partnerServers"]?.AsArray().FirstOrDefault()?["id"]?.GetValue<string>()
                        ?? throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidPartner", "partnerServers must name one partner server.");
        var partner = _state.Arm.Find(partnerId);
        if (partner == null || !string.Equals(partner.Type, ServerType, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.NotFound("ResourceNotFound", $"The partner server '{partnerId}' does not exist.");
        }
        var names = (properties["databases"] as JsonArray ?? new JsonArray()).Select(d => d!.GetValue<string>()).ToList();
        foreach (var dbId in names)
        {
            if (!dbId.StartsWith(server.Id + "/databases/", StringComparison.OrdinalIgnoreCase) || _state.Arm.Find(dbId) == null)
            {
                throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidDatabaseServer", $"Database '{dbId}' is not a database of server '{server.Name}'.");
            }
        }
        var existing = Store.FindGroup(server.Id, request.Route("fg"));
        if (existing != null && !string.Equals(existing.PrimaryServerId, server.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.BadRequest("FailoverGroupUpdateOrDeleteRequestOnSecondary", "A failover group can only be updated on its primary server.");
        }
        if (string.Equals(ArmStore.NormalizeRegion(partner.Location ?? string.Empty), ArmStore.NormalizeRegion(server.Location ?? string.Empty), StringComparison.Ordinal))
        {
            throw FabricError.BadRequest("InvalidFailoverGroupRegion", "Servers specified in a Failover Group need to reside in different regions to provide isolation.");
        }
        ValidateReadWriteEndpoint(properties["readWriteEndpoint"] as JsonObject);
        var taken = Store.FailoverGroups.FirstOrDefault(g => string.Equals(g.Name, request.Route("fg"), StringComparison.OrdinalIgnoreCase) && !g.Involves(server.Id));
        if (taken != null)
        {
            // The group's name is its listener's DNS name (<name>.database.windows.net): unique across Azure.
            throw FabricError.Conflict("FailoverGroupDnsRecordInUse", $"A duplicate DNS record exists for failover group '{taken.Name}'.");
        }
        var group = existing ?? new FailoverGroup { Name = request.Route("fg"), PrimaryServerId = server.Id, SecondaryServerId = partner.Id };
        group.ReadWriteEndpoint = (JsonObject)(properties["readWriteEndpoint"]?.DeepClone() ?? new JsonObject { ["failoverPolicy"] = "Manual" });
        group.ReadOnlyEndpoint = (JsonObject)(properties["readOnlyEndpoint"]?.DeepClone() ?? new JsonObject { ["failoverPolicy"] = "Disabled" });
        var newNames = names.Select(id => id.Substring(id.LastIndexOf('/') + 1)).ToList();
        var op = _state.Operations.Start(request, "Microsoft.Sql", server.Location, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                group.Databases = newNames;
                // Two creates of one name sent before either ended make one group: the later one updates it.
                var current = Store.FindGroup(server.Id, group.Name);
                if (current != null && current != group)
                {
                    current.Databases = newNames;
                    current.ReadWriteEndpoint = group.ReadWriteEndpoint;
                    current.ReadOnlyEndpoint = group.ReadOnlyEndpoint;
                }
                else if (current == null)
                {
                    Store.FailoverGroups.Add(group);
                }
                foreach (var name in newNames)
                {
                    EnsureSecondary(server.Id + "/databases/" + name, partner);
                }
            },
            result: () => RenderGroup(group, server.Id));
        return _state.Operations.Accepted(op, request);
    }

    /// <summary>The read-write endpoint rules FailoverGroups.json lists: a failover policy is required; Automatic needs a
    /// grace period of at least 60 minutes; Manual takes none.</summary>
    private static void ValidateReadWriteEndpoint(JsonObject? endpoint)
    {
        if (endpoint == null)
        {
            throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidReadWriteEndpoint", "The readWriteEndpoint field is required for create or update requests.");
        }
        var policy = endpoint["failoverPolicy"]?.GetValue<string>();
        var grace = endpoint["failoverWithDataLossGracePeriodMinutes"]?.GetValue<int>();
        if (policy == null)
        {
            throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidReadWriteFailoverPolicy", "The failoverPolicy field for the read-write endpoint is required for create or update requests.");
        }
        if (string.Equals(policy, "Automatic", StringComparison.OrdinalIgnoreCase))
        {
            if (grace == null)
            {
                throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidReadWriteEndpointFields",
                    "The property failoverWithDataLossGracePeriodMinutes must be provided when failover policy Automatic is selected for the read-write endpoint.");
            }
            if (grace < 60)
            {
                throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestLessThanMinimumGracePeriodValues",
                    "Grace period value for the failover group must be greater than or equal to the '60' minutes minimum grace period.");
            }
        }
        else if (grace != null)
        {
            throw FabricError.BadRequest("FailoverGroupCreateOrUpdateRequestInvalidReadWriteEndpointFieldsForManualPolicy",
                "Grace period value should not be provided when failover policy Manual is selected for the read-write endpoint. Please remove it from request.");
        }
    }

    /// <summary>Seeds the partner's replica (Online) and the geo link for a database joining a group.</summary>
    private void EnsureSecondary(string primaryId, ArmResource partner)
    {
        var primary = _state.Arm.Find(primaryId);
        if (primary == null)
        {
            return;
        }
        var secondaryId = partner.Id + "/databases/" + primary.Name;
        if (_state.Arm.Find(secondaryId) == null)
        {
            var replica = NewDatabase(partner, primary.Name, primary.Sku, _state.Now, "Online");
            replica.Internal["secondaryType"] = "Geo";
            _state.Arm.Add(replica);
        }
        if (!Store.LinksOf(primaryId).Any(l => string.Equals(l.SecondaryId, secondaryId, StringComparison.OrdinalIgnoreCase)))
        {
            Store.Links.Add(new GeoLink(primaryId, secondaryId, Guid.NewGuid().ToString()) { StartTime = _state.Now });
        }
    }

    /// <summary>
    /// Planned (failover) or forced (forceFailoverAllowDataLoss) failover, sent to the secondary server: on the
    /// primary it is refused (400 FailoverGroupFailoverRequestOnPrimary), and while one runs another answers 409
    /// FailoverGroupBusy. A planned failover synchronises with the primary first, so with the primary's region
    /// down it is accepted and then fails (PlannedFailoverTimedOut); a forced one does not wait for it.
    /// </summary>
    private FabricResult Failover(FabricRequest request, bool allowDataLoss)
    {
        var server = RequireServer(request);
        var group = RequireGroup(request);
        if (string.Equals(group.PrimaryServerId, server.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw FabricError.BadRequest("FailoverGroupFailoverRequestOnPrimary",
                $"The failover request should be initiated on the secondary server of failover group '{group.Name}'; '{server.Name}' is its primary.");
        }
        if (group.FailingOver)
        {
            throw FabricError.Conflict("FailoverGroupBusy", $"Failover group '{group.Name}' is busy with another operation.");
        }
        FabricError? failure = null;
        if (!allowDataLoss && _state.Faults.IsRegionDown(_state.Arm.Find(group.PrimaryServerId)?.Location))
        {
            failure = new FabricError(400, "PlannedFailoverTimedOut",
                $"The planned failover of '{group.Name}' timed out while trying to contact the partner management service. Use forceFailoverAllowDataLoss.");
        }
        group.FailingOver = true;
        var op = _state.Operations.Start(request, "Microsoft.Sql", server.Location, _state.Timings.OperationMs,
            onSucceeded: () =>
            {
                group.FailingOver = false;
                (group.PrimaryServerId, group.SecondaryServerId) = (group.SecondaryServerId, group.PrimaryServerId);
                SwapLinks(group);
            },
            onFailed: () => group.FailingOver = false,
            result: () => RenderGroup(group, server.Id),
            failure: failure);
        return _state.Operations.Accepted(op, request);
    }

    private void SwapLinks(FailoverGroup group)
    {
        foreach (var name in group.Databases)
        {
            var newPrimary = group.PrimaryServerId + "/databases/" + name;
            var newSecondary = group.SecondaryServerId + "/databases/" + name;
            Store.Links.RemoveAll(l => string.Equals(l.SecondaryId, newPrimary, StringComparison.OrdinalIgnoreCase));
            Store.Links.Add(new GeoLink(newPrimary, newSecondary, Guid.NewGuid().ToString()) { StartTime = _state.Now });
            _state.Arm.Find(newPrimary)?.Internal.Remove("secondaryType");
            var secondary = _state.Arm.Find(newSecondary);
            if (secondary != null)
            {
                secondary.Internal["secondaryType"] = "Geo";
            }
        }
    }
}
