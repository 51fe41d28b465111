using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>One backup a SQL Server drill proves: the database it is of, the file, and the scratch name it is restored under.</summary>
    public sealed class SqlBackupDrillItem
    {
        public string Database { get; set; } = "";
        public string BackupFile { get; set; } = "";
        public string DrillDatabase { get; set; } = "";
        /// <summary>When the backup file was last written (UTC), when this machine can read it; the RPO is measured from it.</summary>
        public DateTimeOffset? BackupWritten { get; set; }
    }

    /// <summary>Which SQL Server backups to prove, and how to judge a restored copy.</summary>
    public sealed class SqlBackupDrillRequest
    {
        public SqlServerConnectionInfo Server { get; set; } = new SqlServerConnectionInfo();
        /// <summary>One backup file (as the server sees its path), or ...</summary>
        public string? BackupFile { get; set; }
        /// <summary>... a folder whose newest &lt;database&gt;*.bak per database is proved.</summary>
        public string? BackupPath { get; set; }
        /// <summary>Default: the two App Service databases (with a folder), or the one the file holds.</summary>
        public IReadOnlyList<string>? DatabaseNames { get; set; }
        public string? DataDirectory { get; set; }
        public string? LogDirectory { get; set; }
        /// <summary>Run in each restored copy: row counts, or a query with <see cref="ExpectedResult"/>.</summary>
        public string? VerifyQuery { get; set; }
        public string? ExpectedResult { get; set; }
        public TimeSpan? StatementTimeout { get; set; }
        /// <summary>Filled by the pre-flight: what is proved, under which scratch names.</summary>
        public IReadOnlyList<SqlBackupDrillItem> Items { get; set; } = Array.Empty<SqlBackupDrillItem>();
    }

    /// <summary>
    /// Seed 000's backups proved the way dbatools' Test-DbaLastBackup proves the latest one, and a little further: for
    /// each backup, RESTORE VERIFYONLY; a restore under a scratch drill name with its files relocated beside the
    /// server's (so nothing of production is touched) and DBCC CHECKDB; the verify query in the copy; and DROP DATABASE
    /// of the copy, even after a failure. The restore is the SQL Server restore's own code. Steps per database:
    /// <c>verify:&lt;db&gt;</c>, <c>restore:&lt;db&gt;</c>, <c>query:&lt;db&gt;</c>, <c>drop:&lt;db&gt;</c>.
    /// </summary>
    public sealed class SqlBackupDrillRunbook : Runbook<SqlBackupDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-SqlBackupFile";

        public override string Name => "SqlBackupDrill";
        public override string Command => CommandName;

        protected internal override async Task PreflightAsync(RunContext run, SqlBackupDrillRequest request, CancellationToken ct)
        {
            if (request.VerifyQuery != null && request.VerifyQuery.Trim().Length == 0)
                throw DrException.Precondition("VerifyQueryEmpty", DrErrorCategory.InvalidArgument, "-VerifyQuery is empty.", request.Server.ServerInstance);
            if (request.VerifyQuery == null && request.ExpectedResult != null)
                throw DrException.Precondition("ExpectedResultWithoutQuery", DrErrorCategory.InvalidArgument, "-ExpectedResult needs the -VerifyQuery whose answer it is.", request.Server.ServerInstance);
            // The restore's own checks: server, login, certificate, the backup source and the newest file per database.
            var plan = SqlBackupRestorer.Plan(new SqlRestoreRequest
            {
                Server = request.Server, BackupFile = request.BackupFile, BackupPath = request.BackupPath, DatabaseNames = request.DatabaseNames,
                DataDirectory = request.DataDirectory, LogDirectory = request.LogDirectory, CheckDb = true, StatementTimeout = request.StatementTimeout,
            });
            run.Redactor.Register(request.Server.AccessToken);
            var now = run.Now;
            using var factory = new SqlConnectionFactory(request.Server);
            using var session = await SqlSession.OpenAsync(factory, "master", new SqlErrorContext(request.Server.ServerInstance, "Connecting"), true, ct).ConfigureAwait(false);
            var items = new List<SqlBackupDrillItem>();
            foreach (var item in plan)
            {
                var database = item.Database;
                if (database == null)
                    await session.ExecuteAsync(SqlBackupRestorer.HeaderOnly(item.BackupFile), 60, new SqlErrorContext(request.Server.ServerInstance, "Reading the header of backup '" + item.BackupFile + "'", null, item.BackupFile), true, ct,
                        r => database ??= r["DatabaseName"] as string).ConfigureAwait(false);
                if (string.IsNullOrEmpty(database))
                    throw DrException.Precondition("BackupHeaderEmpty", DrErrorCategory.InvalidData, $"The backup file '{item.BackupFile}' names no database.", item.BackupFile);
                var scratch = Drill.NewName(database!, now, '_');
                var exists = false;
                await session.ExecuteAsync(SqlBackupRestorer.DatabaseState(scratch), 60, new SqlErrorContext(request.Server.ServerInstance, "Looking for database '" + scratch + "'", scratch), true, ct,
                    _ => exists = true).ConfigureAwait(false);
                if (exists) throw Drill.NameTaken("Database", scratch, "on " + request.Server.ServerInstance);
                items.Add(new SqlBackupDrillItem
                {
                    Database = database!,
                    BackupFile = item.BackupFile,
                    DrillDatabase = scratch,
                    BackupWritten = File.Exists(item.BackupFile) ? new DateTimeOffset(File.GetLastWriteTimeUtc(item.BackupFile), TimeSpan.Zero) : (DateTimeOffset?)null,
                });
            }
            request.Items = items;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, SqlBackupDrillRequest request)
        {
            foreach (var item in request.Items)
            {
                var db = item.Database;
                var verify = "verify:" + db;
                var restore = "restore:" + db;
                yield return new RunbookStep(verify, $"RESTORE VERIFYONLY the backup {item.BackupFile} of {db} on {request.Server.ServerInstance}",
                    ctx => VerifyAsync(ctx, request, item));
                yield return new RunbookStep(restore, $"Restore {item.BackupFile} as drill database {item.DrillDatabase} (files relocated), then DBCC CHECKDB",
                    ctx => RestoreAsync(ctx, request, item), verify);
                var last = restore;
                if (request.VerifyQuery != null)
                {
                    last = "query:" + db;
                    yield return new RunbookStep(last, $"Run the verify query in {item.DrillDatabase}: {request.VerifyQuery}" + (request.ExpectedResult != null ? $" (expected: {request.ExpectedResult})" : ""),
                        ctx => QueryAsync(ctx, request, item), restore);
                }
                yield return new RunbookStep("drop:" + db, $"Drop drill database {item.DrillDatabase}, even when a step before failed",
                    ctx => SqlDrillDatabases.DropAsync(ctx, request.Server, item.DrillDatabase), verify, restore, last) { RunsAfterFailure = true };
            }
        }

        private static SqlRestoreRequest Restore(SqlBackupDrillRequest request, SqlBackupDrillItem item, bool verifyOnly, bool replace) => new SqlRestoreRequest
        {
            Server = request.Server,
            BackupFile = item.BackupFile,
            DatabaseNames = new[] { verifyOnly ? item.Database : item.DrillDatabase },
            WithReplace = replace,
            DataDirectory = request.DataDirectory,
            LogDirectory = request.LogDirectory,
            VerifyOnly = verifyOnly,
            CheckDb = !verifyOnly,
            StatementTimeout = request.StatementTimeout,
        };

        private static async Task<StepResult> VerifyAsync(StepContext ctx, SqlBackupDrillRequest request, SqlBackupDrillItem item)
        {
            ctx.Redactor.Register(request.Server.AccessToken);
            using var factory = new SqlConnectionFactory(request.Server);
            var restorer = new SqlBackupRestorer(ctx.Host);
            var (result, failure) = await restorer.RestoreOneAsync(Restore(request, item, verifyOnly: true, replace: false), factory,
                new SqlRestoreItem(item.Database, item.BackupFile), ctx.ChildActivityId, ctx.ActivityId, ctx.CancellationToken).ConfigureAwait(false);
            var outcome = new DrillStepOutcome();
            outcome.Checks.Add(failure == null
                ? Drill.Pass("backup verifies", $"RESTORE VERIFYONLY found {item.BackupFile} valid.")
                : Drill.Fail("backup verifies", $"RESTORE VERIFYONLY refused {item.BackupFile}: {failure.Message}"));
            if (item.BackupWritten is { } written)
            {
                var age = ctx.Run.Now - written;
                if (age < TimeSpan.Zero) age = TimeSpan.Zero;
                outcome.Rpo = age;
                outcome.Checks.Add(Drill.Pass("backup age", $"{item.BackupFile} was written {DurationText.Format(age)} ago: a restore from it loses what changed since.", age));
            }
            else
            {
                outcome.Checks.Add(Drill.Warn("backup age", $"{item.BackupFile} cannot be read from this machine, so its age (the RPO) was not measured."));
            }
            ctx.Publish(outcome);
            if (failure != null) throw failure;
            return StepResult.Done($"The backup {item.BackupFile} verified.");
        }

        private static async Task<StepResult> RestoreAsync(StepContext ctx, SqlBackupDrillRequest request, SqlBackupDrillItem item)
        {
            ctx.Redactor.Register(request.Server.AccessToken);
            // A restore approved in an earlier attempt may have finished on the server after the process died: the copy
            // there is the drill's own, so it is restored over.
            var continuing = ctx.GetCheckpoint("approved") != null;
            using var factory = new SqlConnectionFactory(request.Server);
            var restorer = new SqlBackupRestorer(new SqlRestoreRunbook.ApprovalRecordingHost(ctx, ownCopy: true));
            var (result, failure) = await restorer.RestoreOneAsync(Restore(request, item, verifyOnly: false, replace: continuing), factory,
                new SqlRestoreItem(item.DrillDatabase, item.BackupFile), ctx.ChildActivityId, ctx.ActivityId, ctx.CancellationToken).ConfigureAwait(false);
            if (result.Action == SqlRestoreAction.Skipped) return StepResult.Declined($"{item.DrillDatabase} was not restored.");
            var outcome = new DrillStepOutcome();
            if (failure != null)
            {
                outcome.Checks.Add(Drill.Fail("restore", $"{item.BackupFile} did not restore as {item.DrillDatabase}: {failure.Message}"));
                ctx.Publish(outcome);
                throw failure;
            }
            ctx.RecordChange($"restored drill database {item.DrillDatabase} from {item.BackupFile}");
            outcome.Rto = result.Duration;
            outcome.Checks.Add(Drill.Pass("restore", $"{item.BackupFile} restored as {item.DrillDatabase} ({result.FinalState}) in {DurationText.Format(result.Duration)}.", result.Duration));
            var check = result.CheckDb;
            outcome.Checks.Add(check == null
                ? Drill.Fail("CHECKDB", $"DBCC CHECKDB reported nothing for {item.DrillDatabase}.")
                : check.Clean ? Drill.Pass("CHECKDB", check.Summary) : Drill.Fail("CHECKDB", check.Summary));
            ctx.Publish(outcome);
            if (check == null || !check.Clean)
                throw new DrException("CheckDbFoundErrors", DrErrorCategory.InvalidData, $"DBCC CHECKDB on {item.DrillDatabase}: {check?.Summary ?? "no outcome"}", item.DrillDatabase);
            return StepResult.Done($"{item.DrillDatabase} restored and consistent.");
        }

        private static async Task<StepResult> QueryAsync(StepContext ctx, SqlBackupDrillRequest request, SqlBackupDrillItem item)
        {
            if (ctx.WhatIf) return StepResult.Declined("What if: the verify query would run in " + item.DrillDatabase + ".");
            var context = new SqlErrorContext(request.Server.ServerInstance, "Running the verify query in '" + item.DrillDatabase + "'", item.DrillDatabase);
            var rows = 0;
            object? first = null;
            using (var factory = new SqlConnectionFactory(request.Server))
            using (var session = await SqlSession.OpenAsync(factory, item.DrillDatabase, context, false, ctx.CancellationToken).ConfigureAwait(false))
            {
                var timeout = request.StatementTimeout is { } t ? (int)Math.Ceiling(t.TotalSeconds) : 600;
                await session.ExecuteAsync(new SqlStatement(request.VerifyQuery!), timeout, context, false, ctx.CancellationToken,
                    r => { if (rows++ == 0 && r.FieldCount > 0) first = r.GetValue(0); }).ConfigureAwait(false);
            }
            var check = DrillQuery.Judge(item.DrillDatabase, request.VerifyQuery!, rows, first, request.ExpectedResult);
            ctx.Publish(DrillStepOutcome.Of(check));
            if (check.Status == DrillStatus.Fail) throw DrillQuery.Mismatch(item.DrillDatabase, check);
            return StepResult.Done(check.Detail);
        }

        protected internal override IEnumerable<DrillTestResult> Results(SqlBackupDrillRequest request, RunReport report)
        {
            foreach (var item in request.Items)
            {
                var steps = report.Steps.Where(s => s.StepId.EndsWith(":" + item.Database, StringComparison.Ordinal)).ToList();
                yield return Drill.Result(CommandName, request.Server.ServerInstance + "/" + item.Database, item.DrillDatabase,
                    new RunReport
                    {
                        RunId = report.RunId, Runbook = report.Runbook, Status = report.Status, StartedAt = report.StartedAt, EndedAt = report.EndedAt,
                        Duration = report.Duration, Steps = steps,
                    }, createsResources: true);
            }
        }
    }
}
