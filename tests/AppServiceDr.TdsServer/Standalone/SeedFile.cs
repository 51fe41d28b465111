using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AppServiceDr.TdsServer.Standalone
{
    /// <summary>
    /// The JSON file given to <c>--seed</c>: what the in-process API sets up (logins, access tokens, databases,
    /// backup files, default paths), read into a server before it accepts connections. Unknown members are
    /// refused, so a misspelt name fails the start instead of being ignored. The README shows the shape.
    /// </summary>
    public sealed class SeedFile
    {
        public string? ServerName { get; set; }
        public string? DefaultDataPath { get; set; }
        public string? DefaultLogPath { get; set; }
        public int? DefaultRestoreDurationMs { get; set; }
        public SimEncryption? Encryption { get; set; }
        public List<SeedLogin> Logins { get; set; } = new List<SeedLogin>();
        public List<SeedAccessToken> AccessTokens { get; set; } = new List<SeedAccessToken>();
        public List<SeedDatabase> Databases { get; set; } = new List<SeedDatabase>();
        public List<SeedBackup> Backups { get; set; } = new List<SeedBackup>();

        private static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Converters = { new JsonStringEnumConverter() },
        };

        public static SeedFile Read(string path)
        {
            try
            {
                return JsonSerializer.Deserialize<SeedFile>(File.ReadAllText(path), Options)
                    ?? throw new InvalidDataException("The seed file " + path + " is empty.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException("The seed file " + path + " is not in the expected shape: " + e.Message, e);
            }
        }

        /// <summary>Puts everything the file declares into <paramref name="server"/>.</summary>
        public void ApplyTo(SimSqlServer server)
        {
            if (ServerName != null) server.ServerName = ServerName;
            if (DefaultDataPath != null) server.Catalog.DefaultDataPath = DefaultDataPath;
            if (DefaultLogPath != null) server.Catalog.DefaultLogPath = DefaultLogPath;
            if (DefaultRestoreDurationMs.HasValue) server.DefaultRestoreDuration = TimeSpan.FromMilliseconds(DefaultRestoreDurationMs.Value);
            if (Encryption.HasValue) server.Encryption = Encryption.Value;
            foreach (var login in Logins) server.AddLogin(Required(login.Name, "logins[].name"), Required(login.Password, "logins[].password"));
            foreach (var token in AccessTokens) server.AddAccessToken(Required(token.Token, "accessTokens[].token"), Required(token.Principal, "accessTokens[].principal"), token.ExpiresOn);
            foreach (var database in Databases) server.Catalog.AddDatabase(database.ToDatabase());
            foreach (var backup in Backups) server.Catalog.AddBackup(backup.ToBackup());
        }

        internal static string Required(string? value, string what) =>
            string.IsNullOrEmpty(value) ? throw new InvalidDataException("The seed file needs " + what + ".") : value;
    }

    public sealed class SeedLogin
    {
        public string? Name { get; set; }
        public string? Password { get; set; }
    }

    public sealed class SeedAccessToken
    {
        public string? Token { get; set; }
        public string? Principal { get; set; }
        public DateTimeOffset? ExpiresOn { get; set; }
    }

    public sealed class SeedFileEntry
    {
        public string? LogicalName { get; set; }
        public string? PhysicalName { get; set; }
        /// <summary>D (data) or L (log).</summary>
        public string Type { get; set; } = "D";
        public long SizeBytes { get; set; } = 8L * 1024 * 1024;

        internal SimFile ToFile()
        {
            if (Type != "D" && Type != "L") throw new InvalidDataException("A file's type is D (data) or L (log), not '" + Type + "'.");
            return new SimFile(SeedFile.Required(LogicalName, "files[].logicalName"), SeedFile.Required(PhysicalName, "files[].physicalName"), Type[0], SizeBytes);
        }
    }

    /// <summary>One modelled query: a session in the database that sends <see cref="Query"/> gets a one-column result
    /// set with these rows (none for an empty list).</summary>
    public sealed class SeedAnswer
    {
        public string? Query { get; set; }
        public string Column { get; set; } = string.Empty;
        public TdsColumnType Type { get; set; } = TdsColumnType.NVarChar;
        public List<JsonElement> Values { get; set; } = new List<JsonElement>();

        internal object? Value(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null) return null;
            return Type switch
            {
                TdsColumnType.Int => value.GetInt32(),
                TdsColumnType.BigInt => value.GetInt64(),
                TdsColumnType.Bit => value.GetBoolean(),
                TdsColumnType.Numeric20 => value.GetDecimal(),
                _ => value.GetString(),
            };
        }
    }

    public sealed class SeedDatabase
    {
        public string? Name { get; set; }
        public SimDatabaseState State { get; set; } = SimDatabaseState.Online;
        public SimUserAccess UserAccess { get; set; } = SimUserAccess.MultiUser;
        public List<SeedFileEntry> Files { get; set; } = new List<SeedFileEntry>();
        public int OtherSessions { get; set; }
        public int ConsistencyErrors { get; set; }
        public List<SeedAnswer> Answers { get; set; } = new List<SeedAnswer>();

        internal SimDatabase ToDatabase()
        {
            var database = new SimDatabase(SeedFile.Required(Name, "databases[].name"), Files.Select(f => f.ToFile()).ToArray())
            {
                State = State,
                UserAccess = UserAccess,
                OtherSessions = OtherSessions,
                ConsistencyErrors = ConsistencyErrors,
            };
            foreach (var answer in Answers)
            {
                var column = new TdsColumn(answer.Column, answer.Type, 4000);
                database.Answer(SeedFile.Required(answer.Query, "answers[].query"), column, answer.Values.Select(answer.Value).ToArray());
            }
            return database;
        }
    }

    /// <summary>A backup file on the server's disks. Without <see cref="Files"/>: the data and log file of a typical backup.</summary>
    public sealed class SeedBackup
    {
        public string? Path { get; set; }
        public string? Database { get; set; }
        public List<SeedFileEntry>? Files { get; set; }
        public SimBackupCondition Condition { get; set; } = SimBackupCondition.Present;
        public int? RestoreDurationMs { get; set; }
        public int? FailAtPercent { get; set; }
        public int? DropConnectionAtPercent { get; set; }
        public int ConsistencyErrors { get; set; }
        /// <summary>What a database restored from this backup answers (as a database's answers).</summary>
        public List<SeedAnswer> Answers { get; set; } = new List<SeedAnswer>();

        internal SimBackup ToBackup()
        {
            var path = SeedFile.Required(Path, "backups[].path");
            var database = SeedFile.Required(Database, "backups[].database");
            var backup = Files == null ? SimBackup.Typical(path, database) : new SimBackup(path, database, Files.Select(f => f.ToFile()).ToArray());
            backup.Condition = Condition;
            backup.RestoreDuration = RestoreDurationMs.HasValue ? TimeSpan.FromMilliseconds(RestoreDurationMs.Value) : (TimeSpan?)null;
            backup.FailAtPercent = FailAtPercent;
            backup.DropConnectionAtPercent = DropConnectionAtPercent;
            backup.ConsistencyErrors = ConsistencyErrors;
            foreach (var answer in Answers)
                backup.Content.Answer(SeedFile.Required(answer.Query, "backups[].answers[].query"), new TdsColumn(answer.Column, answer.Type, 4000), answer.Values.Select(answer.Value).ToArray());
            return backup;
        }
    }
}
