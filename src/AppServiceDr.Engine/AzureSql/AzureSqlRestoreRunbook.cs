using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;

namespace AppServiceDr.Engine.AzureSql
{
    /// <summary>What to restore in Azure SQL, and where to.</summary>
    public sealed class AzureSqlRestoreRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string ServerName { get; set; } = "";
        public string DatabaseName { get; set; } = "";
        /// <summary>Point-in-time restore to this moment (UTC). Null with <see cref="FromGeoBackup"/>.</summary>
        public DateTimeOffset? PointInTime { get; set; }
        /// <summary>Restore the latest geo-replicated backup (recoverableDatabases), possibly into another region.</summary>
        public bool FromGeoBackup { get; set; }
        /// <summary>When the data was lost (for example the accidental delete), to report the data-loss window against.</summary>
        public DateTimeOffset? DeletionTime { get; set; }
        public string? TargetResourceGroupName { get; set; }
        public string? TargetServerName { get; set; }
        /// <summary>Default: &lt;db&gt;-restored-&lt;yyyyMMddHHmm&gt;.</summary>
        public string? TargetDatabaseName { get; set; }
        /// <summary>After the restore is Online: rename the original to &lt;db&gt;-old-&lt;timestamp&gt; and the restored one to the original name.</summary>
        public bool Swap { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);
        /// <summary>Restart this app after the swap and wait until it is healthy.</summary>
        public WebAppTarget? RestartApp { get; set; }
        /// <summary>Filled by the pre-flight: the region of the target server.</summary>
        public string TargetLocation { get; set; } = "";
        /// <summary>Filled by the pre-flight: the moment the restored data is from (the point in time as sent, or the geo-backup's date).</summary>
        public DateTimeOffset DataAsOf { get; set; }
        /// <summary>Filled by the pre-flight when swapping: the name the original is kept under.</summary>
        public string? OldDatabaseName { get; set; }
        /// <summary>Run against the restored database (Entra ID token of the environment's credential) once it is
        /// Online; it must return a first column that is not NULL, 0 or false, else the run stops before any swap.</summary>
        public string? VerifyQuery { get; set; }
        /// <summary>Encrypt the whole verification connection, validating the server's certificate. On by default
        /// (Azure SQL requires it); off, SqlClient still encrypts the login.</summary>
        public bool Encrypt { get; set; } = true;
        /// <summary>For the verification connection: a certificate file the server must present exactly, for a server
        /// whose certificate the system does not trust (see <see cref="Sql.SqlServerConnectionInfo.ServerCertificate"/>).</summary>
        public string? ServerCertificate { get; set; }
        /// <summary>Tags the restored database is created with (a drill's copy carries the drill tags); none when null.</summary>
        public IDictionary<string, string>? Tags { get; set; }
    }

    /// <summary>
    /// Seed 004 scenario 1 (and the database part of scenario 3) as a runbook: restore an Azure SQL database
    /// to a point in time or from its latest geo-backup under a new name, wait until it is Online, optionally
    /// run a verify query against it, swap it in by renaming, and restart the app. Everything that can be checked
    /// is checked before any change. Steps: <c>restore</c>, <c>verify</c>, <c>swap</c>, <c>restart:&lt;app&gt;</c>.
    /// </summary>
    public sealed class AzureSqlRestoreRunbook : Runbook<AzureSqlRestoreRequest, AzureSqlRestoreResult>
    {
        private const string RestoreStepId = "restore";

        public override string Name => "AzureSqlRestore";
        public override string Command => "Restore-AppServiceDatabase";

        /// <summary>What the restore step publishes.</summary>
        internal sealed class RestoreOutcome
        {
            public string RestoredDatabase { get; set; } = "";
            public TimeSpan TimeToOnline { get; set; }
            public bool Restored { get; set; }
        }

        /// <summary>What the swap step publishes.</summary>
        private sealed class SwapOutcome
        {
            public string? OldDatabase { get; set; }
        }

        /// <summary>What the verify step publishes.</summary>
        internal sealed class VerifyOutcome
        {
            public string Result { get; set; } = "";
        }

        /// <summary>Validates the request against the service (source exists, point in time in range, no
        /// geo-replication when swapping, target name free) and completes it with the target and the restore point.</summary>
        protected internal override async Task PreflightAsync(RunContext run, AzureSqlRestoreRequest request, CancellationToken ct)
        {
            var environment = run.Environment ?? throw new InvalidOperationException("An Azure SQL restore needs an Azure environment.");
            var now = run.Now;
            Validate(request, environment);
            var azure = run.Azure;
            var source = Db(request.SubscriptionId, request.ResourceGroupName, request.ServerName, request.DatabaseName);
            var targetRg = request.TargetResourceGroupName ??= request.ResourceGroupName;
            var targetServer = request.TargetServerName ??= request.ServerName;
            var target = request.TargetDatabaseName ??= request.DatabaseName + "-restored-" + now.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
            var targetId = Db(request.SubscriptionId, targetRg, targetServer, target);
            var serverPath = ArmPath.Resource(request.SubscriptionId, targetRg, "Microsoft.Sql/servers", targetServer);

            var server = await azure.Arm.GetAsync(serverPath, ArmApi.SqlServers, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("TargetServerNotFound", DrErrorCategory.ObjectNotFound, $"Server '{targetServer}' was not found in resource group '{targetRg}'.", targetServer);
            request.TargetLocation = server.GetProperty("location").GetString()!;
            if (await azure.Arm.GetAsync(targetId, ArmApi.SqlServers, ct).ConfigureAwait(false) != null)
                throw DrException.Precondition("TargetDatabaseExists", DrErrorCategory.ResourceExists,
                    $"Database '{target}' already exists on server '{targetServer}'. Choose another -TargetDatabaseName, or resume the run that created it.", target);

            if (request.FromGeoBackup)
            {
                var recoverable = await azure.Arm.GetAsync(RecoverableId(request), ArmApi.SqlServers, ct).ConfigureAwait(false)
                    ?? throw DrException.Precondition("GeoBackupNotFound", DrErrorCategory.ObjectNotFound,
                        $"No geo-backup of '{request.DatabaseName}' is listed for server '{request.ServerName}' (recoverableDatabases).", request.DatabaseName);
                request.DataAsOf = Date(recoverable, "lastAvailableBackupDate")
                    ?? throw DrException.Precondition("GeoBackupUndated", DrErrorCategory.InvalidData, $"The geo-backup of '{request.DatabaseName}' has no lastAvailableBackupDate.", request.DatabaseName);
            }
            else
            {
                var original = await azure.Arm.GetAsync(source, ArmApi.SqlServers, ct).ConfigureAwait(false)
                    ?? throw DrException.Precondition("DatabaseNotFound", DrErrorCategory.ObjectNotFound, $"Database '{request.DatabaseName}' was not found on server '{request.ServerName}'.", request.DatabaseName);
                var earliest = Date(original, "earliestRestoreDate");
                // Checked as it will be sent, so the pre-flight and the service judge the same instant; journaled so,
                // so a resumed run sends it again unchanged.
                var point = ArmText.AsSent(request.PointInTime!.Value);
                if (point > now)
                    throw DrException.Precondition("PointInTimeInFuture", DrErrorCategory.InvalidArgument, $"The point in time {ArmText.Iso(point)} is in the future (now is {ArmText.Iso(now)}).", point);
                if (earliest != null && point < earliest)
                    throw DrException.Precondition("PointInTimeTooEarly", DrErrorCategory.InvalidArgument,
                        $"The point in time {ArmText.Iso(point)} is before the earliest restore point of '{request.DatabaseName}', {ArmText.Iso(earliest.Value)}. Choose a time in [{ArmText.Iso(earliest.Value)}, {ArmText.Iso(now)}].", point);
                request.PointInTime = point;
                request.DataAsOf = point;
            }
            if (request.Swap)
            {
                await RefuseSwapUnderReplicationAsync(azure, request, source, ct).ConfigureAwait(false);
                request.OldDatabaseName = request.DatabaseName + "-old-" + now.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
            }
            if (request.RestartApp != null)
            {
                request.RestartApp.Validate();
                await new WebApps(azure).GetHealthUrlAsync(request.RestartApp, ct).ConfigureAwait(false);
            }
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, AzureSqlRestoreRequest request)
        {
            var target = request.TargetDatabaseName!;
            var evidence = request.FromGeoBackup
                ? $"latest geo-backup of {request.DatabaseName} taken {ArmText.Iso(request.DataAsOf)}"
                : $"point in time {ArmText.Iso(request.DataAsOf)}";
            var steps = new List<RunbookStep>
            {
                RestoreStep(RestoreStepId, request, $"Restore {request.DatabaseName} ({evidence}) as {target} on {request.TargetServerName} and wait until it is Online"),
            };
            if (request.VerifyQuery != null)
            {
                var serverId = ArmPath.Resource(request.SubscriptionId, request.TargetResourceGroupName!, "Microsoft.Sql/servers", request.TargetServerName!);
                steps.Add(new RunbookStep("verify", $"Run the verify query on {target}: {request.VerifyQuery}",
                    ctx => AzureSqlVerification.RunAsync(request, serverId, target, ctx), RestoreStepId));
            }
            if (request.Swap)
                steps.Add(new RunbookStep("swap", $"Rename {request.DatabaseName} to {request.OldDatabaseName}, then {target} to {request.DatabaseName}",
                    ctx => SwapAsync(request, request.TargetServerName!, target, request.OldDatabaseName!, ctx), steps.Last().Id));
            if (request.RestartApp != null)
                steps.Add(WebAppRestartStep.Create(request.RestartApp, new[] { steps.Last().Id }, onlyAfterChange: false));
            return steps;
        }

        /// <summary>The restore step: create the copy (point in time, or geo-backup) and wait until it is Online. Also
        /// the geo-restore step of a region rebuild, whose target server another step creates first.</summary>
        internal static RunbookStep RestoreStep(string id, AzureSqlRestoreRequest request, string plan, Func<StepContext, Task>? before = null, params string[] dependsOn)
        {
            var source = Db(request.SubscriptionId, request.ResourceGroupName, request.ServerName, request.DatabaseName);
            var targetId = Db(request.SubscriptionId, request.TargetResourceGroupName!, request.TargetServerName!, request.TargetDatabaseName!);
            var createBody = ArmText.Body(w =>
            {
                w.WriteString("location", request.TargetLocation);
                if (request.Tags != null)
                {
                    w.WriteStartObject("tags");
                    foreach (var tag in request.Tags) w.WriteString(tag.Key, tag.Value);
                    w.WriteEndObject();
                }
                w.WriteStartObject("properties");
                if (request.FromGeoBackup)
                {
                    w.WriteString("createMode", "Recovery");
                    w.WriteString("recoverableDatabaseId", RecoverableId(request));
                }
                else
                {
                    w.WriteString("createMode", "PointInTimeRestore");
                    w.WriteString("sourceDatabaseId", source);
                    w.WriteString("restorePointInTime", ArmText.Iso(request.PointInTime!.Value));
                }
                w.WriteEndObject();
            });
            return new RunbookStep(id, plan, async ctx =>
            {
                if (before != null) await before(ctx).ConfigureAwait(false);
                return await RestoreAsync(request, targetId, createBody, ctx).ConfigureAwait(false);
            }, dependsOn);
        }

        /// <summary>The run's result, read from its report.</summary>
        protected internal override IEnumerable<AzureSqlRestoreResult> Results(AzureSqlRestoreRequest request, RunReport report)
        {
            var restore = report.Steps.FirstOrDefault(s => s.StepId == RestoreStepId);
            var restored = restore?.Published<RestoreOutcome>();
            var swap = report.Steps.FirstOrDefault(s => s.StepId == "swap");
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            var swapped = swap?.Outcome == StepOutcome.Succeeded || swap?.Outcome == StepOutcome.AlreadyDone;
            var action = failed != null ? AzureSqlRestoreAction.Failed
                : restore?.Outcome == StepOutcome.AlreadyDone ? AzureSqlRestoreAction.AlreadyRestored
                : restore?.Outcome == StepOutcome.Succeeded ? AzureSqlRestoreAction.Restored
                : AzureSqlRestoreAction.Skipped;
            yield return new AzureSqlRestoreResult
            {
                ServerName = request.ServerName,
                DatabaseName = request.DatabaseName,
                RestoredDatabaseName = request.TargetDatabaseName ?? "",
                TargetServerName = request.TargetServerName ?? request.ServerName,
                Source = request.FromGeoBackup ? AzureSqlRestoreSource.GeoBackup : AzureSqlRestoreSource.PointInTime,
                Action = action,
                RestorePoint = request.DataAsOf,
                Swapped = swapped,
                OldDatabaseName = swapped ? swap!.Published<SwapOutcome>()?.OldDatabase : null,
                Verification = report.Steps.FirstOrDefault(s => s.StepId == "verify")?.Published<VerifyOutcome>()?.Result,
                TimeToOnline = restored?.TimeToOnline,
                DataLossWindow = restore?.DataLossWindow,
                TimeToHealthy = WebAppRestartStep.Outcome(report)?.TimeToHealthy,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        internal static string RecoverableId(AzureSqlRestoreRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers/recoverableDatabases", r.ServerName, r.DatabaseName);

        /// <summary>A token handed in is the Resource Manager one; a database refuses it, so a run would restore and
        /// then fail at the check. Say so before anything starts.</summary>
        internal static void RequireDatabaseToken(DrEnvironment environment, string database)
        {
            if (environment.Credential.Kind == DrCredentialKind.AccessToken && !environment.Credential.HasDatabaseAccessToken)
                throw DrException.Precondition("VerifyQueryNeedsDatabaseToken", DrErrorCategory.InvalidArgument,
                    "-VerifyQuery connects to the database, which does not accept the Resource Manager token given with -AccessToken. Give a database token too: -DatabaseAccessToken (Get-AzAccessToken -ResourceUrl "
                    + environment.SqlDatabaseAudience + " -AsSecureString).Token.", database);
        }

        private static void Validate(AzureSqlRestoreRequest r, DrEnvironment environment)
        {
            if (r.VerifyQuery != null) RequireDatabaseToken(environment, r.DatabaseName);
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.ServerName, r.DatabaseName);
            if (r.FromGeoBackup == r.PointInTime.HasValue)
                throw DrException.Precondition("RestoreSourceAmbiguous", DrErrorCategory.InvalidArgument, "Give either -PointInTime or -FromGeoBackup.", r.DatabaseName);
            if (r.Swap && r.FromGeoBackup && (r.TargetServerName != null && !string.Equals(r.TargetServerName, r.ServerName, StringComparison.OrdinalIgnoreCase)))
                throw DrException.Precondition("SwapAcrossServers", DrErrorCategory.InvalidArgument, "-Swap renames within one server; a restore to another server cannot be swapped in.", r.DatabaseName);
            if (r.VerifyQuery != null && r.VerifyQuery.Trim().Length == 0)
                throw DrException.Precondition("VerifyQueryEmpty", DrErrorCategory.InvalidArgument, "-VerifyQuery is empty; give a query whose first column says whether the restored copy is good.", r.DatabaseName);
            if (r.TargetDatabaseName != null) ArmPath.Validate(r.SubscriptionId, r.TargetResourceGroupName ?? r.ResourceGroupName, r.TargetDatabaseName);
            if (r.VerifyQuery != null) Sql.SqlConnectionFactory.CheckServerCertificate(r.ServerCertificate, r.TargetServerName ?? r.ServerName);
        }

        /// <summary>A rename fails for a database in a geo-replication link or a failover group: refuse up front.</summary>
        private static async Task RefuseSwapUnderReplicationAsync(AzureConnection azure, AzureSqlRestoreRequest request, string source, CancellationToken ct)
        {
            var original = await azure.Arm.GetAsync(source, ArmApi.SqlServers, ct).ConfigureAwait(false);
            if (original is { } o && o.TryGetProperty("properties", out var p) && p.TryGetProperty("failoverGroupId", out var fg) && fg.ValueKind == JsonValueKind.String)
                throw DrException.Precondition("SwapUnderFailoverGroup", DrErrorCategory.InvalidOperation,
                    $"'{request.DatabaseName}' is in failover group {fg.GetString()!.Split('/').Last()}; it cannot be renamed. Remove it from the group first, or restore without -Swap and repoint the app.", request.DatabaseName);
            var links = await azure.Arm.GetAsync(source + "/replicationLinks", ArmApi.SqlServers, ct).ConfigureAwait(false);
            if (links is { } l && l.TryGetProperty("value", out var v) && v.GetArrayLength() > 0)
                throw DrException.Precondition("SwapUnderGeoReplication", DrErrorCategory.InvalidOperation,
                    $"'{request.DatabaseName}' has {v.GetArrayLength()} geo-replication link(s); it cannot be renamed while they exist. Remove the links first, or restore without -Swap and repoint the app.", request.DatabaseName);
        }

        private static async Task<StepResult> RestoreAsync(AzureSqlRestoreRequest request, string targetId, string createBody, StepContext ctx)
        {
            var azure = ctx.Azure;
            var dataAsOf = request.DataAsOf;
            var ct = ctx.CancellationToken;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var existing = await azure.Arm.GetAsync(targetId, ArmApi.SqlServers, ct).ConfigureAwait(false);
            var operation = ctx.GetCheckpoint("operation");
            if (existing == null && operation == null)
            {
                if (!ctx.ShouldProcess(Last(targetId), ctx.Step.Plan)) return StepResult.Declined("Not restored.");
                var (_, handle) = await azure.Arm.StartAsync(RequestMethod.Put, targetId, ArmApi.SqlServers, createBody, ct).ConfigureAwait(false);
                ctx.RecordChange($"restore of {Last(targetId)} started");
                if (handle != null)
                {
                    ctx.Checkpoint("operation", handle.Serialize());
                    await azure.Arm.WaitAsync(handle, request.Timeout, s => ctx.Progress("Restoring: " + s), ct).ConfigureAwait(false);
                }
            }
            else if (existing == null)
            {
                // Interrupted while the service was restoring: follow the operation it already started.
                await azure.Arm.WaitAsync(LroHandle.Parse(operation!), request.Timeout, s => ctx.Progress("Restoring: " + s), ct).ConfigureAwait(false);
            }
            await WaitOnlineAsync(azure, targetId, request.Timeout, ctx).ConfigureAwait(false);
            var already = existing != null && operation == null;
            ctx.Publish(new RestoreOutcome { RestoredDatabase = Last(targetId), TimeToOnline = clock.Elapsed, Restored = !already });
            var lossEnd = request.DeletionTime ?? DateTimeOffset.UtcNow;
            var window = lossEnd - dataAsOf;
            if (window < TimeSpan.Zero) window = TimeSpan.Zero;
            ctx.ReportDataLoss(window, request.DeletionTime != null
                ? $"changes between {ArmText.Iso(dataAsOf)} and the deletion at {ArmText.Iso(request.DeletionTime.Value)} are not in the restored copy"
                : $"the restored copy holds data as of {ArmText.Iso(dataAsOf)}");
            return already
                ? StepResult.AlreadyDone($"{Last(targetId)} is Online.")
                : StepResult.Done($"{Last(targetId)} is Online.");
        }

        /// <summary>Done means usable: the database reports status Online.</summary>
        private static Task WaitOnlineAsync(AzureConnection azure, string databaseId, TimeSpan timeout, StepContext ctx)
        {
            string? status = null;
            return ctx.WaitAsync($"Waiting for {Last(databaseId)} to be Online", timeout, azure.Environment.DefaultPollInterval,
                async ct =>
                {
                    var db = await azure.Arm.GetAsync(databaseId, ArmApi.SqlServers, ct).ConfigureAwait(false);
                    status = db is { } d ? ArmJson.PropertyText(d, "status") : null;
                    return string.Equals(status, "Online", StringComparison.OrdinalIgnoreCase)
                        ? WaitProbe<bool>.Done(true)
                        : WaitProbe<bool>.Pending(status ?? "not visible yet");
                },
                elapsed => new DrException("DatabaseNotOnline", DrErrorCategory.OperationTimeout,
                    $"{Last(databaseId)} was not Online after {timeout.TotalMinutes:0} min (status: {status ?? "missing"}).", Last(databaseId)));
        }

        /// <summary>Two renames. Each is decided from what exists now, so a run interrupted between them
        /// finishes the second without repeating the first.</summary>
        private static async Task<StepResult> SwapAsync(AzureSqlRestoreRequest request, string server, string restored, string oldName, StepContext ctx)
        {
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            string Id(string db) => Db(request.SubscriptionId, request.ResourceGroupName, server, db);
            var originalExists = await azure.Arm.GetAsync(Id(request.DatabaseName), ArmApi.SqlServers, ct).ConfigureAwait(false) != null;
            var restoredExists = await azure.Arm.GetAsync(Id(restored), ArmApi.SqlServers, ct).ConfigureAwait(false) != null;
            var oldExists = await azure.Arm.GetAsync(Id(oldName), ArmApi.SqlServers, ct).ConfigureAwait(false) != null;
            if (originalExists && oldExists && !restoredExists)
            {
                ctx.Publish(new SwapOutcome { OldDatabase = oldName });
                return StepResult.AlreadyDone($"{request.DatabaseName} is the restored copy; the original is {oldName}.");
            }
            // Under -WhatIf the restore was only planned, so the copy is not there yet: plan the swap all the same.
            if (!restoredExists && !ctx.WhatIf)
                throw new DrException("RestoredDatabaseMissing", DrErrorCategory.ObjectNotFound, $"{restored} does not exist; nothing to swap in.", restored);
            // An original renamed aside by an earlier attempt is kept as it is; with neither name taken (the original
            // was deleted), there is nothing to keep and only the restored copy is renamed.
            var kept = originalExists || oldExists;
            var action = kept ? ctx.Step.Plan : $"Rename {restored} to {request.DatabaseName} (there is no {request.DatabaseName} to keep)";
            if (!ctx.ShouldProcess(request.DatabaseName, action)) return StepResult.Declined("Not swapped.");
            if (originalExists)
            {
                if (oldExists)
                    throw new DrException("OldDatabaseNameTaken", DrErrorCategory.ResourceExists, $"{oldName} already exists; the original cannot be renamed to it.", oldName);
                await MoveAsync(azure, Id(request.DatabaseName), Id(oldName), ct).ConfigureAwait(false);
                ctx.RecordChange($"renamed {request.DatabaseName} to {oldName}");
            }
            await MoveAsync(azure, Id(restored), Id(request.DatabaseName), ct).ConfigureAwait(false);
            ctx.RecordChange($"renamed {restored} to {request.DatabaseName}");
            await WaitOnlineAsync(azure, Id(request.DatabaseName), request.Timeout, ctx).ConfigureAwait(false);
            if (!kept)
                return StepResult.Done($"{request.DatabaseName} is now the copy restored as {restored}; there was no original {request.DatabaseName} to keep (it no longer existed when the swap ran).");
            ctx.Publish(new SwapOutcome { OldDatabase = oldName });
            return StepResult.Done($"{request.DatabaseName} is now the copy restored as {restored}; the original is kept as {oldName}.");
        }

        private static async Task MoveAsync(AzureConnection azure, string from, string to, CancellationToken ct)
        {
            var (_, handle) = await azure.Arm.StartAsync(RequestMethod.Post, from + "/move", ArmApi.SqlServers, ArmText.Body(w => w.WriteString("id", to)), ct).ConfigureAwait(false);
            if (handle != null) await azure.Arm.WaitAsync(handle, TimeSpan.FromMinutes(30), null, ct).ConfigureAwait(false);
        }

        internal static string Db(string sub, string rg, string server, string db) => ArmPath.Resource(sub, rg, "Microsoft.Sql/servers/databases", server, db);

        internal static string Last(string id) => Uri.UnescapeDataString(id.Substring(id.LastIndexOf('/') + 1));

        internal static DateTimeOffset? Date(JsonElement resource, string property) =>
            resource.TryGetProperty("properties", out var p) && p.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : (DateTimeOffset?)null;
    }
}
