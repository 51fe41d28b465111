using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>
    /// Restores one SQL Server database from a full backup file, as one step of the SQL Server restore runbook:
    /// reads the backup's header and file list, relocates files, overwrites an existing database only when asked
    /// (single-user before, multi-user after, whatever happens), reports RESTORE progress, checks the database
    /// answers, optionally runs DBCC CHECKDB, and returns the script it ran. The runner restores databases in
    /// parallel; this class does one at a time.
    /// </summary>
    internal sealed class SqlBackupRestorer
    {
        private static readonly Regex PercentProcessed = new Regex(@"^\s*(\d{1,3}) percent processed", RegexOptions.CultureInvariant);
        private static readonly Regex CheckDbSummary = new Regex(@"CHECKDB found (\d+) allocation errors and (\d+) consistency errors", RegexOptions.CultureInvariant);

        private readonly IDrHost _host;

        public SqlBackupRestorer(IDrHost host)
        {
            _host = host ?? throw new ArgumentNullException(nameof(host));
        }

        /// <summary>The checks a restore starts with, touching nothing on the server, and which backup file restores
        /// which database. Bad input throws a precondition.</summary>
        public static IReadOnlyList<SqlRestoreItem> Plan(SqlRestoreRequest request) =>
            Validate(request ?? throw new ArgumentNullException(nameof(request)));

        // ---- validation -------------------------------------------------------------------------------

        private static DrException Invalid(string id, string message, object? target, DrErrorCategory category = DrErrorCategory.InvalidArgument) =>
            DrException.Precondition(id, category, message, target);

        private static List<SqlRestoreItem> Validate(SqlRestoreRequest request)
        {
            var server = request.Server;
            if (string.IsNullOrWhiteSpace(server.ServerInstance)) throw Invalid("ServerInstanceMissing", "A server instance is required.", null);
            switch (server.Authentication)
            {
                case SqlAuthenticationKind.SqlLogin when string.IsNullOrEmpty(server.UserName) || server.Password == null:
                    throw Invalid("CredentialMissing", "SQL authentication needs a user name and a password.", server.ServerInstance);
                case SqlAuthenticationKind.AccessToken when string.IsNullOrEmpty(server.AccessToken):
                    throw Invalid("AccessTokenMissing", "Access token authentication needs a token.", server.ServerInstance);
            }
            SqlConnectionFactory.CheckServerCertificate(server);
            if (request.ProgressStep < 1 || request.ProgressStep > 100) throw Invalid("ProgressStepInvalid", "The progress step must be between 1 and 100.", request.ProgressStep);
            if (request.StatementTimeout is { } timeout && (timeout < TimeSpan.Zero || timeout.TotalSeconds > int.MaxValue))
                throw Invalid("StatementTimeoutInvalid", "The statement timeout must be zero or positive.", timeout);
            if (request.VerifyOnly && request.CheckDb)
                throw Invalid("VerifyOnlyWithCheckDb", "VerifyOnly restores nothing, so there is no database for CheckDb to check.", null);
            foreach (var pair in request.FileMapping ?? new Dictionary<string, string>())
            {
                if (string.IsNullOrWhiteSpace(pair.Key) || string.IsNullOrWhiteSpace(pair.Value))
                    throw Invalid("FileMappingInvalid", "Every file mapping needs a logical file name and a physical path.", pair.Key);
            }
            if (request.DataDirectory != null && request.DataDirectory.Trim().Length == 0) throw Invalid("DataDirectoryInvalid", "The data directory is empty.", request.DataDirectory);
            if (request.LogDirectory != null && request.LogDirectory.Trim().Length == 0) throw Invalid("LogDirectoryInvalid", "The log directory is empty.", request.LogDirectory);

            var names = request.DatabaseNames;
            foreach (var name in names ?? Array.Empty<string>())
            {
                if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.IndexOf('\0') >= 0)
                    throw Invalid("DatabaseNameInvalid", "A database name has 1 to 128 characters and is not blank.", name);
            }
            var duplicate = (names ?? Array.Empty<string>()).GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null) throw Invalid("DatabaseNameDuplicate", "Database '" + duplicate.Key + "' is named more than once.", duplicate.Key);

            var hasFile = !string.IsNullOrWhiteSpace(request.BackupFile);
            var hasPath = !string.IsNullOrWhiteSpace(request.BackupPath);
            if (hasFile == hasPath)
                throw Invalid("BackupSourceInvalid", "Give either one backup file or one backup folder.", request.BackupFile ?? request.BackupPath);

            if (hasFile)
            {
                if (names != null && names.Count > 1)
                    throw Invalid("DatabaseNameTooMany", "One backup file restores one database; " + names.Count.ToString(CultureInfo.InvariantCulture) + " names were given.", request.BackupFile);
                var database = names?.FirstOrDefault();
                if (database == null && request.OutputScriptOnly)
                    throw Invalid("DatabaseNameRequired", "OutputScriptOnly reads nothing from the server, so the database name must be given with the backup file.", request.BackupFile);
                return new List<SqlRestoreItem> { new SqlRestoreItem(database, request.BackupFile!) };
            }

            var folder = request.BackupPath!;
            if (!Directory.Exists(folder))
                throw Invalid("BackupPathNotFound", "The backup folder '" + folder + "' does not exist.", folder, DrErrorCategory.ObjectNotFound);
            var files = Directory.GetFiles(folder, "*.bak").Select(f => new FileInfo(f)).ToList();
            var plan = new List<SqlRestoreItem>();
            foreach (var name in names == null || names.Count == 0 ? SqlRestoreRequest.AppServiceDatabases : names)
            {
                var newest = files.Where(f => f.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase))
                    .OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal).FirstOrDefault();
                if (newest == null)
                {
                    var pattern = Path.Combine(folder, name + "*.bak");
                    throw Invalid("NoBackupForDatabase", "No backup file for database '" + name + "' in '" + folder + "' (looked for " + pattern + ").", pattern, DrErrorCategory.ObjectNotFound);
                }
                plan.Add(new SqlRestoreItem(name, newest.FullName));
            }
            return plan;
        }

        // ---- statements -------------------------------------------------------------------------------

        internal static SqlStatement HeaderOnly(string file) =>
            new SqlStatement("RESTORE HEADERONLY FROM DISK = @backupFile;").Path("@backupFile", file);

        private static SqlStatement FileListOnly(string file) =>
            new SqlStatement("RESTORE FILELISTONLY FROM DISK = @backupFile;").Path("@backupFile", file);

        private static SqlStatement VerifyOnly(string file) =>
            new SqlStatement("RESTORE VERIFYONLY FROM DISK = @backupFile WITH CHECKSUM;", true).Path("@backupFile", file);

        internal static SqlStatement DatabaseState(string database) =>
            new SqlStatement("SELECT name, state_desc, user_access_desc FROM sys.databases WHERE name = @database;").Name("@database", database);

        private static readonly SqlStatement DefaultPaths = new SqlStatement(
            "SELECT CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(4000)) AS DataPath, CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(4000)) AS LogPath;");

        private static readonly SqlStatement Probe = new SqlStatement("SELECT DB_NAME() AS database_name;");

        // ALTER DATABASE takes no variables: the name is bracket-quoted with closing brackets doubled.
        private static SqlStatement SingleUser(string database) =>
            new SqlStatement("ALTER DATABASE " + SqlStatement.QuoteIdentifier(database) + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE;", true);

        private static SqlStatement MultiUser(string database) =>
            new SqlStatement("ALTER DATABASE " + SqlStatement.QuoteIdentifier(database) + " SET MULTI_USER;", true);

        private static SqlStatement CheckDb(string database) =>
            new SqlStatement("DBCC CHECKDB (@database);", true).Name("@database", database);

        private static SqlStatement Restore(string database, string file, IReadOnlyList<KeyValuePair<string, string>> moves, bool replace, int? stats)
        {
            var options = new List<string>();
            for (var i = 0; i < moves.Count; i++)
            {
                var n = (i + 1).ToString(CultureInfo.InvariantCulture);
                options.Add("MOVE @logical" + n + " TO @physical" + n);
            }
            if (replace) options.Add("REPLACE");
            if (stats.HasValue) options.Add("STATS = " + stats.Value.ToString(CultureInfo.InvariantCulture));
            var text = "RESTORE DATABASE @database FROM DISK = @backupFile" + (options.Count > 0 ? " WITH " + string.Join(", ", options) : "") + ";";
            var statement = new SqlStatement(text, true).Name("@database", database).Path("@backupFile", file);
            for (var i = 0; i < moves.Count; i++)
            {
                var n = (i + 1).ToString(CultureInfo.InvariantCulture);
                statement.Name("@logical" + n, moves[i].Key).Path("@physical" + n, moves[i].Value);
            }
            return statement;
        }

        public SqlRestoreResult ScriptOnly(SqlRestoreRequest request, SqlRestoreItem item)
        {
            var database = item.Database!;
            var statements = new List<SqlStatement>();
            if (request.VerifyOnly)
            {
                statements.Add(VerifyOnly(item.BackupFile));
            }
            else
            {
                var moves = (request.FileMapping ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                if (moves.Count == 0 && (request.DataDirectory != null || request.LogDirectory != null))
                {
                    _host.Warning("The script for '" + database + "' has no MOVE clauses: relocating to a directory needs the backup's file list, "
                        + "which is not read when only the script is produced. Name the files with a file mapping to include them.");
                }
                if (request.WithReplace) statements.Add(SingleUser(database));
                statements.Add(Restore(database, item.BackupFile, moves, request.WithReplace, request.ProgressStep));
                if (request.WithReplace) statements.Add(MultiUser(database));
                if (request.CheckDb) statements.Add(CheckDb(database));
            }
            return new SqlRestoreResult
            {
                Server = request.Server.ServerInstance,
                Database = database,
                BackupFile = item.BackupFile,
                Started = DateTimeOffset.UtcNow,
                Action = SqlRestoreAction.ScriptOnly,
                Script = SqlStatement.Script(statements),
            };
        }

        // ---- one database -----------------------------------------------------------------------------

        private sealed class DatabaseRow
        {
            private DatabaseRow(string state, string userAccess)
            {
                State = state;
                UserAccess = userAccess;
            }

            public string State { get; }
            public string UserAccess { get; }

            public static DatabaseRow Read(System.Data.IDataRecord r) => new DatabaseRow(
                Convert.ToString(r["state_desc"], CultureInfo.InvariantCulture) ?? string.Empty,
                Convert.ToString(r["user_access_desc"], CultureInfo.InvariantCulture) ?? string.Empty);
        }

        /// <summary>Restores one database. A failure comes back as the result (its error id and message, the state
        /// the database was left in) and the exception, for the step to report; cancellation throws once the
        /// database is back in a known state.</summary>
        public async Task<(SqlRestoreResult Result, DrException? Failure)> RestoreOneAsync(SqlRestoreRequest request, SqlConnectionFactory factory, SqlRestoreItem item, int activityId, int parentActivityId, CancellationToken cancel)
        {
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var server = request.Server.ServerInstance;
            var database = item.Database;
            var file = item.BackupFile;
            var script = new List<SqlStatement>();
            var timeout = request.StatementTimeout is { } t ? (int)Math.Ceiling(t.TotalSeconds) : 0;
            var changed = false;
            SqlErrorContext Context(string operation) => new SqlErrorContext(server, operation, database, file);

            (SqlRestoreResult, DrException?) Result(SqlRestoreAction action, DatabaseRow? row = null, SqlCheckDbOutcome? checkDb = null, DrException? error = null) => (new SqlRestoreResult
            {
                Server = server,
                Database = database ?? string.Empty,
                BackupFile = file,
                Started = started,
                Duration = clock.Elapsed,
                Action = action,
                FinalState = row?.State,
                UserAccess = row?.UserAccess,
                CheckDb = checkDb,
                Script = SqlStatement.Script(script),
                ErrorId = error?.ErrorId,
                Error = error?.Message,
            }, error);

            SqlSession? session = null;
            try
            {
                session = await SqlSession.OpenAsync(factory, "master", Context("Connecting"), true, cancel).ConfigureAwait(false);

                async Task<IReadOnlyList<SqlServerMessage>> Run(SqlStatement statement, string operation, Action<System.Data.IDataRecord>? read = null, bool tolerate = false)
                {
                    if (statement.ChangesState) script.Add(statement);
                    _host.Verbose(server + ": " + statement.Text);
                    return await session!.ExecuteAsync(statement, timeout, Context(operation), !changed, cancel, read, tolerate).ConfigureAwait(false);
                }

                async Task<DatabaseRow?> State(string name)
                {
                    DatabaseRow? row = null;
                    await Run(DatabaseState(name), "Reading the state of database '" + name + "'", r => row = DatabaseRow.Read(r)).ConfigureAwait(false);
                    return row;
                }

                if (request.VerifyOnly)
                {
                    await Run(VerifyOnly(file), "Verifying backup '" + file + "'").ConfigureAwait(false);
                    if (database == null) await Run(HeaderOnly(file), "Reading the header of backup '" + file + "'", r => database ??= r["DatabaseName"] as string).ConfigureAwait(false);
                    return Result(SqlRestoreAction.Verified, database == null ? null : await State(database).ConfigureAwait(false));
                }

                string? inBackup = null;
                await Run(HeaderOnly(file), "Reading the header of backup '" + file + "'", r => inBackup ??= r["DatabaseName"] as string).ConfigureAwait(false);
                database ??= inBackup ?? throw Invalid("BackupHeaderEmpty", "The backup file '" + file + "' names no database.", file, DrErrorCategory.InvalidData);

                var existing = await State(database).ConfigureAwait(false);

                if (existing != null && inBackup != null && !string.Equals(inBackup, database, StringComparison.OrdinalIgnoreCase))
                {
                    throw DrException.Precondition("BackupOfDifferentDatabase", DrErrorCategory.InvalidData,
                        "The backup file '" + file + "' holds database '" + inBackup + "', not '" + database + "'; restoring it would replace '" + database + "' with another database.", database);
                }
                if (existing != null && !request.WithReplace)
                {
                    throw DrException.Precondition("DatabaseExists", DrErrorCategory.ResourceExists,
                        "Database '" + database + "' already exists on " + server + ". Overwriting it loses its current data; ask for it explicitly with WithReplace.", database);
                }

                var backupFiles = new List<(string Logical, string Physical, string Type)>();
                await Run(FileListOnly(file), "Reading the file list of backup '" + file + "'", r => backupFiles.Add((
                    Convert.ToString(r["LogicalName"], CultureInfo.InvariantCulture)!,
                    Convert.ToString(r["PhysicalName"], CultureInfo.InvariantCulture)!,
                    Convert.ToString(r["Type"], CultureInfo.InvariantCulture)!))).ConfigureAwait(false);

                string? defaultData = null, defaultLog = null;
                var mapping = request.FileMapping ?? new Dictionary<string, string>();
                bool IsLog(string type) => string.Equals(type, "L", StringComparison.OrdinalIgnoreCase);
                if (backupFiles.Any(f => !mapping.ContainsKey(f.Logical) && (IsLog(f.Type) ? request.LogDirectory : request.DataDirectory) == null))
                {
                    await Run(DefaultPaths, "Reading the server's default paths", r =>
                    {
                        defaultData = r["DataPath"] as string;
                        defaultLog = r["LogPath"] as string;
                    }).ConfigureAwait(false);
                }
                var unknown = mapping.Keys.FirstOrDefault(k => !backupFiles.Any(f => string.Equals(f.Logical, k, StringComparison.OrdinalIgnoreCase)));
                if (unknown != null && request.BackupFile != null)
                {
                    throw Invalid("LogicalFileNotInBackup", "The backup file '" + file + "' has no logical file '" + unknown + "'.", unknown);
                }
                var moves = new List<KeyValuePair<string, string>>();
                foreach (var f in backupFiles)
                {
                    var leaf = Leaf(f.Physical);
                    if (inBackup != null && !string.Equals(inBackup, database, StringComparison.OrdinalIgnoreCase) && leaf.StartsWith(inBackup, StringComparison.OrdinalIgnoreCase))
                        leaf = database + leaf.Substring(inBackup.Length);
                    var directory = IsLog(f.Type) ? request.LogDirectory ?? defaultLog : request.DataDirectory ?? defaultData;
                    var target = mapping.TryGetValue(f.Logical, out var mapped) ? mapped : directory != null ? Combine(directory, leaf) : null;
                    if (target != null) moves.Add(new KeyValuePair<string, string>(f.Logical, target));
                }

                var restore = Restore(database, file, moves, request.WithReplace, request.ProgressStep);
                var overwrite = existing != null;
                if (!_host.ShouldProcess(database, (overwrite ? "Overwrite database '" : "Restore database '") + database + "' on " + server + " from " + file))
                {
                    script.AddRange(PlannedChanges(database, restore, overwrite, request.CheckDb));
                    return Result(SqlRestoreAction.Skipped, existing);
                }
                if (overwrite && !_host.ShouldContinue(
                        "Database '" + database + "' on " + server + " will be replaced by the content of " + file + ". Everything written to it since that backup is lost.",
                        "Overwrite database '" + database + "'"))
                {
                    script.AddRange(PlannedChanges(database, restore, overwrite, request.CheckDb));
                    return Result(SqlRestoreAction.Skipped, existing);
                }

                var activity = "Restoring database '" + database + "'";
                session.MessageReceived = m =>
                {
                    var match = PercentProcessed.Match(m.Text);
                    if (m.Number == 3211 || match.Success)
                    {
                        var percent = match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
                        _host.Progress(new DrProgress(activityId, activity, m.Text) { ParentActivityId = parentActivityId, PercentComplete = Math.Min(percent, 100), CurrentOperation = file });
                    }
                    else if (!m.IsError)
                    {
                        _host.Verbose(server + " [" + database + "]: " + m.Text);
                    }
                };

                var restored = false;
                try
                {
                    if (overwrite)
                    {
                        changed = true;
                        await Run(SingleUser(database), "Setting database '" + database + "' to single-user mode").ConfigureAwait(false);
                    }
                    changed = true;
                    await Run(restore, "Restoring database '" + database + "' from '" + file + "'").ConfigureAwait(false);
                    restored = true;
                }
                finally
                {
                    if (overwrite) session = await ReturnToMultiUserAsync(factory, session, database, script, timeout).ConfigureAwait(false);
                    _host.Progress(new DrProgress(activityId, activity, restored ? "Restored" : "Stopped") { ParentActivityId = parentActivityId, Completed = true, PercentComplete = restored ? 100 : -1 });
                }

                await ProbeAsync(factory, database, Context("Opening the restored database '" + database + "'"), cancel).ConfigureAwait(false);
                var row = await State(database).ConfigureAwait(false);
                if (row == null || !string.Equals(row.State, "ONLINE", StringComparison.OrdinalIgnoreCase))
                {
                    throw new DrException("DatabaseNotOnline", DrErrorCategory.ResourceUnavailable,
                        "Database '" + database + "' was restored but is " + (row?.State ?? "missing") + ", not ONLINE.", database);
                }

                SqlCheckDbOutcome? outcome = null;
                if (request.CheckDb)
                {
                    var messages = await Run(CheckDb(database), "Checking database '" + database + "'", tolerate: true).ConfigureAwait(false);
                    var summary = messages.LastOrDefault(m => m.Number == 8989 || CheckDbSummary.IsMatch(m.Text));
                    if (summary == null)
                    {
                        if (messages.Any(m => m.IsError)) throw SqlErrorMap.FromMessages(messages, Context("Checking database '" + database + "'"), false);
                        throw new DrException("CheckDbNoSummary", DrErrorCategory.InvalidData, "DBCC CHECKDB on '" + database + "' ended without its summary line.", database);
                    }
                    var counts = CheckDbSummary.Match(summary.Text);
                    outcome = counts.Success
                        ? new SqlCheckDbOutcome(int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture), summary.Text)
                        : new SqlCheckDbOutcome(0, summary.IsError ? 1 : 0, summary.Text);
                    if (!outcome.Clean) _host.Warning(server + " [" + database + "]: " + summary.Text);
                }
                return Result(SqlRestoreAction.Restored, row, outcome);
            }
            catch (DrException e)
            {
                // A connection that could not be opened at all is not opened again to read the state.
                var reachable = e.Category != DrErrorCategory.AuthenticationError && e.Category != DrErrorCategory.ConnectionError && e.Category != DrErrorCategory.SecurityError;
                var row = reachable ? await FinalStateAfterFailureAsync(factory, database).ConfigureAwait(false) : null;
                return Result(SqlRestoreAction.Failed, row, error: e);
            }
            finally
            {
                session?.Dispose();
            }
        }

        /// <summary>The state-changing statements a run would send, for the script of a skipped run.</summary>
        private static IEnumerable<SqlStatement> PlannedChanges(string database, SqlStatement restore, bool overwrite, bool checkDb)
        {
            if (overwrite) yield return SingleUser(database);
            yield return restore;
            if (overwrite) yield return MultiUser(database);
            if (checkDb) yield return CheckDb(database);
        }

        /// <summary>Puts the database back to MULTI_USER whatever happened before: on the same connection when it is
        /// still open, else on a fresh one; never cancelled. A failure here is a warning, and the state shows in the result.</summary>
        private async Task<SqlSession> ReturnToMultiUserAsync(SqlConnectionFactory factory, SqlSession session, string database, List<SqlStatement> script, int timeout)
        {
            var statement = MultiUser(database);
            script.Add(statement);
            var context = new SqlErrorContext(factory.Server, "Returning database '" + database + "' to multi-user mode", database);
            session.MessageReceived = null;
            try
            {
                if (!session.IsUsable) session = await ReopenAsync(factory, session, context).ConfigureAwait(false);
                try
                {
                    await MultiUserOnAsync(session, statement, timeout, context).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException || e is IOException || (e is DrException d && d.Category == DrErrorCategory.ConnectionError))
                {
                    // The connection broke (for example while the attention was handled): once more on a new one.
                    session = await ReopenAsync(factory, session, context).ConfigureAwait(false);
                    await MultiUserOnAsync(session, statement, timeout, context).ConfigureAwait(false);
                }
            }
            catch (DrException e)
            {
                // For example a restore that stopped midway left the database RESTORING, where ALTER DATABASE is refused.
                _host.Warning(e.Message);
            }
            return session;
        }

        private async Task MultiUserOnAsync(SqlSession session, SqlStatement statement, int timeout, SqlErrorContext context)
        {
            _host.Verbose(context.Server + ": " + statement.Text);
            await session.ExecuteAsync(statement, timeout, context, false, CancellationToken.None).ConfigureAwait(false);
        }

        private static async Task<SqlSession> ReopenAsync(SqlConnectionFactory factory, SqlSession broken, SqlErrorContext context)
        {
            broken.Dispose();
            return await SqlSession.OpenAsync(factory, "master", context, false, CancellationToken.None).ConfigureAwait(false);
        }

        /// <summary>Done means usable: a new connection into the database answers a query.</summary>
        private static async Task ProbeAsync(SqlConnectionFactory factory, string database, SqlErrorContext context, CancellationToken cancel)
        {
            using var probe = await SqlSession.OpenAsync(factory, database, context, false, cancel).ConfigureAwait(false);
            string? answered = null;
            await probe.ExecuteAsync(Probe, 60, context, false, cancel, r => answered = r["database_name"] as string).ConfigureAwait(false);
            if (!string.Equals(answered, database, StringComparison.OrdinalIgnoreCase))
                throw new DrException("DatabaseNotUsable", DrErrorCategory.ResourceUnavailable, "Database '" + database + "' did not answer a query after the restore.", database);
        }

        /// <summary>After a failure, what sys.databases says now (best effort: null when it cannot be read).</summary>
        private static async Task<DatabaseRow?> FinalStateAfterFailureAsync(SqlConnectionFactory factory, string? database)
        {
            if (database == null) return null;
            try
            {
                using var session = await SqlSession.OpenAsync(factory, "master", new SqlErrorContext(factory.Server, "Reading the final state"), false, CancellationToken.None).ConfigureAwait(false);
                DatabaseRow? row = null;
                await session.ExecuteAsync(DatabaseState(database), 60, new SqlErrorContext(factory.Server, "Reading the final state", database), false, CancellationToken.None, r => row = DatabaseRow.Read(r)).ConfigureAwait(false);
                return row;
            }
            catch (DrException)
            {
                return null;
            }
        }

        /// <summary>The file name part of a server path, whatever the server's separator.</summary>
        private static string Leaf(string path)
        {
            var cut = Math.Max(path.LastIndexOf('\\'), path.LastIndexOf('/'));
            return cut >= 0 ? path.Substring(cut + 1) : path;
        }

        /// <summary>Joins a server directory and a file name with the separator the directory already uses.</summary>
        private static string Combine(string directory, string leaf)
        {
            var separator = directory.IndexOf('/') >= 0 && directory.IndexOf('\\') < 0 ? '/' : '\\';
            return directory.TrimEnd('\\', '/') + separator + leaf;
        }
    }
}
