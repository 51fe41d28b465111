using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.TdsServer
{
    public enum SimDatabaseState { Online, Restoring, Offline }

    public enum SimUserAccess { MultiUser, SingleUser }

    public enum SimBackupCondition { Present, Missing, Corrupt }

    /// <summary>One file of a database or of a backup set: logical name, physical path, D (data) or L (log).</summary>
    public sealed class SimFile
    {
        public SimFile(string logicalName, string physicalName, char type, long sizeBytes = 8L * 1024 * 1024)
        {
            LogicalName = logicalName;
            PhysicalName = physicalName;
            Type = type;
            SizeBytes = sizeBytes;
        }

        public string LogicalName { get; }
        public string PhysicalName { get; }
        public char Type { get; }
        public long SizeBytes { get; }
    }

    public sealed class SimDatabase
    {
        public SimDatabase(string name, params SimFile[] files)
        {
            Name = name;
            _files = files.ToList();
        }

        private SimDatabaseState _state = SimDatabaseState.Online;
        private SimUserAccess _userAccess = SimUserAccess.MultiUser;
        private List<SimFile> _files;

        /// <summary>The catalog that lists this database, told of every change to its state, access or files.</summary>
        internal SimCatalog? Owner { get; set; }

        public string Name { get; }

        public SimDatabaseState State
        {
            get => _state;
            set
            {
                _state = value;
                Owner?.NotifyChanged();
            }
        }

        public SimUserAccess UserAccess
        {
            get => _userAccess;
            set
            {
                _userAccess = value;
                Owner?.NotifyChanged();
            }
        }

        public List<SimFile> Files
        {
            get => _files;
            set
            {
                _files = value;
                Owner?.NotifyChanged();
            }
        }

        /// <summary>Sessions outside the TDS server's own connections (applications) that hold the database open.
        /// They block exclusive access until SINGLE_USER WITH ROLLBACK IMMEDIATE throws them out.</summary>
        public int OtherSessions { get; set; }
        /// <summary>What DBCC CHECKDB finds.</summary>
        public int ConsistencyErrors { get; set; }
        /// <summary>The backup file the current content came from, when restored here.</summary>
        public string? RestoredFrom { get; set; }

        private readonly Dictionary<string, SimQueryAnswer> _answers = new Dictionary<string, SimQueryAnswer>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Models the database's content for one query: a session in this database that sends
        /// <paramref name="query"/> (compared without regard to case or runs of white space) gets this result set.
        /// Setting it again replaces the answer, as a change to the data would.</summary>
        public void Answer(string query, TdsColumn column, params object?[] firstColumnValues)
        {
            var answer = new SimQueryAnswer(new[] { column }, firstColumnValues.Select(v => (IReadOnlyList<object?>)new[] { v }).ToList());
            lock (_answers) _answers[SimQueryAnswer.Normalize(query)] = answer;
        }

        internal SimQueryAnswer? FindAnswer(string query)
        {
            lock (_answers) return _answers.TryGetValue(SimQueryAnswer.Normalize(query), out var a) ? a : null;
        }

        /// <summary>Takes every modelled answer of <paramref name="content"/>, as a restore brings the backup's data along.</summary>
        internal void TakeAnswersOf(SimContent content)
        {
            lock (_answers)
                foreach (var pair in content.Answers) _answers[pair.Key] = pair.Value;
        }
    }

    /// <summary>What a backup holds for queries: the answers a database restored from it gives.</summary>
    public sealed class SimContent
    {
        internal Dictionary<string, SimQueryAnswer> Answers { get; } = new Dictionary<string, SimQueryAnswer>(StringComparer.OrdinalIgnoreCase);

        /// <summary>A database restored from this backup answers <paramref name="query"/> with these rows (as <see cref="SimDatabase.Answer"/>).</summary>
        public void Answer(string query, TdsColumn column, params object?[] firstColumnValues) =>
            Answers[SimQueryAnswer.Normalize(query)] = new SimQueryAnswer(new[] { column }, firstColumnValues.Select(v => (IReadOnlyList<object?>)new[] { v }).ToList());
    }

    /// <summary>A result set a database gives for a query that <see cref="SimDatabase.Answer"/> modelled.</summary>
    internal sealed class SimQueryAnswer
    {
        public SimQueryAnswer(IReadOnlyList<TdsColumn> columns, IReadOnlyList<IReadOnlyList<object?>> rows)
        {
            Columns = columns;
            Rows = rows;
        }

        public IReadOnlyList<TdsColumn> Columns { get; }
        public IReadOnlyList<IReadOnlyList<object?>> Rows { get; }

        public static string Normalize(string query) =>
            string.Join(" ", query.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
    }

    public sealed class SimBackup
    {
        public SimBackup(string path, string databaseName, params SimFile[] files)
        {
            Path = path;
            DatabaseName = databaseName;
            Files = files.ToList();
        }

        public string Path { get; }
        public string DatabaseName { get; }
        public List<SimFile> Files { get; }
        public SimBackupCondition Condition { get; set; } = SimBackupCondition.Present;
        /// <summary>How long RESTORE DATABASE takes; null uses the server default.</summary>
        public TimeSpan? RestoreDuration { get; set; }
        /// <summary>A read error at this percentage aborts the restore (error 3203); the previous copy stays.</summary>
        public int? FailAtPercent { get; set; }
        /// <summary>At this percentage the server drops the client's connection, as a network failure would;
        /// the previous copy stays.</summary>
        public int? DropConnectionAtPercent { get; set; }
        /// <summary>What DBCC CHECKDB finds in a database restored from this backup.</summary>
        public int ConsistencyErrors { get; set; }
        /// <summary>The data the backup holds, as the queries a database restored from it answers.</summary>
        public SimContent Content { get; } = new SimContent();

        /// <summary>The two files of a typical database backup, with paths under a Windows data folder.</summary>
        public static SimBackup Typical(string path, string databaseName, string folder = @"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\DATA") =>
            new SimBackup(path, databaseName,
                new SimFile(databaseName, folder + @"\" + databaseName + ".mdf", 'D', 64L * 1024 * 1024),
                new SimFile(databaseName + "_log", folder + @"\" + databaseName + "_log.ldf", 'L', 16L * 1024 * 1024));
    }

    /// <summary>The server's state: databases, backup files on its disks, default paths. Guarded by <see cref="Sync"/>.</summary>
    public sealed class SimCatalog
    {
        private readonly Dictionary<string, SimDatabase> _databases = new Dictionary<string, SimDatabase>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, SimBackup> _backups = new Dictionary<string, SimBackup>(StringComparer.OrdinalIgnoreCase);

        public object Sync { get; } = new object();
        public string DefaultDataPath { get; set; } = @"D:\SqlData\";
        public string DefaultLogPath { get; set; } = @"L:\SqlLogs\";

        /// <summary>Raised after every change to the list of databases or to a listed database's state, access or
        /// files, on the thread that made it, while <see cref="Sync"/> may be held.</summary>
        public event Action? Changed;

        internal void NotifyChanged() => Changed?.Invoke();

        public SimDatabase AddDatabase(SimDatabase database)
        {
            Replace(database);
            return database;
        }

        public SimBackup AddBackup(SimBackup backup)
        {
            lock (Sync) _backups[backup.Path] = backup;
            return backup;
        }

        public SimDatabase? FindDatabase(string name)
        {
            lock (Sync) return _databases.TryGetValue(name, out var d) ? d : null;
        }

        public SimBackup? FindBackup(string path)
        {
            lock (Sync) return _backups.TryGetValue(path, out var b) ? b : null;
        }

        public IReadOnlyList<SimDatabase> Databases
        {
            get { lock (Sync) return _databases.Values.ToList(); }
        }

        internal void Replace(SimDatabase database)
        {
            lock (Sync)
            {
                if (_databases.TryGetValue(database.Name, out var previous) && previous != database) previous.Owner = null;
                _databases[database.Name] = database;
                database.Owner = this;
                NotifyChanged();
            }
        }

        /// <summary>Forgets a database (as DROP DATABASE would), for example between benchmark rounds.</summary>
        public void Remove(string name)
        {
            lock (Sync)
            {
                if (!_databases.TryGetValue(name, out var removed)) return;
                _databases.Remove(name);
                removed.Owner = null;
                NotifyChanged();
            }
        }
    }

    /// <summary>One message the server sends: an INFO token for class 10 and below, else an ERROR token.</summary>
    public sealed class SqlMessage
    {
        public SqlMessage(int number, byte @class, byte state, string text, int lineNumber = 1)
        {
            Number = number;
            Class = @class;
            State = state;
            Text = text;
            LineNumber = lineNumber;
        }

        public int Number { get; }
        public byte Class { get; }
        public byte State { get; }
        public string Text { get; }
        public int LineNumber { get; }

        public override string ToString() => "Msg " + Number + ", Level " + Class + ", State " + State + ": " + Text;
    }

    public enum SimAuthentication { SqlLogin, AccessToken, Integrated }

    /// <summary>Why a federated-authentication token was refused.</summary>
    public enum AccessTokenRefusal { None, Unknown, Expired }

    internal sealed class SimAccessToken
    {
        public SimAccessToken(string principal, DateTimeOffset? expiresOn)
        {
            Principal = principal;
            ExpiresOn = expiresOn;
        }

        public string Principal { get; }
        public DateTimeOffset? ExpiresOn { get; }
    }

    /// <summary>One login attempt: the principal (the SQL login, or the one a token stands for; empty when a token was
    /// not recognised), how it authenticated, the database asked for, and the error number when it failed.</summary>
    public sealed class RecordedLogin
    {
        internal RecordedLogin(int connectionId, string principal, SimAuthentication authentication, string database, int? errorNumber, AccessTokenRefusal tokenRefusal)
        {
            ConnectionId = connectionId;
            Principal = principal;
            Authentication = authentication;
            Database = database;
            ErrorNumber = errorNumber;
            TokenRefusal = tokenRefusal;
        }

        public int ConnectionId { get; }
        public string Principal { get; }
        public SimAuthentication Authentication { get; }
        public string Database { get; }
        public int? ErrorNumber { get; }
        public bool Succeeded => ErrorNumber == null;
        public AccessTokenRefusal TokenRefusal { get; }
    }

    /// <summary>One TCP connection: how much of it was encrypted, with which TLS version, and why its handshake
    /// failed when it did. Updated while the connection runs.</summary>
    public sealed class RecordedSession
    {
        internal RecordedSession(int connectionId)
        {
            ConnectionId = connectionId;
        }

        public int ConnectionId { get; }
        public SessionEncryption Encryption { get; internal set; }
        /// <summary>The TLS version the handshake settled on; None without TLS.</summary>
        public System.Security.Authentication.SslProtocols TlsProtocol { get; internal set; }
        /// <summary>Why the TLS handshake failed (for example the client refused the certificate); null otherwise.</summary>
        public string? TlsFailure { get; internal set; }
    }

    public enum StatementOutcome { Running, Completed, Failed, Cancelled }

    /// <summary>What a client sent: the text, its parameters by name (with their declared types), how it ended.</summary>
    public sealed class RecordedStatement
    {
        internal RecordedStatement(int connectionId, string login, string database, string text, IReadOnlyList<RpcParameter> parameters)
        {
            ConnectionId = connectionId;
            Login = login;
            Database = database;
            Text = text;
            Parameters = parameters;
        }

        public int ConnectionId { get; }
        /// <summary>When the statement arrived (UTC).</summary>
        public DateTime Received { get; } = DateTime.UtcNow;
        public string Login { get; }
        /// <summary>The connection's database context when the statement arrived.</summary>
        public string Database { get; }
        public string Text { get; }
        public IReadOnlyList<RpcParameter> Parameters { get; }
        public StatementOutcome Outcome { get; internal set; }
        /// <summary>Number of the first error sent back, when the statement failed.</summary>
        public int? ErrorNumber { get; internal set; }

        public object? Parameter(string name) =>
            Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

        public override string ToString() => Text;
    }
}
