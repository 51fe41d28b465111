using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>
    /// Seed 000's database restore as a runbook: one step per database (<c>database:&lt;name&gt;</c>), which the
    /// runner runs in parallel, each done when its database is ONLINE and answers a query. With
    /// <see cref="SqlRestoreRequest.OutputScriptOnly"/> (run as a -WhatIf run: nothing journaled) the steps only
    /// write the T-SQL they would send and the server is not contacted at all.
    /// </summary>
    public sealed class SqlRestoreRunbook : Runbook<SqlRestoreRequest, SqlRestoreResult>
    {
        private const string StepPrefix = "database:";

        public override string Name => "SqlServerRestore";
        public override string Command => "Restore-AppServiceDatabase";

        /// <summary>Bad input fails here; so do a server that cannot be reached or refuses the login (a query is sent
        /// before anything changes), unless only the script is asked for.</summary>
        protected internal override async Task PreflightAsync(RunContext run, SqlRestoreRequest request, CancellationToken ct)
        {
            if (request.OutputScriptOnly && !run.WhatIf)
                throw DrException.Precondition("ScriptOnlyIsNotARun", DrErrorCategory.InvalidOperation,
                    "-OutputScriptOnly touches nothing and is not journaled: run it as a -WhatIf run.");
            request.Plan = SqlBackupRestorer.Plan(request);
            run.Redactor.Register(request.Server.AccessToken);
            if (request.OutputScriptOnly) return;
            using var factory = new SqlConnectionFactory(request.Server);
            using var session = await SqlSession.OpenAsync(factory, "master", new SqlErrorContext(request.Server.ServerInstance, "Connecting"), true, ct).ConfigureAwait(false);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, SqlRestoreRequest request) =>
            request.Plan.Select(item =>
            {
                var label = item.Database ?? System.IO.Path.GetFileNameWithoutExtension(item.BackupFile);
                var verb = request.OutputScriptOnly ? "Write the T-SQL to restore" : request.VerifyOnly ? "Verify the backup" : "Restore";
                return new RunbookStep(StepPrefix + label, $"{verb} {label} on {request.Server.ServerInstance} from {item.BackupFile}",
                    ctx => RestoreOneAsync(request, item, ctx));
            }).ToList();

        private static async Task<StepResult> RestoreOneAsync(SqlRestoreRequest request, SqlRestoreItem item, StepContext ctx)
        {
            // Whatever reaches the run's text (errors from the driver included) is scrubbed of the token.
            ctx.Redactor.Register(request.Server.AccessToken);
            var restorer = new SqlBackupRestorer(new ApprovalRecordingHost(ctx));
            if (request.OutputScriptOnly)
            {
                var script = restorer.ScriptOnly(request, item);
                ctx.Publish(script);
                return StepResult.Declined("The T-SQL was written; nothing was sent to the server.");
            }
            // A restore approved in an earlier attempt and interrupted midway left a database of our own making:
            // continuing it means replacing it. A database the user never approved overwriting is never replaced.
            var continuing = ctx.GetCheckpoint("approved") != null;
            var single = new SqlRestoreRequest
            {
                Server = request.Server,
                BackupFile = item.BackupFile,
                DatabaseNames = item.Database == null ? null : new[] { item.Database },
                WithReplace = request.WithReplace || continuing,
                DataDirectory = request.DataDirectory,
                LogDirectory = request.LogDirectory,
                FileMapping = request.FileMapping,
                VerifyOnly = request.VerifyOnly,
                CheckDb = request.CheckDb,
                StatementTimeout = request.StatementTimeout,
                ProgressStep = request.ProgressStep,
            };
            using var factory = new SqlConnectionFactory(request.Server);
            var (result, failure) = await restorer.RestoreOneAsync(single, factory, item, ctx.ChildActivityId, ctx.ActivityId, ctx.CancellationToken).ConfigureAwait(false);
            ctx.Publish(result);
            switch (result.Action)
            {
                case SqlRestoreAction.Failed:
                    throw failure ?? new DrException("RestoreFailed", DrErrorCategory.InvalidOperation, $"The restore of {result.Database} failed.", result.Database);
                case SqlRestoreAction.Skipped:
                    return StepResult.Declined($"{result.Database} was not changed.");
                case SqlRestoreAction.Verified:
                    return StepResult.Done($"The backup {item.BackupFile} verified.");
                default:
                    ctx.RecordChange($"restored {result.Database} from {item.BackupFile}");
                    var check = result.CheckDb == null ? "" : "; CHECKDB: " + result.CheckDb.Summary;
                    return StepResult.Done($"{result.Database} is {result.FinalState} and answers queries{check}.");
            }
        }

        /// <summary>One result per database, read back from the run's report, so a resumed run also reports the
        /// databases restored before the interruption.</summary>
        protected internal override IEnumerable<SqlRestoreResult> Results(SqlRestoreRequest request, RunReport report) =>
            report.Steps.Where(s => s.StepId.StartsWith(StepPrefix, StringComparison.Ordinal)).Select(s =>
            {
                var result = s.Published<SqlRestoreResult>() ?? new SqlRestoreResult
                {
                    Server = request.Server.ServerInstance,
                    Database = s.StepId.Substring(StepPrefix.Length),
                    Started = s.StartedAt ?? default,
                    Duration = s.Duration ?? TimeSpan.Zero,
                    Action = s.Outcome == StepOutcome.Failed ? SqlRestoreAction.Failed : SqlRestoreAction.Skipped,
                    ErrorId = s.ErrorId,
                    Error = s.Error,
                };
                result.RunId = report.RunIdOrNull();
                return result;
            }).ToList();

        /// <summary>Passes everything to the step's host and notes, in the journal, the moment a restore was approved.
        /// For a restore into a copy of the run's own making (a drill's scratch database), the overwrite question a
        /// resumed restore raises is answered yes: that copy holds nothing anyone could lose.</summary>
        internal sealed class ApprovalRecordingHost : IDrHost
        {
            private readonly StepContext _ctx;
            private readonly bool _ownCopy;

            public ApprovalRecordingHost(StepContext ctx, bool ownCopy = false)
            {
                _ctx = ctx;
                _ownCopy = ownCopy;
            }

            public void Progress(DrProgress progress) => _ctx.Host.Progress(progress);
            public void Verbose(string message) => _ctx.Host.Verbose(message);
            public void Warning(string message) => _ctx.Host.Warning(message);

            public bool ShouldProcess(string target, string action)
            {
                if (!_ctx.ShouldProcess(target, action)) return false;
                _ctx.Checkpoint("approved", action);
                return true;
            }

            public bool ShouldContinue(string query, string caption) => _ownCopy || _ctx.Host.ShouldContinue(query, caption);
        }
    }
}
