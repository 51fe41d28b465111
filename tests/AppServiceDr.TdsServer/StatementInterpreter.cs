using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer
{
    /// <summary>
    /// The part of T-SQL this server understands: the catalog queries, RESTORE FILELISTONLY / HEADERONLY /
    /// VERIFYONLY / DATABASE, ALTER DATABASE ... SET SINGLE_USER / MULTI_USER, DBCC CHECKDB, USE and simple
    /// probes. Values may be literals or @variables bound by sp_executesql. Anything else gets error 102.
    /// </summary>
    internal sealed class StatementInterpreter
    {
        private const string Value = @"(?:@\w+|N?'(?:[^']|'')*')";
        private const string Ident = @"(?:\[(?:[^\]]|\]\])*\]|[A-Za-z_][\w$#@]*)";
        private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant;

        private static readonly Regex RestoreInfo = new Regex(@"^RESTORE\s+(?<kind>FILELISTONLY|HEADERONLY|VERIFYONLY)\s+FROM\s+DISK\s*=\s*(?<disk>" + Value + @")(?:\s+WITH\s+(?<with>.+))?$", Options);
        private static readonly Regex RestoreDatabase = new Regex(@"^RESTORE\s+DATABASE\s+(?<db>" + Ident + "|" + Value + @")\s+FROM\s+DISK\s*=\s*(?<disk>" + Value + @")(?:\s+WITH\s+(?<with>.+))?$", Options);
        private static readonly Regex AlterUserAccess = new Regex(@"^ALTER\s+DATABASE\s+(?<db>" + Ident + @")\s+SET\s+(?<mode>SINGLE_USER|MULTI_USER)(?:\s+WITH\s+(?<term>ROLLBACK\s+IMMEDIATE|NO_WAIT))?$", Options);
        private static readonly Regex CheckDb = new Regex(@"^DBCC\s+CHECKDB\s*\(\s*(?<db>" + Ident + "|" + Value + @")\s*\)(?:\s+WITH\s+(?<with>.+))?$", Options);
        private static readonly Regex DropDatabase = new Regex(@"^DROP\s+DATABASE\s+(?<ifexists>IF\s+EXISTS\s+)?(?<db>" + Ident + ")$", Options);
        private static readonly Regex Use = new Regex(@"^USE\s+(?<db>" + Ident + ")$", Options);
        private static readonly Regex Select = new Regex(@"^SELECT\s+(?<list>.+?)(?:\s+FROM\s+sys\.databases(?:\s+WHERE\s+name\s*=\s*(?<name>" + Value + @"))?(?:\s+ORDER\s+BY\s+name)?)?$", Options);
        private static readonly Regex Alias = new Regex(@"^(?<expr>.+?)(?:\s+AS\s+(?<alias>" + Ident + "))?$", Options);
        private static readonly Regex ServerProperty = new Regex(@"^(?:CAST\(\s*SERVERPROPERTY\(\s*N?'(?<p>\w+)'\s*\)\s+AS\s+nvarchar\(\s*\d+\s*\)\s*\)|SERVERPROPERTY\(\s*N?'(?<p>\w+)'\s*\))$", Options);
        private static readonly Regex Move = new Regex(@"^MOVE\s+(?<from>" + Value + @")\s+TO\s+(?<to>" + Value + ")$", Options);
        private static readonly Regex Stats = new Regex(@"^STATS(?:\s*=\s*(?<n>\d+))?$", Options);

        private readonly SimSqlServer _server;

        public StatementInterpreter(SimSqlServer server)
        {
            _server = server;
        }

        private SimCatalog Catalog => _server.Catalog;

        public async Task ExecuteBatchAsync(TdsConnection connection, Reply reply, string text, IReadOnlyList<RpcParameter> parameters)
        {
            var statements = SplitTopLevel(text, ';').Where(s => s.Length > 0).ToList();
            if (statements.Count == 0)
            {
                reply.EndStatement(null, false, true);
                await reply.FinishAsync().ConfigureAwait(false);
                return;
            }
            for (var i = 0; i < statements.Count; i++)
            {
                var record = _server.Record(connection, statements[i], parameters);
                var run = new Run(connection, reply, parameters);
                try
                {
                    await ExecuteOneAsync(run, statements[i]).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _server.Finish(record, StatementOutcome.Cancelled, null);
                    throw;
                }
                catch (Exception)
                {
                    _server.Finish(record, StatementOutcome.Failed, null);
                    throw;
                }
                _server.Finish(record, run.FirstError.HasValue ? StatementOutcome.Failed : StatementOutcome.Completed, run.FirstError);
                var last = i == statements.Count - 1 || run.FirstError.HasValue;
                reply.EndStatement(run.RowCount, run.FirstError.HasValue, last);
                if (last) break;
            }
            await reply.FinishAsync().ConfigureAwait(false);
        }

        /// <summary>State kept while one statement runs.</summary>
        private sealed class Run
        {
            public Run(TdsConnection connection, Reply reply, IReadOnlyList<RpcParameter> parameters)
            {
                Connection = connection;
                Reply = reply;
                Parameters = parameters;
            }

            public TdsConnection Connection { get; }
            public Reply Reply { get; }
            public IReadOnlyList<RpcParameter> Parameters { get; }
            public int? FirstError { get; private set; }
            public long? RowCount { get; set; }

            public void Info(int number, string text, byte @class = 0, byte state = 1) => Reply.Message(new SqlMessage(number, @class, state, text));

            /// <summary>Sends error messages; the first one's number is the statement's failure.</summary>
            public void Fail(params SqlMessage[] messages)
            {
                foreach (var m in messages)
                {
                    if (!FirstError.HasValue && m.Class > 10) FirstError = m.Number;
                    Reply.Message(m);
                }
            }

            /// <summary>Resolves an @variable bound by sp_executesql or a string literal.</summary>
            public bool TryValue(string token, out string value)
            {
                if (token.StartsWith("@", StringComparison.Ordinal))
                {
                    var p = Parameters.FirstOrDefault(x => string.Equals(x.Name, token, StringComparison.OrdinalIgnoreCase));
                    if (p == null)
                    {
                        Fail(new SqlMessage(137, 15, 2, "Must declare the scalar variable \"" + token + "\"."));
                        value = string.Empty;
                        return false;
                    }
                    value = Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty;
                    return true;
                }
                var start = token.IndexOf('\'');
                value = token.Substring(start + 1, token.Length - start - 2).Replace("''", "'");
                return true;
            }

            /// <summary>A name written as an identifier ([quoted] or plain) or as a value.</summary>
            public bool TryName(string token, out string name)
            {
                if (token.StartsWith("[", StringComparison.Ordinal))
                {
                    name = token.Substring(1, token.Length - 2).Replace("]]", "]");
                    return true;
                }
                if (token.StartsWith("@", StringComparison.Ordinal) || token.EndsWith("'", StringComparison.Ordinal)) return TryValue(token, out name);
                name = token;
                return true;
            }
        }

        private async Task ExecuteOneAsync(Run run, string sql)
        {
            Match m;
            if (Catalog.FindDatabase(run.Connection.Database)?.FindAnswer(sql) is { } answer)
            {
                run.Reply.ResultSet(answer.Columns, answer.Rows);
                run.RowCount = answer.Rows.Count;
            }
            else if ((m = RestoreDatabase.Match(sql)).Success)
            {
                await RestoreAsync(run, m).ConfigureAwait(false);
            }
            else if ((m = RestoreInfo.Match(sql)).Success)
            {
                RestoreInformation(run, m);
            }
            else if ((m = AlterUserAccess.Match(sql)).Success)
            {
                AlterDatabase(run, m);
            }
            else if ((m = CheckDb.Match(sql)).Success)
            {
                CheckDatabase(run, m);
            }
            else if ((m = Use.Match(sql)).Success)
            {
                UseDatabase(run, m);
            }
            else if ((m = DropDatabase.Match(sql)).Success)
            {
                Drop(run, m);
            }
            else if ((m = Select.Match(sql)).Success && TrySelect(run, m))
            {
                // answered
            }
            else
            {
                var near = sql.Split(new[] { ' ', '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? sql;
                run.Fail(new SqlMessage(102, 15, 1, "Incorrect syntax near '" + near + "'."));
            }
        }

        // ---- connection checks -------------------------------------------------------------------------

        /// <summary>Why a session may not enter <paramref name="database"/>, or null when it may.</summary>
        public SqlMessage? CheckCanOpen(string database, int connectionId)
        {
            lock (Catalog.Sync)
            {
                var db = Catalog.FindDatabase(database);
                if (db == null || db.State != SimDatabaseState.Online)
                    return new SqlMessage(4060, 11, 1, "Cannot open database \"" + database + "\" requested by the login. The login failed.");
                if (db.UserAccess == SimUserAccess.SingleUser && (db.OtherSessions > 0 || _server.SessionsIn(db.Name).Any(c => c.Id != connectionId)))
                    return new SqlMessage(924, 14, 1, "Database '" + db.Name + "' is already open and can only have one user at a time.");
                return null;
            }
        }

        private void UseDatabase(Run run, Match m)
        {
            run.TryName(m.Groups["db"].Value, out var name);
            if (Catalog.FindDatabase(name) == null)
            {
                run.Fail(new SqlMessage(911, 16, 1, "Database '" + name + "' does not exist. Make sure that the name is entered correctly."));
                return;
            }
            var refusal = CheckCanOpen(name, run.Connection.Id);
            if (refusal != null)
            {
                run.Fail(refusal);
                return;
            }
            var old = run.Connection.Database;
            run.Connection.Database = Catalog.FindDatabase(name)!.Name;
            run.Reply.EnvChange(TdsProtocol.EnvDatabase, run.Connection.Database, old);
            run.Info(5701, "Changed database context to '" + run.Connection.Database + "'.", 0, 1);
        }

        // ---- SELECT ------------------------------------------------------------------------------------

        private bool TrySelect(Run run, Match m)
        {
            var fromDatabases = sqlHasFrom(m);
            var items = new List<(TdsColumn Column, Func<SimDatabase?, object?> Eval)>();
            foreach (var raw in SplitTopLevel(m.Groups["list"].Value, ','))
            {
                var am = Alias.Match(raw);
                var expr = am.Groups["expr"].Value.Trim();
                string alias = am.Groups["alias"].Success ? Unbracket(am.Groups["alias"].Value) : string.Empty;
                Match sp;
                if (Regex.IsMatch(expr, @"^-?\d+$"))
                {
                    var n = int.Parse(expr, CultureInfo.InvariantCulture);
                    items.Add((new TdsColumn(alias, TdsColumnType.Int), _ => n));
                }
                else if (Regex.IsMatch(expr, @"^DB_NAME\(\s*\)$", Options))
                {
                    var current = run.Connection.Database;
                    items.Add((new TdsColumn(alias, TdsColumnType.NVarChar), _ => current));
                }
                else if ((sp = ServerProperty.Match(expr)).Success)
                {
                    var value = Property(sp.Groups["p"].Value);
                    items.Add((new TdsColumn(alias, TdsColumnType.NVarChar, 4000), _ => value));
                }
                else if (fromDatabases && DatabaseColumn(expr) is { } column)
                {
                    items.Add((new TdsColumn(alias.Length > 0 ? alias : column.Name, column.Type, 128), column.Eval));
                }
                else
                {
                    return false;
                }
            }

            var rows = new List<IReadOnlyList<object?>>();
            if (!fromDatabases)
            {
                rows.Add(items.Select(i => i.Eval(null)).ToList());
            }
            else
            {
                string? name = null;
                if (m.Groups["name"].Success && !run.TryValue(m.Groups["name"].Value, out name)) return true;
                lock (Catalog.Sync)
                {
                    foreach (var db in Catalog.Databases.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        if (name != null && !string.Equals(db.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
                        rows.Add(items.Select(i => i.Eval(db)).ToList());
                    }
                }
            }
            run.Reply.ResultSet(items.Select(i => i.Column).ToList(), rows);
            run.RowCount = rows.Count;
            return true;

            static bool sqlHasFrom(Match match) => match.Value.IndexOf("sys.databases", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        private static (string Name, TdsColumnType Type, Func<SimDatabase?, object?> Eval)? DatabaseColumn(string expr)
        {
            switch (expr.ToLowerInvariant())
            {
                case "name": return ("name", TdsColumnType.NVarChar, d => d!.Name);
                case "state_desc": return ("state_desc", TdsColumnType.NVarChar, d => StateDesc(d!.State));
                case "user_access_desc": return ("user_access_desc", TdsColumnType.NVarChar, d => UserAccessDesc(d!.UserAccess));
                default: return null;
            }
        }

        /// <summary>sys.databases.state_desc.</summary>
        internal static string StateDesc(SimDatabaseState state) => state switch
        {
            SimDatabaseState.Online => "ONLINE",
            SimDatabaseState.Restoring => "RESTORING",
            _ => "OFFLINE",
        };

        /// <summary>sys.databases.user_access_desc.</summary>
        internal static string UserAccessDesc(SimUserAccess access) => access == SimUserAccess.SingleUser ? "SINGLE_USER" : "MULTI_USER";

        private string? Property(string name) => name.ToLowerInvariant() switch
        {
            "instancedefaultdatapath" => Catalog.DefaultDataPath,
            "instancedefaultlogpath" => Catalog.DefaultLogPath,
            "servername" => _server.ServerName,
            "productversion" => "15.0.2000.5",
            "edition" => "Developer Edition (64-bit)",
            _ => null,
        };

        // ---- RESTORE FILELISTONLY / HEADERONLY / VERIFYONLY ----------------------------------------------

        private static readonly TdsColumn[] FileListColumns =
        {
            new TdsColumn("LogicalName", TdsColumnType.NVarChar, 128),
            new TdsColumn("PhysicalName", TdsColumnType.NVarChar, 260),
            new TdsColumn("Type", TdsColumnType.NVarChar, 1),
            new TdsColumn("FileGroupName", TdsColumnType.NVarChar, 128),
            new TdsColumn("Size", TdsColumnType.Numeric20),
            new TdsColumn("MaxSize", TdsColumnType.Numeric20),
            new TdsColumn("FileId", TdsColumnType.BigInt),
        };

        private static readonly TdsColumn[] HeaderColumns =
        {
            new TdsColumn("BackupName", TdsColumnType.NVarChar, 128),
            new TdsColumn("BackupType", TdsColumnType.Int),
            new TdsColumn("DatabaseName", TdsColumnType.NVarChar, 128),
            new TdsColumn("ServerName", TdsColumnType.NVarChar, 128),
            new TdsColumn("Position", TdsColumnType.Int),
            new TdsColumn("RecoveryModel", TdsColumnType.NVarChar, 60),
        };

        private static SqlMessage Terminating(string what) => new SqlMessage(3013, 16, 1, what + " is terminating abnormally.");

        private static SqlMessage CannotOpen(string path) =>
            new SqlMessage(3201, 16, 2, "Cannot open backup device '" + path + "'. Operating system error 2(The system cannot find the file specified.).");

        private static SqlMessage BadMedia(string path) =>
            new SqlMessage(3241, 16, 0, "The media family on device '" + path + "' is incorrectly formed. SQL Server cannot process this media family.");

        /// <summary>The backup at <paramref name="path"/> when it can be read; otherwise sends the errors and returns null.</summary>
        private SimBackup? OpenBackup(Run run, string path, string what)
        {
            var backup = Catalog.FindBackup(path);
            if (backup == null || backup.Condition == SimBackupCondition.Missing)
            {
                run.Fail(CannotOpen(path), Terminating(what));
                return null;
            }
            if (backup.Condition == SimBackupCondition.Corrupt)
            {
                run.Fail(what == "VERIFY DATABASE" ? new SqlMessage(3189, 16, 1, "Damage to the backup set was detected.") : BadMedia(path), Terminating(what));
                return null;
            }
            return backup;
        }

        private void RestoreInformation(Run run, Match m)
        {
            if (!run.TryValue(m.Groups["disk"].Value, out var path)) return;
            var kind = m.Groups["kind"].Value.ToUpperInvariant();
            var options = m.Groups["with"].Success ? SplitTopLevel(m.Groups["with"].Value, ',') : new List<string>();
            foreach (var option in options)
            {
                var known = option.ToUpperInvariant() is "CHECKSUM" or "NO_CHECKSUM" or "FILE = 1" or "FILE=1";
                if (!known)
                {
                    run.Fail(new SqlMessage(155, 15, 1, "'" + option + "' is not a recognized RESTORE option."));
                    return;
                }
            }
            switch (kind)
            {
                case "FILELISTONLY":
                {
                    var backup = OpenBackup(run, path, "RESTORE FILELIST");
                    if (backup == null) return;
                    var rows = backup.Files.Select((f, i) => (IReadOnlyList<object?>)new object?[]
                    {
                        f.LogicalName, f.PhysicalName, f.Type.ToString(), f.Type == 'D' ? "PRIMARY" : null, f.SizeBytes, 35184372080640L, (long)(i + 1),
                    }).ToList();
                    run.Reply.ResultSet(FileListColumns, rows);
                    run.RowCount = rows.Count;
                    break;
                }
                case "HEADERONLY":
                {
                    var backup = OpenBackup(run, path, "RESTORE HEADERONLY");
                    if (backup == null) return;
                    run.Reply.ResultSet(HeaderColumns, new[] { (IReadOnlyList<object?>)new object?[] { backup.DatabaseName + "-Full Database Backup", 1, backup.DatabaseName, _server.ServerName, 1, "FULL" } });
                    run.RowCount = 1;
                    break;
                }
                default:
                {
                    var backup = OpenBackup(run, path, "VERIFY DATABASE");
                    if (backup == null) return;
                    run.Info(3262, "The backup set on file 1 is valid.");
                    break;
                }
            }
        }

        // ---- RESTORE DATABASE --------------------------------------------------------------------------

        private async Task RestoreAsync(Run run, Match m)
        {
            if (!run.TryName(m.Groups["db"].Value, out var name) || !run.TryValue(m.Groups["disk"].Value, out var path)) return;
            var moves = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var replace = false;
            var noRecovery = false;
            int? stats = null;
            foreach (var option in m.Groups["with"].Success ? SplitTopLevel(m.Groups["with"].Value, ',') : new List<string>())
            {
                Match om;
                if ((om = Move.Match(option)).Success)
                {
                    if (!run.TryValue(om.Groups["from"].Value, out var logical) || !run.TryValue(om.Groups["to"].Value, out var physical)) return;
                    moves[logical] = physical;
                }
                else if ((om = Stats.Match(option)).Success)
                {
                    stats = om.Groups["n"].Success ? int.Parse(om.Groups["n"].Value, CultureInfo.InvariantCulture) : 10;
                }
                else if (option.Equals("REPLACE", StringComparison.OrdinalIgnoreCase)) replace = true;
                else if (option.Equals("NORECOVERY", StringComparison.OrdinalIgnoreCase)) noRecovery = true;
                else if (option.Equals("RECOVERY", StringComparison.OrdinalIgnoreCase) || option.Equals("CHECKSUM", StringComparison.OrdinalIgnoreCase)) { }
                else
                {
                    run.Fail(new SqlMessage(155, 15, 1, "'" + option + "' is not a recognized RESTORE option."));
                    return;
                }
            }
            if (stats is <= 0 or > 100)
            {
                run.Fail(new SqlMessage(3220, 16, 1, "The STATS option value must be between 1 and 100."), Terminating("RESTORE DATABASE"));
                return;
            }

            var backup = OpenBackup(run, path, "RESTORE DATABASE");
            if (backup == null) return;

            SimDatabase? existing;
            SimDatabaseState previousState;
            var targets = new List<SimFile>();
            lock (Catalog.Sync)
            {
                existing = Catalog.FindDatabase(name);
                foreach (var logical in moves.Keys)
                {
                    if (!backup.Files.Any(f => string.Equals(f.LogicalName, logical, StringComparison.OrdinalIgnoreCase)))
                    {
                        run.Fail(new SqlMessage(3234, 16, 2, "Logical file '" + logical + "' is not part of database '" + backup.DatabaseName + "'. Use RESTORE FILELISTONLY to list the logical file names."), Terminating("RESTORE DATABASE"));
                        return;
                    }
                }
                if (existing != null && !replace)
                {
                    if (!string.Equals(existing.Name, backup.DatabaseName, StringComparison.OrdinalIgnoreCase))
                        run.Fail(new SqlMessage(3154, 16, 4, "The backup set holds a backup of a database other than the existing '" + existing.Name + "' database."), Terminating("RESTORE DATABASE"));
                    else
                        run.Fail(new SqlMessage(3159, 16, 1, "The tail of the log for the database \"" + existing.Name + "\" has not been backed up. Use BACKUP LOG WITH NORECOVERY to backup the log if it contains work you do not want to lose. Use the WITH REPLACE or WITH STOPAT clause of the RESTORE statement to just overwrite the contents of the log."), Terminating("RESTORE DATABASE"));
                    return;
                }
                var conflicts = new List<SqlMessage>();
                foreach (var f in backup.Files)
                {
                    var target = moves.TryGetValue(f.LogicalName, out var moved) ? moved : f.PhysicalName;
                    targets.Add(new SimFile(f.LogicalName, target, f.Type, f.SizeBytes));
                    var owner = Catalog.Databases.FirstOrDefault(d => !string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)
                        && d.Files.Any(x => string.Equals(x.PhysicalName, target, StringComparison.OrdinalIgnoreCase)));
                    if (owner != null)
                    {
                        conflicts.Add(new SqlMessage(1834, 16, 4, "The file '" + target + "' cannot be overwritten.  It is being used by database '" + owner.Name + "'."));
                        conflicts.Add(new SqlMessage(3156, 16, 4, "File '" + f.LogicalName + "' cannot be restored to '" + target + "'. Use WITH MOVE to identify a valid location for the file."));
                    }
                }
                if (conflicts.Count > 0)
                {
                    conflicts.Add(new SqlMessage(3119, 16, 1, "Problems were identified while planning for the RESTORE statement. Previous messages provide details."));
                    conflicts.Add(Terminating("RESTORE DATABASE"));
                    run.Fail(conflicts.ToArray());
                    return;
                }
                if (existing != null)
                {
                    if (string.Equals(run.Connection.Database, existing.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        run.Fail(new SqlMessage(3102, 16, 1, "RESTORE cannot process database '" + existing.Name + "' because it is in use by this session. It is recommended that the master database be used when performing this operation."), Terminating("RESTORE DATABASE"));
                        return;
                    }
                    if (existing.OtherSessions > 0 || _server.SessionsIn(existing.Name).Count > 0)
                    {
                        run.Fail(new SqlMessage(3101, 16, 1, "Exclusive access could not be obtained because the database is in use."), Terminating("RESTORE DATABASE"));
                        return;
                    }
                    previousState = existing.State;
                    existing.State = SimDatabaseState.Restoring;
                }
                else
                {
                    previousState = SimDatabaseState.Offline;
                    Catalog.Replace(new SimDatabase(name) { State = SimDatabaseState.Restoring });
                }
            }

            // An aborted restore (attention or read error) puts the previous copy back, or removes the new name.
            void Revert()
            {
                lock (Catalog.Sync)
                {
                    if (existing != null)
                    {
                        existing.State = previousState;
                        Catalog.Replace(existing);
                    }
                    else
                    {
                        Catalog.Remove(name);
                    }
                }
            }

            var duration = backup.RestoreDuration ?? _server.DefaultRestoreDuration;
            try
            {
                var started = _server.RestoreStarted?.Invoke(name);
                if (started != null) await WithCancel(started, run.Reply.Cancel).ConfigureAwait(false);
                var steps = new List<int>();
                if (stats.HasValue)
                {
                    for (var p = stats.Value; p < 100; p += stats.Value) steps.Add(p);
                    steps.Add(100);
                }
                else
                {
                    steps.Add(100);
                }
                var elapsed = TimeSpan.Zero;
                foreach (var percent in steps)
                {
                    var due = TimeSpan.FromTicks(duration.Ticks * percent / 100);
                    await run.Reply.DelayAsync(due - elapsed).ConfigureAwait(false);
                    elapsed = due;
                    if (backup.FailAtPercent.HasValue && percent >= backup.FailAtPercent.Value)
                    {
                        Revert();
                        run.Fail(new SqlMessage(3203, 16, 1, "Read on \"" + path + "\" failed: 23(Data error (cyclic redundancy check).)"), Terminating("RESTORE DATABASE"));
                        return;
                    }
                    if (backup.DropConnectionAtPercent.HasValue && percent >= backup.DropConnectionAtPercent.Value)
                    {
                        Revert();
                        run.Connection.Kill();
                        throw new System.IO.IOException("The session was dropped on purpose.");
                    }
                    if (stats.HasValue)
                    {
                        run.Info(3211, percent.ToString(CultureInfo.InvariantCulture) + " percent processed.", 10);
                        await run.Reply.FlushAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                Revert();
                throw;
            }

            lock (Catalog.Sync)
            {
                var restored = new SimDatabase(name, targets.ToArray())
                {
                    State = noRecovery ? SimDatabaseState.Restoring : SimDatabaseState.Online,
                    RestoredFrom = backup.Path,
                    ConsistencyErrors = backup.ConsistencyErrors,
                };
                restored.TakeAnswersOf(backup.Content);
                Catalog.Replace(restored);
            }
            long totalPages = 0;
            foreach (var f in targets)
            {
                var pages = f.SizeBytes / 8192;
                totalPages += pages;
                run.Info(4035, "Processed " + pages.ToString(CultureInfo.InvariantCulture) + " pages for database '" + name + "', file '" + f.LogicalName + "' on file 1.");
            }
            var seconds = Math.Max(duration.TotalSeconds, 0.001);
            var rate = totalPages * 8192.0 / (1024 * 1024) / seconds;
            run.Info(3014, "RESTORE DATABASE successfully processed " + totalPages.ToString(CultureInfo.InvariantCulture) + " pages in "
                + seconds.ToString("0.000", CultureInfo.InvariantCulture) + " seconds (" + rate.ToString("0.000", CultureInfo.InvariantCulture) + " MB/sec).");
        }

        private static async Task WithCancel(Task task, System.Threading.CancellationToken cancel)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancel.Register(() => cancelled.TrySetCanceled(cancel)))
            {
                await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
            }
        }

        // ---- DROP DATABASE -----------------------------------------------------------------------------

        /// <summary>DROP DATABASE [x]: 3701 when it does not exist (nothing with IF EXISTS), 3702 while a session other
        /// than this one is in it, and the connection's own database cannot be dropped either (it is in use).</summary>
        private void Drop(Run run, Match m)
        {
            run.TryName(m.Groups["db"].Value, out var name);
            lock (Catalog.Sync)
            {
                var db = Catalog.FindDatabase(name);
                if (db == null)
                {
                    if (!m.Groups["ifexists"].Success)
                        run.Fail(new SqlMessage(3701, 11, 1, "Cannot drop the database '" + name + "', because it does not exist or you do not have permission."));
                    return;
                }
                var inUse = db.OtherSessions > 0 || _server.SessionsIn(db.Name).Count > 0;
                if (inUse)
                {
                    run.Fail(new SqlMessage(3702, 16, 4, "Cannot drop database \"" + db.Name + "\" because it is currently in use."));
                    return;
                }
                Catalog.Remove(db.Name);
            }
        }

        // ---- ALTER DATABASE / DBCC CHECKDB -------------------------------------------------------------

        private void AlterDatabase(Run run, Match m)
        {
            run.TryName(m.Groups["db"].Value, out var name);
            var single = m.Groups["mode"].Value.Equals("SINGLE_USER", StringComparison.OrdinalIgnoreCase);
            var rollback = m.Groups["term"].Success && m.Groups["term"].Value.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase);
            var failed = new SqlMessage(5069, 16, 1, "ALTER DATABASE statement failed.");
            List<TdsConnection> victims;
            lock (Catalog.Sync)
            {
                var db = Catalog.FindDatabase(name);
                if (db == null)
                {
                    run.Fail(new SqlMessage(5011, 14, 5, "User does not have permission to alter database '" + name + "', the database does not exist, or the database is not in a state that allows access checks."), failed);
                    return;
                }
                if (db.State == SimDatabaseState.Restoring)
                {
                    run.Fail(new SqlMessage(5052, 16, 1, "ALTER DATABASE is not permitted while a database is in the Restoring state."), failed);
                    return;
                }
                victims = _server.SessionsIn(db.Name).Where(c => c.Id != run.Connection.Id).ToList();
                if (single && (victims.Count > 0 || db.OtherSessions > 0))
                {
                    if (!rollback)
                    {
                        run.Fail(new SqlMessage(5061, 16, 1, "ALTER DATABASE failed because a lock could not be placed on database '" + db.Name + "'. Try again later."), failed);
                        return;
                    }
                    db.OtherSessions = 0;
                }
                else
                {
                    victims.Clear();
                }
                db.UserAccess = single ? SimUserAccess.SingleUser : SimUserAccess.MultiUser;
            }
            foreach (var v in victims) v.Kill();
            if (single && rollback) run.Info(5060, "Nonqualified transactions are being rolled back. Estimated rollback completion: 100%.", 10);
        }

        private void CheckDatabase(Run run, Match m)
        {
            if (!run.TryName(m.Groups["db"].Value, out var name)) return;
            SimDatabase? db;
            lock (Catalog.Sync) db = Catalog.FindDatabase(name);
            if (db == null)
            {
                run.Fail(new SqlMessage(2520, 16, 1, "Could not find database '" + name + "'. The database either does not exist, or was dropped before a statement tried to use it. Verify if the database exists by querying the sys.databases catalog view."));
                return;
            }
            if (db.State != SimDatabaseState.Online)
            {
                run.Fail(new SqlMessage(927, 14, 2, "Database '" + db.Name + "' cannot be opened. It is in the middle of a restore."));
                return;
            }
            var errors = db.ConsistencyErrors;
            for (var i = 0; i < errors; i++)
            {
                run.Fail(new SqlMessage(8928, 16, 1, "Object ID 565577053, partition ID 72057594043695104, alloc unit ID 72057594048937984 (type In-row data): Page (1:"
                    + (312 + i).ToString(CultureInfo.InvariantCulture) + ") could not be processed.  See other errors for details."));
            }
            var summary = new SqlMessage(8989, errors > 0 ? (byte)16 : (byte)0, 1, "CHECKDB found 0 allocation errors and "
                + errors.ToString(CultureInfo.InvariantCulture) + " consistency errors in database '" + db.Name + "'.");
            if (errors > 0) run.Fail(summary); else run.Reply.Message(summary);
            run.Info(2528, "DBCC execution completed. If DBCC printed error messages, contact your system administrator.");
        }

        // ---- text helpers ------------------------------------------------------------------------------

        private static string Unbracket(string token) =>
            token.StartsWith("[", StringComparison.Ordinal) ? token.Substring(1, token.Length - 2).Replace("]]", "]") : token;

        /// <summary>Splits on <paramref name="separator"/> outside quotes, brackets and parentheses; trims the parts.</summary>
        internal static List<string> SplitTopLevel(string text, char separator)
        {
            var parts = new List<string>();
            var current = new StringBuilder();
            var depth = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '\'' || c == '[')
                {
                    var close = c == '\'' ? '\'' : ']';
                    current.Append(c);
                    i++;
                    while (i < text.Length)
                    {
                        current.Append(text[i]);
                        if (text[i] == close)
                        {
                            if (i + 1 < text.Length && text[i + 1] == close)
                            {
                                current.Append(text[++i]);
                            }
                            else
                            {
                                break;
                            }
                        }
                        i++;
                    }
                    continue;
                }
                if (c == '(') depth++;
                if (c == ')') depth--;
                if (c == separator && depth == 0)
                {
                    parts.Add(current.ToString().Trim());
                    current.Clear();
                    continue;
                }
                current.Append(c);
            }
            parts.Add(current.ToString().Trim());
            return parts;
        }
    }
}
