using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Setup
{
    /// <summary>Seed 004 tier 3: a geo-replica of each database on a partner server in another region, and a failover
    /// group over them whose listener the app connects to.</summary>
    public sealed class SqlFailoverGroupSetupRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group of the primary server.</summary>
        public string ResourceGroupName { get; set; } = "";
        /// <summary>The primary server (where the databases are written now).</summary>
        public string ServerName { get; set; } = "";
        public IReadOnlyList<string> DatabaseNames { get; set; } = Array.Empty<string>();
        /// <summary>The server in the other region that holds the replicas.</summary>
        public string PartnerServerName { get; set; } = "";
        /// <summary>Resource group of the partner server. Default: <see cref="ResourceGroupName"/>.</summary>
        public string? PartnerResourceGroupName { get; set; }
        public string FailoverGroupName { get; set; } = "";
        /// <summary>Automatic (the service fails over after the grace period) or Manual.</summary>
        public string FailoverPolicy { get; set; } = "Automatic";
        /// <summary>With Automatic: how long an outage lasts before a failover that can lose data. At least one hour.</summary>
        public TimeSpan GracePeriod { get; set; } = TimeSpan.FromHours(1);
        /// <summary>How long one replica or the group may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);

        /// <summary>Filled by the pre-flight: the two regions and the DNS suffix of the servers' names (database.windows.net).</summary>
        public string PrimaryLocation { get; set; } = "";
        public string PartnerLocation { get; set; } = "";
        public string DnsSuffix { get; set; } = "";
        /// <summary>Filled by the pre-flight: whether the group existed before the run.</summary>
        public bool GroupExisted { get; set; }

        internal string PartnerGroup => PartnerResourceGroupName ?? ResourceGroupName;
    }

    /// <summary>
    /// Makes the tier 3 SQL setup true, however much of it exists: <c>replica:&lt;db&gt;</c> creates the geo-secondary
    /// of each database on the partner server that is not there yet and waits until it is Online and its link
    /// replicates; <c>failover-group</c> then creates the group, or updates it in place (policy, grace period, the
    /// databases added, none dropped). A second run finds everything as asked and changes nothing. Refused before any
    /// change: a partner in the same region, a partner or database that does not exist, a database on the partner
    /// that is not a replica of the primary's, and a group whose primary or partner is another server.
    /// </summary>
    public sealed class SqlFailoverGroupSetupRunbook : Runbook<SqlFailoverGroupSetupRequest, SqlFailoverGroupSetupResult>
    {
        private static readonly ArmApi Api = ArmApi.SqlServers;
        private const string ReplicaPrefix = "replica:";
        private const string GroupStep = "failover-group";

        public override string Name => "SqlFailoverGroupSetup";
        public override string Command => "Set-SqlFailoverGroup";

        protected internal override async Task PreflightAsync(RunContext run, SqlFailoverGroupSetupRequest request, CancellationToken ct)
        {
            Validate(request);
            var arm = run.Azure.Arm;
            var primary = await arm.GetAsync(ServerId(request, partner: false), Api, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("SqlServerNotFound", DrErrorCategory.ObjectNotFound,
                    $"SQL server '{request.ServerName}' was not found in resource group '{request.ResourceGroupName}'.", request.ServerName);
            var partner = await arm.GetAsync(ServerId(request, partner: true), Api, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("PartnerServerNotFound", DrErrorCategory.ObjectNotFound,
                    $"The partner server '{request.PartnerServerName}' was not found in resource group '{request.PartnerGroup}'. Create it in the secondary region first (for example with the template).", request.PartnerServerName);
            request.PrimaryLocation = Text(primary, "location") ?? "";
            request.PartnerLocation = Text(partner, "location") ?? "";
            if (SameRegion(request.PrimaryLocation, request.PartnerLocation))
                throw DrException.Precondition("PartnerInSameRegion", DrErrorCategory.InvalidArgument,
                    $"The partner server '{request.PartnerServerName}' is in {request.PartnerLocation}, the region of '{request.ServerName}'. A failover group needs servers in different regions; choose a partner in the paired region.", request.PartnerServerName);
            var fqdn = PropertyText(primary, "fullyQualifiedDomainName") ?? "";
            var dot = fqdn.IndexOf('.');
            request.DnsSuffix = dot > 0 ? fqdn.Substring(dot + 1) : "database.windows.net";

            var checks = new Preflight();
            foreach (var db in request.DatabaseNames)
                await checks.CheckAsync(() => CheckDatabaseAsync(arm, request, db, ct)).ConfigureAwait(false);
            await checks.CheckAsync(() => CheckGroupAsync(arm, request, ct)).ConfigureAwait(false);
            checks.ThrowIfAny("FailoverGroupSetupPreflightFailed", "failover group setup");
        }

        private static void Validate(SqlFailoverGroupSetupRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.ServerName, r.FailoverGroupName);
            ArmPath.Validate(r.SubscriptionId, r.PartnerGroup, r.PartnerServerName);
            if (r.DatabaseNames.Count == 0)
                throw DrException.Precondition("NoDatabaseNamed", DrErrorCategory.InvalidArgument, "Name at least one database for the failover group.", r.FailoverGroupName);
            foreach (var db in r.DatabaseNames) ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, db);
            if (string.Equals(r.ServerName, r.PartnerServerName, StringComparison.OrdinalIgnoreCase) && string.Equals(r.ResourceGroupName, r.PartnerGroup, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("PartnerIsPrimary", DrErrorCategory.InvalidArgument, $"'{r.ServerName}' cannot be its own partner.", r.PartnerServerName);
            // A failover group's name is its listener's host name: lower-case letters, digits and hyphens (as server names).
            if (!System.Text.RegularExpressions.Regex.IsMatch(r.FailoverGroupName, "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))
                throw DrException.Precondition("InvalidFailoverGroupName", DrErrorCategory.InvalidArgument,
                    $"'{r.FailoverGroupName}' is not a failover group name (1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen): it becomes the listener's host name.", r.FailoverGroupName);
            var automatic = string.Equals(r.FailoverPolicy, "Automatic", StringComparison.OrdinalIgnoreCase);
            if (!automatic && !string.Equals(r.FailoverPolicy, "Manual", StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("InvalidFailoverPolicy", DrErrorCategory.InvalidArgument, $"The failover policy is Automatic or Manual, not '{r.FailoverPolicy}'.", r.FailoverPolicy);
            r.FailoverPolicy = automatic ? "Automatic" : "Manual";
            if (automatic && (r.GracePeriod < TimeSpan.FromHours(1) || r.GracePeriod.Ticks % TimeSpan.TicksPerHour != 0))
                throw DrException.Precondition("InvalidGracePeriod", DrErrorCategory.InvalidArgument,
                    $"With the Automatic policy the grace period is a whole number of hours, at least one; {r.GracePeriod.TotalHours:0.##} h was given.", r.FailoverGroupName);
        }

        /// <summary>The database exists on the primary; on the partner it is absent or a geo-replica of it.</summary>
        private static async Task CheckDatabaseAsync(ArmRestClient arm, SqlFailoverGroupSetupRequest r, string db, CancellationToken ct)
        {
            if (await arm.GetAsync(DatabaseId(r, db, partner: false), Api, ct).ConfigureAwait(false) == null)
                throw DrException.Precondition("DatabaseNotFound", DrErrorCategory.ObjectNotFound,
                    $"Database '{db}' was not found on server '{r.ServerName}'.", db);
            if (await arm.GetAsync(DatabaseId(r, db, partner: true), Api, ct).ConfigureAwait(false) == null) return;
            if (!await IsReplicaAsync(arm, r, db, ct).ConfigureAwait(false))
                throw DrException.Precondition("PartnerDatabaseExists", DrErrorCategory.ResourceExists,
                    $"Server '{r.PartnerServerName}' already has a database '{db}' that is not a geo-replica of '{r.ServerName}/{db}'. Remove or rename it first; nothing was changed.", db);
        }

        /// <summary>An existing group must be primary on this server and partnered with the partner given.</summary>
        private static async Task CheckGroupAsync(ArmRestClient arm, SqlFailoverGroupSetupRequest r, CancellationToken ct)
        {
            var group = await arm.GetAsync(GroupId(r), Api, ct).ConfigureAwait(false);
            r.GroupExisted = group != null;
            if (group is not { } g) return;
            if (!string.Equals(PropertyText(g, "replicationRole"), "Primary", StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("FailoverGroupPrimaryElsewhere", DrErrorCategory.InvalidOperation,
                    $"'{r.ServerName}' is the secondary of failover group '{r.FailoverGroupName}' (it was failed over). Run the setup against its primary, '{r.PartnerServerName}', with this server as the partner.", r.FailoverGroupName);
            var partnerId = PartnerIds(g).FirstOrDefault();
            if (partnerId != null && !string.Equals(Last(partnerId), r.PartnerServerName, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("FailoverGroupPartnerMismatch", DrErrorCategory.InvalidArgument,
                    $"Failover group '{r.FailoverGroupName}' already pairs '{r.ServerName}' with '{Last(partnerId)}', not '{r.PartnerServerName}'.", r.FailoverGroupName);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, SqlFailoverGroupSetupRequest request)
        {
            var steps = request.DatabaseNames.Select(db => new RunbookStep(ReplicaPrefix + db,
                $"Make a geo-replica of {request.ServerName}/{db} on {request.PartnerServerName} in {request.PartnerLocation} (if it has none)",
                ctx => ReplicaAsync(ctx, request, db))).ToList();
            var grace = request.FailoverPolicy == "Automatic" ? $", grace period {request.GracePeriod.TotalHours:0} h" : "";
            steps.Add(new RunbookStep(GroupStep,
                $"Make failover group {request.FailoverGroupName} ({request.ServerName} -> {request.PartnerServerName}, {request.FailoverPolicy}{grace}) hold {string.Join(", ", request.DatabaseNames)}",
                ctx => GroupAsync(ctx, request), steps.Select(s => s.Id).ToArray()));
            return steps;
        }

        // ---------------------------------------------------------------- replicas

        private static async Task<StepResult> ReplicaAsync(StepContext ctx, SqlFailoverGroupSetupRequest r, string db)
        {
            var arm = ctx.Azure.Arm;
            var ct = ctx.CancellationToken;
            var replicaId = DatabaseId(r, db, partner: true);
            var operation = ctx.GetCheckpoint("operation");
            var existing = await arm.GetAsync(replicaId, Api, ct).ConfigureAwait(false);
            if (existing == null && operation == null)
            {
                if (!ctx.ShouldProcess($"{r.PartnerServerName}/{db}", ctx.Step.Plan)) return StepResult.Declined("Geo-replica not created.");
                var body = ArmText.Body(w =>
                {
                    w.WriteString("location", r.PartnerLocation);
                    w.WriteStartObject("properties");
                    w.WriteString("createMode", "Secondary");
                    w.WriteString("secondaryType", "Geo");
                    w.WriteString("sourceDatabaseId", DatabaseId(r, db, partner: false));
                    w.WriteEndObject();
                });
                var (_, handle) = await arm.StartAsync(RequestMethod.Put, replicaId, Api, body, ct).ConfigureAwait(false);
                ctx.RecordChange($"geo-replica {r.PartnerServerName}/{db} started");
                ctx.Publish(new SetupStepOutcome { Created = true });
                if (handle != null)
                {
                    ctx.Checkpoint("operation", handle.Serialize());
                    await arm.WaitAsync(handle, r.Timeout, s => ctx.Progress("Seeding the replica: " + s), ct).ConfigureAwait(false);
                }
            }
            else if (existing == null)
            {
                // Interrupted while the replica was being made: follow the operation already started.
                await arm.WaitAsync(LroHandle.Parse(operation!), r.Timeout, s => ctx.Progress("Seeding the replica: " + s), ct).ConfigureAwait(false);
            }
            else if (!await IsReplicaAsync(arm, r, db, ct).ConfigureAwait(false))
            {
                throw new DrException("PartnerDatabaseExists", DrErrorCategory.ResourceExists,
                    $"Server '{r.PartnerServerName}' has a database '{db}' that is not a geo-replica of '{r.ServerName}/{db}'.", db);
            }
            await WaitReplicatingAsync(ctx, r, db).ConfigureAwait(false);
            return existing != null && operation == null
                ? StepResult.AlreadyDone($"{r.PartnerServerName}/{db} is a geo-replica of {r.ServerName}/{db} and replicates.")
                : StepResult.Done($"{r.PartnerServerName}/{db} is a geo-replica of {r.ServerName}/{db} and replicates.");
        }

        /// <summary>Usable means replicating: the replica is Online and the primary's link to it is past seeding.</summary>
        private static Task<bool> WaitReplicatingAsync(StepContext ctx, SqlFailoverGroupSetupRequest r, string db) =>
            ctx.WaitAsync($"Waiting for {r.PartnerServerName}/{db} to replicate", r.Timeout, ctx.Azure.Environment.DefaultPollInterval, async ct =>
            {
                var link = await LinkAsync(ctx.Azure.Arm, r, db, ct).ConfigureAwait(false);
                var state = link is { } l ? PropertyText(l, "replicationState") : null;
                return state is "CATCH_UP" or "SUSPENDED"
                    ? WaitProbe<bool>.Done(true)
                    : WaitProbe<bool>.Pending("replication " + (state ?? "not linked yet"));
            }, elapsed => new DrException("ReplicaNotReplicating", DrErrorCategory.OperationTimeout,
                $"The geo-replica {r.PartnerServerName}/{db} did not start replicating within {elapsed.TotalMinutes:0} min. Run again (-Resume) to keep waiting.", db));

        private static async Task<bool> IsReplicaAsync(ArmRestClient arm, SqlFailoverGroupSetupRequest r, string db, CancellationToken ct) =>
            await LinkAsync(arm, r, db, ct).ConfigureAwait(false) != null;

        /// <summary>The primary database's geo link to its namesake on the partner server, or null.</summary>
        private static async Task<JsonElement?> LinkAsync(ArmRestClient arm, SqlFailoverGroupSetupRequest r, string db, CancellationToken ct)
        {
            var links = await arm.GetAsync(DatabaseId(r, db, partner: false) + "/replicationLinks", Api, ct).ConfigureAwait(false);
            if (links is not { } l || !l.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array) return null;
            foreach (var link in value.EnumerateArray())
                if (string.Equals(PropertyText(link, "partnerServer"), r.PartnerServerName, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(PropertyText(link, "partnerDatabase"), db, StringComparison.OrdinalIgnoreCase))
                    return link;
            return null;
        }

        // ---------------------------------------------------------------- failover group

        private static async Task<StepResult> GroupAsync(StepContext ctx, SqlFailoverGroupSetupRequest r)
        {
            var arm = ctx.Azure.Arm;
            var ct = ctx.CancellationToken;
            var groupId = GroupId(r);
            var operation = ctx.GetCheckpoint("operation");
            if (operation != null)
                await arm.WaitAsync(LroHandle.Parse(operation), r.Timeout, s => ctx.Progress("Configuring the group: " + s), ct).ConfigureAwait(false);
            var existing = await arm.GetAsync(groupId, Api, ct).ConfigureAwait(false);
            var held = existing is { } e ? Databases(e) : new List<string>();
            var missing = r.DatabaseNames.Where(d => !held.Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();
            var asked = existing is { } group && missing.Count == 0 && SamePolicy(group, r);
            if (asked && operation == null)
                return StepResult.AlreadyDone($"{r.FailoverGroupName} holds {string.Join(", ", r.DatabaseNames)} with the {r.FailoverPolicy} policy.");
            if (!asked)
            {
                if (!ctx.ShouldProcess(r.FailoverGroupName, ctx.Step.Plan)) return StepResult.Declined("Failover group not configured.");
                // Databases someone else added stay in the group: the setup adds, it never drops.
                var all = held.Concat(missing).ToList();
                var body = ArmText.Body(w =>
                {
                    w.WriteStartObject("properties");
                    w.WriteStartObject("readWriteEndpoint");
                    w.WriteString("failoverPolicy", r.FailoverPolicy);
                    if (r.FailoverPolicy == "Automatic") w.WriteNumber("failoverWithDataLossGracePeriodMinutes", (int)r.GracePeriod.TotalMinutes);
                    w.WriteEndObject();
                    w.WriteStartObject("readOnlyEndpoint");
                    w.WriteString("failoverPolicy", "Disabled");
                    w.WriteEndObject();
                    w.WriteStartArray("partnerServers");
                    w.WriteStartObject();
                    w.WriteString("id", ServerId(r, partner: true));
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteStartArray("databases");
                    foreach (var db in all) w.WriteStringValue(DatabaseId(r, db, partner: false));
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                var (_, handle) = await arm.StartAsync(RequestMethod.Put, groupId, Api, body, ct).ConfigureAwait(false);
                ctx.RecordChange(existing == null ? $"failover group {r.FailoverGroupName} created" : $"failover group {r.FailoverGroupName} updated");
                ctx.Publish(new SetupStepOutcome { Created = existing == null });
                if (handle != null)
                {
                    ctx.Checkpoint("operation", handle.Serialize());
                    await arm.WaitAsync(handle, r.Timeout, s => ctx.Progress("Configuring the group: " + s), ct).ConfigureAwait(false);
                }
            }
            var after = await arm.GetAsync(groupId, Api, ct).ConfigureAwait(false)
                ?? throw new DrException("FailoverGroupNotFound", DrErrorCategory.InvalidOperation, $"Failover group '{r.FailoverGroupName}' is missing after it was configured.", r.FailoverGroupName);
            var notHeld = r.DatabaseNames.Where(d => !Databases(after).Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();
            if (notHeld.Count > 0 || !SamePolicy(after, r))
                throw new DrException("FailoverGroupNotConfigured", DrErrorCategory.InvalidOperation,
                    $"Failover group '{r.FailoverGroupName}' does not hold {string.Join(", ", notHeld)} or has another policy after it was configured.", r.FailoverGroupName);
            return StepResult.Done($"{r.FailoverGroupName} holds {string.Join(", ", r.DatabaseNames)}; connect through {ListenerHost(r)}.");
        }

        private static bool SamePolicy(JsonElement group, SqlFailoverGroupSetupRequest r)
        {
            if (!group.TryGetProperty("properties", out var p) || !p.TryGetProperty("readWriteEndpoint", out var rw)) return false;
            if (!string.Equals(Text(rw, "failoverPolicy"), r.FailoverPolicy, StringComparison.OrdinalIgnoreCase)) return false;
            if (r.FailoverPolicy != "Automatic") return true;
            return rw.TryGetProperty("failoverWithDataLossGracePeriodMinutes", out var m) && m.ValueKind == JsonValueKind.Number && m.GetInt32() == (int)r.GracePeriod.TotalMinutes;
        }

        private static List<string> Databases(JsonElement group) =>
            group.TryGetProperty("properties", out var p) && p.TryGetProperty("databases", out var d) && d.ValueKind == JsonValueKind.Array
                ? d.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => Last(x.GetString()!)).ToList()
                : new List<string>();

        private static IEnumerable<string> PartnerIds(JsonElement group) =>
            group.TryGetProperty("properties", out var p) && p.TryGetProperty("partnerServers", out var s) && s.ValueKind == JsonValueKind.Array
                ? s.EnumerateArray().Select(x => Text(x, "id")).Where(x => x != null).Select(x => x!)
                : Enumerable.Empty<string>();

        // ---------------------------------------------------------------- results

        protected internal override IEnumerable<SqlFailoverGroupSetupResult> Results(SqlFailoverGroupSetupRequest request, RunReport report)
        {
            var failure = SetupRuns.Failure(report);
            var group = report.Steps.FirstOrDefault(s => s.StepId == GroupStep);
            yield return new SqlFailoverGroupSetupResult
            {
                FailoverGroupName = request.FailoverGroupName,
                Action = SetupRuns.ActionOf(report, created: group?.Published<SetupStepOutcome>()?.Created == true),
                ServerName = request.ServerName,
                PartnerServerName = request.PartnerServerName,
                PrimaryLocation = request.PrimaryLocation,
                PartnerLocation = request.PartnerLocation,
                DatabaseName = request.DatabaseNames.ToArray(),
                FailoverPolicy = request.FailoverPolicy,
                GracePeriod = request.FailoverPolicy == "Automatic" ? request.GracePeriod : (TimeSpan?)null,
                ListenerHostName = ListenerHost(request),
                ReadOnlyListenerHostName = request.FailoverGroupName + ".secondary." + request.DnsSuffix,
                ListenerConnectionString = ListenerConnectionString(request),
                ReplicasCreated = report.Steps.Where(s => s.StepId.StartsWith(ReplicaPrefix, StringComparison.Ordinal) && s.Changes.Count > 0)
                    .Select(s => request.PartnerServerName + "/" + s.StepId.Substring(ReplicaPrefix.Length)).ToArray(),
                Duration = SetupRuns.Duration(report),
                ErrorId = failure?.ErrorId,
                Error = failure?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        private static string ListenerHost(SqlFailoverGroupSetupRequest r) => r.FailoverGroupName + "." + r.DnsSuffix;

        /// <summary>The connection string the app should use: the listener, the (first) database, encryption on. No
        /// credentials: they stay where the app keeps them (Key Vault).</summary>
        public static string ListenerConnectionString(SqlFailoverGroupSetupRequest r) => string.Format(CultureInfo.InvariantCulture,
            "Server=tcp:{0},1433;Initial Catalog={1};Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;",
            ListenerHost(r), r.DatabaseNames.FirstOrDefault() ?? "");

        // ---------------------------------------------------------------- ids

        private static string ServerId(SqlFailoverGroupSetupRequest r, bool partner) =>
            ArmPath.Resource(r.SubscriptionId, partner ? r.PartnerGroup : r.ResourceGroupName, "Microsoft.Sql/servers", partner ? r.PartnerServerName : r.ServerName);

        private static string DatabaseId(SqlFailoverGroupSetupRequest r, string db, bool partner) =>
            ArmPath.Resource(r.SubscriptionId, partner ? r.PartnerGroup : r.ResourceGroupName, "Microsoft.Sql/servers/databases", partner ? r.PartnerServerName : r.ServerName, db);

        private static string GroupId(SqlFailoverGroupSetupRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers/failoverGroups", r.ServerName, r.FailoverGroupName);

        private static string Last(string id) => Uri.UnescapeDataString(id.Substring(id.LastIndexOf('/') + 1));
    }
}
