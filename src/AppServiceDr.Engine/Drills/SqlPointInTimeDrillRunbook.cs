using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>Which Azure SQL database to drill, to which point, and how to judge the restored copy.</summary>
    public sealed class SqlPointInTimeDrillRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string ServerName { get; set; } = "";
        public string DatabaseName { get; set; } = "";
        /// <summary>The point to restore to. Default (null): 24 hours before the drill starts, as seed 004 asks.</summary>
        public DateTimeOffset? PointInTime { get; set; }
        /// <summary>The copy's name; it must contain "drill" and must not exist. Default: &lt;db&gt;-drill-&lt;UTC time&gt;.</summary>
        public string? DrillDatabaseName { get; set; }
        /// <summary>Run against the copy once it is Online: row counts, or a query with <see cref="ExpectedResult"/>.</summary>
        public string? VerifyQuery { get; set; }
        /// <summary>What the verify query's first column must read; without it, not NULL, 0 or false.</summary>
        public string? ExpectedResult { get; set; }
        public bool Encrypt { get; set; } = true;
        /// <summary>For the verify connection: the server's own certificate file, for a server the system does not trust.</summary>
        public string? ServerCertificate { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);
        /// <summary>Filled by the pre-flight: the point asked for (as sent), the point restored to (the earliest one
        /// kept when the one asked for is older), and the server's region.</summary>
        public DateTimeOffset RequestedPoint { get; set; }
        public DateTimeOffset RestorePoint { get; set; }
        public string TargetLocation { get; set; } = "";
    }

    /// <summary>
    /// Seed 004's "SQL point-in-time restore test" as a runbook: restore the database to a point (24 hours ago by
    /// default) under a drill name with the drill tags, wait until the copy is Online (the measured RTO), run the verify
    /// query against it, and delete it again, even when a step before failed. The RPO is the age of the newest backup
    /// the service reports for the database (its geo-backup's lastAvailableBackupDate). Steps: <c>restore</c>,
    /// <c>verify</c>, <c>cleanup</c>. The restore is the Azure SQL restore runbook's own step.
    /// </summary>
    public sealed class SqlPointInTimeDrillRunbook : Runbook<SqlPointInTimeDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-SqlPointInTimeRestore";
        private const string RestoreStepId = "restore";

        public override string Name => "SqlPointInTimeDrill";
        public override string Command => CommandName;

        protected internal override async Task PreflightAsync(RunContext run, SqlPointInTimeDrillRequest request, CancellationToken ct)
        {
            var environment = run.Environment ?? throw new InvalidOperationException("A point-in-time drill needs an Azure environment.");
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.ServerName, request.DatabaseName);
            if (request.VerifyQuery != null)
            {
                if (request.VerifyQuery.Trim().Length == 0)
                    throw DrException.Precondition("VerifyQueryEmpty", DrErrorCategory.InvalidArgument, "-VerifyQuery is empty.", request.DatabaseName);
                AzureSqlRestoreRunbook.RequireDatabaseToken(environment, request.DatabaseName);
                Sql.SqlConnectionFactory.CheckServerCertificate(request.ServerCertificate, request.ServerName);
            }
            else if (request.ExpectedResult != null)
                throw DrException.Precondition("ExpectedResultWithoutQuery", DrErrorCategory.InvalidArgument, "-ExpectedResult needs the -VerifyQuery whose answer it is.", request.DatabaseName);
            var now = run.Now;
            var name = request.DrillDatabaseName ??= Drill.NewName(request.DatabaseName, now);
            Drill.RequireDrillName(name, "DrillDatabaseName");
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, name);

            var azure = run.Azure;
            var serverPath = ArmPath.Resource(request.SubscriptionId, request.ResourceGroupName, "Microsoft.Sql/servers", request.ServerName);
            var server = await azure.Arm.GetAsync(serverPath, ArmApi.SqlServers, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("ServerNotFound", DrErrorCategory.ObjectNotFound, $"Server '{request.ServerName}' was not found in resource group '{request.ResourceGroupName}'.", request.ServerName);
            request.TargetLocation = ArmJson.Text(server, "location") ?? "";
            var source = await azure.Arm.GetAsync(Db(request, request.DatabaseName), ArmApi.SqlServers, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("DatabaseNotFound", DrErrorCategory.ObjectNotFound, $"Database '{request.DatabaseName}' was not found on server '{request.ServerName}'.", request.DatabaseName);
            if (await azure.Arm.GetAsync(Db(request, name), ArmApi.SqlServers, ct).ConfigureAwait(false) != null)
                throw Drill.NameTaken("Database", name, $"on server '{request.ServerName}'");

            var requested = ArmText.AsSent(request.PointInTime ?? now.AddHours(-24));
            if (requested > now)
                throw DrException.Precondition("PointInTimeInFuture", DrErrorCategory.InvalidArgument, $"The point in time {ArmText.Iso(requested)} is in the future (now is {ArmText.Iso(now)}).", requested);
            var earliest = AzureSqlRestoreRunbook.Date(source, "earliestRestoreDate");
            request.RequestedPoint = requested;
            // A database that keeps less history than asked for is drilled at its earliest point; the result says so.
            request.RestorePoint = earliest is { } e && requested < e ? ArmText.AsSent(e) : requested;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, SqlPointInTimeDrillRequest request)
        {
            var name = request.DrillDatabaseName!;
            var restore = new AzureSqlRestoreRequest
            {
                SubscriptionId = request.SubscriptionId, ResourceGroupName = request.ResourceGroupName, ServerName = request.ServerName,
                DatabaseName = request.DatabaseName, PointInTime = request.RestorePoint, DataAsOf = request.RestorePoint,
                TargetResourceGroupName = request.ResourceGroupName, TargetServerName = request.ServerName, TargetDatabaseName = name,
                TargetLocation = request.TargetLocation, Timeout = request.Timeout,
                Tags = new Dictionary<string, string> { [Drill.Tag] = name, [Drill.TestTag] = CommandName },
            };
            var inner = AzureSqlRestoreRunbook.RestoreStep(RestoreStepId, restore, "restore");
            var steps = new List<RunbookStep>
            {
                new RunbookStep(RestoreStepId, $"Restore {request.DatabaseName} to {ArmText.Iso(request.RestorePoint)} as drill database {name} (tagged {Drill.Tag}={name}) and wait until it is Online",
                    async ctx =>
                    {
                        var result = await inner.Action(ctx).ConfigureAwait(false);
                        if (result.Outcome == StepOutcome.Skipped) return result;
                        ctx.Publish(await RestoreChecksAsync(ctx, request).ConfigureAwait(false));
                        return result;
                    }),
            };
            if (request.VerifyQuery != null)
            {
                var serverId = ArmPath.Resource(request.SubscriptionId, request.ResourceGroupName, "Microsoft.Sql/servers", request.ServerName);
                steps.Add(new RunbookStep("verify", $"Run the verify query on {name}: {request.VerifyQuery}" + (request.ExpectedResult != null ? $" (expected: {request.ExpectedResult})" : ""),
                    async ctx =>
                    {
                        if (ctx.WhatIf) return StepResult.Declined("What if: the verify query would run against " + name + ".");
                        var (rows, first, _) = await AzureSqlVerification.QueryAsync(ctx, serverId, name, request.VerifyQuery, request.Encrypt, request.ServerCertificate).ConfigureAwait(false);
                        var check = DrillQuery.Judge(name, request.VerifyQuery, rows, first, request.ExpectedResult);
                        ctx.Publish(DrillStepOutcome.Of(check));
                        if (check.Status == DrillStatus.Fail) throw DrillQuery.Mismatch(name, check);
                        return StepResult.Done(check.Detail);
                    }, RestoreStepId));
            }
            steps.Add(new RunbookStep("cleanup", $"Delete drill database {name} (only while it carries {Drill.Tag}={name}), even when a step before failed",
                ctx => DrillAzureCleanup.DeleteAsync(ctx, Db(request, name), ArmApi.SqlServers, "database", name, request.Timeout),
                steps.Select(s => s.Id).ToArray()) { RunsAfterFailure = true });
            return steps;
        }

        /// <summary>The restore step's checks: the point reached against the one asked for, the time until the copy was
        /// Online (RTO), and the age of the newest backup the service reports (RPO).</summary>
        private static async Task<DrillStepOutcome> RestoreChecksAsync(StepContext ctx, SqlPointInTimeDrillRequest request)
        {
            var outcome = new DrillStepOutcome();
            outcome.Checks.Add(request.RestorePoint == request.RequestedPoint
                ? Drill.Pass("restore point", $"Restored to {ArmText.Iso(request.RestorePoint)}, the point asked for.")
                : Drill.Warn("restore point", $"Restored to {ArmText.Iso(request.RestorePoint)}, the earliest point kept; {ArmText.Iso(request.RequestedPoint)} was asked for (the backups reach back {DurationText.Format(ctx.RunStartedAt - request.RestorePoint)})."));
            var restored = ctx.Published<AzureSqlRestoreRunbook.RestoreOutcome>(RestoreStepId);
            if (restored != null)
            {
                outcome.Rto = restored.TimeToOnline;
                outcome.Checks.Add(Drill.Pass("time to Online", $"{request.DrillDatabaseName} was Online {DurationText.Format(restored.TimeToOnline)} after the restore was sent.", restored.TimeToOnline));
            }
            var recoverable = ArmPath.Resource(request.SubscriptionId, request.ResourceGroupName, "Microsoft.Sql/servers/recoverableDatabases", request.ServerName, request.DatabaseName);
            var backup = await ctx.Azure.Arm.GetAsync(recoverable, ArmApi.SqlServers, ctx.CancellationToken).ConfigureAwait(false);
            if (backup is { } b && AzureSqlRestoreRunbook.Date(b, "lastAvailableBackupDate") is { } newest)
            {
                var age = ctx.Run.Now - newest;
                if (age < TimeSpan.Zero) age = TimeSpan.Zero;
                outcome.Rpo = age;
                outcome.Checks.Add(Drill.Pass("newest backup", $"The newest backup the service reports for {request.DatabaseName} is from {ArmText.Iso(newest)}, {DurationText.Format(age)} ago.", age));
            }
            else
            {
                outcome.Checks.Add(Drill.Warn("newest backup", $"The service reports no backup date for {request.DatabaseName} (recoverableDatabases), so the RPO was not measured."));
            }
            return outcome;
        }

        protected internal override IEnumerable<DrillTestResult> Results(SqlPointInTimeDrillRequest request, RunReport report)
        {
            yield return Drill.Result(CommandName, request.ServerName + "/" + request.DatabaseName, request.DrillDatabaseName, report, createsResources: true);
        }

        private static string Db(SqlPointInTimeDrillRequest r, string database) =>
            AzureSqlRestoreRunbook.Db(r.SubscriptionId, r.ResourceGroupName, r.ServerName, database);
    }
}
