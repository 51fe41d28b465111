using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>
    /// Seed 000's database restore as a runbook: one step per database (<c>database:&lt;name&gt;</c>), run in
    /// parallel, each done when its database is ONLINE and answers a query.
    /// </summary>
    public static class SqlRestoreRunbook
    {
        public const string Name = "SqlServerRestore";
        private const string StepPrefix = "database:";

        /// <summary>Builds the runbook; bad input fails here, before anything is sent to the server.</summary>
        public static RunbookDefinition Create(SqlRestoreRequest request)
        {
            if (request.OutputScriptOnly)
                throw new DrException("ScriptOnlyIsNotARun", DrErrorCategory.InvalidOperation,
                    "-OutputScriptOnly touches nothing and is not journaled; call the restorer directly.") { IsPrecondition = true };
            var plan = SqlBackupRestorer.Plan(request);
            var server = request.Server;
            var inputs = new List<RunInput>
            {
                new RunInput("ServerInstance", server.ServerInstance),
                new RunInput("Authentication", server.Authentication.ToString()),
                new RunInput("UserName", server.UserName),
                new RunInput("Encrypt", server.Encrypt.ToString()),
                new RunInput("TrustServerCertificate", server.TrustServerCertificate.ToString()),
                new RunInput("ServerCertificate", server.ServerCertificate),
                new RunInput("BackupFile", request.BackupFile),
                new RunInput("BackupPath", request.BackupPath),
                new RunInput("DatabaseName", request.DatabaseNames == null ? null : string.Join(",", request.DatabaseNames)),
                new RunInput("WithReplace", request.WithReplace.ToString()),
                new RunInput("DataDirectory", request.DataDirectory),
                new RunInput("LogDirectory", request.LogDirectory),
                new RunInput("FileMapping", request.FileMapping == null ? null : string.Join(";", request.FileMapping.Select(m => m.Key + "=" + m.Value))),
                new RunInput("VerifyOnly", request.VerifyOnly.ToString()),
                new RunInput("CheckDb", request.CheckDb.ToString()),
                new RunInput("StatementTimeoutSeconds", request.StatementTimeout?.TotalSeconds.ToString(CultureInfo.InvariantCulture)),
                new RunInput("Plan", string.Join(";", plan.Select(p => (p.Key ?? "") + "=" + p.Value))),
            };
            if (server.Password != null) inputs.Add(new RunInput("Password", null, isSecret: true));
            if (server.AccessToken != null) inputs.Add(new RunInput("AccessToken", null, isSecret: true));
            var steps = plan.Select(item =>
            {
                var label = item.Key ?? System.IO.Path.GetFileNameWithoutExtension(item.Value);
                var verb = request.VerifyOnly ? "Verify the backup" : "Restore";
                return new RunbookStep(StepPrefix + label, $"{verb} {label} on {server.ServerInstance} from {item.Value}",
                    ctx => RestoreOneAsync(request, item.Key, item.Value, ctx));
            });
            return new RunbookDefinition(Name, inputs, steps);
        }

        /// <summary>Rebuilds the request of a journaled run (for -Resume). The password or token is never
        /// journaled: <paramref name="server"/> brings it again.</summary>
        public static SqlRestoreRequest RequestFromJournal(IReadOnlyDictionary<string, string?> inputs, SqlServerConnectionInfo server)
        {
            string? Get(string key) => inputs.Optional(key);
            if (!string.Equals(Get("ServerInstance"), server.ServerInstance, StringComparison.OrdinalIgnoreCase))
                throw new DrException("ResumeServerDiffers", DrErrorCategory.InvalidArgument,
                    $"The run restored to '{Get("ServerInstance")}'; resume it against the same server.", server.ServerInstance) { IsPrecondition = true };
            return new SqlRestoreRequest
            {
                Server = server,
                BackupFile = Get("BackupFile"),
                BackupPath = Get("BackupPath"),
                DatabaseNames = Get("DatabaseName")?.Split(','),
                WithReplace = Get("WithReplace") == "True",
                DataDirectory = Get("DataDirectory"),
                LogDirectory = Get("LogDirectory"),
                FileMapping = Get("FileMapping")?.Split(';').Select(m => m.Split(new[] { '=' }, 2)).ToDictionary(m => m[0], m => m[1], StringComparer.OrdinalIgnoreCase),
                VerifyOnly = Get("VerifyOnly") == "True",
                CheckDb = Get("CheckDb") == "True",
                StatementTimeout = Get("StatementTimeoutSeconds") is string t ? TimeSpan.FromSeconds(double.Parse(t, CultureInfo.InvariantCulture)) : (TimeSpan?)null,
            };
        }

        private static async Task<StepResult> RestoreOneAsync(SqlRestoreRequest request, string? database, string file, StepContext ctx)
        {
            // Whatever reaches the run's text (errors from the driver included) is scrubbed of the token.
            ctx.Redactor.Register(request.Server.AccessToken);
            // A restore approved in an earlier attempt and interrupted midway left a database of our own making:
            // continuing it means replacing it. A database the user never approved overwriting is never replaced.
            var continuing = ctx.GetCheckpoint("approved") != null;
            var single = new SqlRestoreRequest
            {
                Server = request.Server,
                BackupFile = file,
                DatabaseNames = database == null ? null : new[] { database },
                WithReplace = request.WithReplace || continuing,
                DataDirectory = request.DataDirectory,
                LogDirectory = request.LogDirectory,
                FileMapping = request.FileMapping,
                VerifyOnly = request.VerifyOnly,
                CheckDb = request.CheckDb,
                StatementTimeout = request.StatementTimeout,
                MaxParallel = 1,
                ProgressStep = request.ProgressStep,
            };
            var host = new ApprovalRecordingHost(ctx);
            var result = (await new SqlBackupRestorer(host).RestoreAsync(single, ctx.CancellationToken).ConfigureAwait(false)).Single();
            Publish(ctx, result);
            switch (result.Action)
            {
                case SqlRestoreAction.Failed:
                    throw result.Error ?? new DrException("RestoreFailed", DrErrorCategory.InvalidOperation, $"The restore of {result.Database} failed.", result.Database);
                case SqlRestoreAction.Skipped:
                    return StepResult.Declined($"{result.Database} was not changed.");
                case SqlRestoreAction.Verified:
                    return StepResult.Done($"The backup {file} verified.");
                default:
                    ctx.RecordChange($"restored {result.Database} from {file}");
                    var check = result.CheckDb == null ? "" : "; CHECKDB: " + result.CheckDb.Summary;
                    return StepResult.Done($"{result.Database} is {result.FinalState} and answers queries{check}.");
            }
        }

        private static void Publish(StepContext ctx, SqlRestoreResult r)
        {
            ctx.SetOutput("Server", r.Server);
            ctx.SetOutput("Database", r.Database);
            ctx.SetOutput("BackupFile", r.BackupFile);
            ctx.SetOutput("Action", r.Action.ToString());
            ctx.SetOutput("Started", r.Started.ToString("o", CultureInfo.InvariantCulture));
            ctx.SetOutput("DurationMs", ((long)r.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
            if (r.FinalState != null) ctx.SetOutput("FinalState", r.FinalState);
            if (r.UserAccess != null) ctx.SetOutput("UserAccess", r.UserAccess);
            if (r.CheckDb != null)
            {
                ctx.SetOutput("CheckDbAllocationErrors", r.CheckDb.AllocationErrors.ToString(CultureInfo.InvariantCulture));
                ctx.SetOutput("CheckDbConsistencyErrors", r.CheckDb.ConsistencyErrors.ToString(CultureInfo.InvariantCulture));
                ctx.SetOutput("CheckDbSummary", r.CheckDb.Summary);
            }
            ctx.SetOutput("Script", r.Script);
        }

        /// <summary>One result per database, read back from the run's report, so a resumed run also reports the
        /// databases restored before the interruption.</summary>
        public static IReadOnlyList<SqlRestoreResult> Results(RunReport report) =>
            report.Steps.Where(s => s.StepId.StartsWith(StepPrefix, StringComparison.Ordinal)).Select(s =>
            {
                string? O(string key) => s.Outputs.TryGetValue(key, out var v) ? v : null;
                SqlCheckDbOutcome? check = O("CheckDbSummary") is string summary
                    ? new SqlCheckDbOutcome(int.Parse(O("CheckDbAllocationErrors") ?? "0", CultureInfo.InvariantCulture), int.Parse(O("CheckDbConsistencyErrors") ?? "0", CultureInfo.InvariantCulture), summary)
                    : null;
                var action = Enum.TryParse<SqlRestoreAction>(O("Action"), out var a) ? a
                    : s.Outcome == StepOutcome.Failed ? SqlRestoreAction.Failed : SqlRestoreAction.Skipped;
                return new SqlRestoreResult
                {
                    Server = O("Server") ?? (report.Inputs.TryGetValue("ServerInstance", out var server) ? server ?? "" : ""),
                    Database = O("Database") ?? s.StepId.Substring(StepPrefix.Length),
                    BackupFile = O("BackupFile") ?? "",
                    Started = O("Started") is string started ? DateTimeOffset.Parse(started, CultureInfo.InvariantCulture) : s.StartedAt ?? default,
                    Duration = O("DurationMs") is string ms ? TimeSpan.FromMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture)) : s.Duration ?? TimeSpan.Zero,
                    Action = action,
                    FinalState = O("FinalState"),
                    UserAccess = O("UserAccess"),
                    CheckDb = check,
                    Script = O("Script") ?? "",
                    Error = s.Outcome == StepOutcome.Failed ? new DrException(s.ErrorId ?? "RestoreFailed", s.ErrorCategory ?? DrErrorCategory.InvalidOperation, s.Error ?? "", s.StepId) : null,
                };
            }).ToList();

        /// <summary>Passes everything to the step's host and notes, in the journal, the moment a restore was approved.</summary>
        private sealed class ApprovalRecordingHost : IDrHost
        {
            private readonly StepContext _ctx;

            public ApprovalRecordingHost(StepContext ctx)
            {
                _ctx = ctx;
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

            public bool ShouldContinue(string query, string caption) => _ctx.Host.ShouldContinue(query, caption);
        }
    }
}
