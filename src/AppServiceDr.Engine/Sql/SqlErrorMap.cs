using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>A message from the server, whether it arrived as an exception or as an InfoMessage event.</summary>
    internal sealed class SqlServerMessage
    {
        public SqlServerMessage(int number, byte @class, string text)
        {
            Number = number;
            Class = @class;
            Text = text;
        }

        public int Number { get; }
        public byte Class { get; }
        public string Text { get; }
        public bool IsError => Class > 10;
    }

    /// <summary>What was being done when SQL Server answered with an error: used for the message and the target.</summary>
    internal sealed class SqlErrorContext
    {
        public SqlErrorContext(string server, string operation, string? database = null, string? backupFile = null)
        {
            Server = server;
            Operation = operation;
            Database = database;
            BackupFile = backupFile;
        }

        public string Server { get; }
        public string Operation { get; }
        public string? Database { get; }
        public string? BackupFile { get; }
    }

    /// <summary>The one place where SQL Server errors become DrExceptions with stable ids.</summary>
    internal static class SqlErrorMap
    {
        /// <summary>Messages that only repeat that an earlier, more specific one ended the statement.</summary>
        private static readonly HashSet<int> Trailers = new HashSet<int> { 3013, 3119, 3156, 5069, 18456 };

        private static readonly Dictionary<int, (string Id, DrErrorCategory Category, char Target)> Known = new Dictionary<int, (string, DrErrorCategory, char)>
        {
            // Target: S = server, D = database, F = backup file.
            [18456] = ("LoginFailed", DrErrorCategory.AuthenticationError, 'S'),
            [18452] = ("LoginFailed", DrErrorCategory.AuthenticationError, 'S'),
            [18470] = ("LoginFailed", DrErrorCategory.AuthenticationError, 'S'),
            [18486] = ("LoginFailed", DrErrorCategory.AuthenticationError, 'S'),
            [18488] = ("LoginFailed", DrErrorCategory.AuthenticationError, 'S'),
            [4060] = ("DatabaseNotAccessible", DrErrorCategory.ResourceUnavailable, 'D'),
            [924] = ("DatabaseNotAccessible", DrErrorCategory.ResourceUnavailable, 'D'),
            [927] = ("DatabaseRestoring", DrErrorCategory.ResourceUnavailable, 'D'),
            [5052] = ("DatabaseRestoring", DrErrorCategory.ResourceUnavailable, 'D'),
            [3241] = ("BackupFileCorrupt", DrErrorCategory.InvalidData, 'F'),
            [3189] = ("BackupFileCorrupt", DrErrorCategory.InvalidData, 'F'),
            [3203] = ("BackupFileCorrupt", DrErrorCategory.InvalidData, 'F'),
            [3183] = ("BackupFileCorrupt", DrErrorCategory.InvalidData, 'F'),
            [3242] = ("BackupFileCorrupt", DrErrorCategory.InvalidData, 'F'),
            [3154] = ("BackupOfDifferentDatabase", DrErrorCategory.InvalidData, 'D'),
            [3159] = ("DatabaseExists", DrErrorCategory.ResourceExists, 'D'),
            [1834] = ("DatabaseFileConflict", DrErrorCategory.ResourceExists, 'D'),
            [3234] = ("LogicalFileNotInBackup", DrErrorCategory.InvalidArgument, 'F'),
            [3101] = ("ExclusiveAccessDenied", DrErrorCategory.ResourceBusy, 'D'),
            [3102] = ("ExclusiveAccessDenied", DrErrorCategory.ResourceBusy, 'D'),
            [5061] = ("ExclusiveAccessDenied", DrErrorCategory.ResourceBusy, 'D'),
            [5011] = ("DatabaseNotFound", DrErrorCategory.ObjectNotFound, 'D'),
            [2520] = ("DatabaseNotFound", DrErrorCategory.ObjectNotFound, 'D'),
            [911] = ("DatabaseNotFound", DrErrorCategory.ObjectNotFound, 'D'),
            [262] = ("PermissionDenied", DrErrorCategory.PermissionDenied, 'D'),
            [229] = ("PermissionDenied", DrErrorCategory.PermissionDenied, 'D'),
            [3110] = ("PermissionDenied", DrErrorCategory.PermissionDenied, 'D'),
            [-2] = ("StatementTimeout", DrErrorCategory.OperationTimeout, 'D'),
        };

        /// <summary>Connection-level failures (network, TLS, instance not found).</summary>
        private static readonly HashSet<int> Unreachable = new HashSet<int> { -1, 2, 20, 53, 121, 233, 10053, 10054, 10060, 10061, 11001 };

        public static DrException FromException(SqlClient.SqlException exception, IEnumerable<SqlServerMessage> earlier, SqlErrorContext context, bool precondition)
        {
            var messages = earlier.Where(m => m.IsError).ToList();
            foreach (SqlClient.SqlError e in exception.Errors) messages.Add(new SqlServerMessage(e.Number, e.Class, e.Message));
            if (messages.Count == 0) messages.Add(new SqlServerMessage(exception.Number, exception.Class, exception.Message));
            return FromMessages(messages, context, precondition, exception);
        }

        public static DrException FromMessages(IReadOnlyList<SqlServerMessage> messages, SqlErrorContext context, bool precondition, Exception? inner = null)
        {
            var errors = messages.Where(m => m.IsError).ToList();
            if (errors.Count == 0) errors = messages.ToList();
            var primary = errors.FirstOrDefault(m => !Trailers.Contains(m.Number)) ?? errors.First();

            string id;
            DrErrorCategory category;
            object? target;
            if (primary.Number == 3201)
            {
                // Cannot open backup device: "Operating system error 2" (file) or 3 (path) means it is not there.
                var missing = primary.Text.IndexOf("error 2(", StringComparison.Ordinal) >= 0 || primary.Text.IndexOf("error 3(", StringComparison.Ordinal) >= 0;
                var denied = primary.Text.IndexOf("error 5(", StringComparison.Ordinal) >= 0;
                id = missing ? "BackupFileNotFound" : denied ? "BackupFileAccessDenied" : "BackupDeviceError";
                category = missing ? DrErrorCategory.ObjectNotFound : denied ? DrErrorCategory.PermissionDenied : DrErrorCategory.ReadError;
                target = context.BackupFile;
            }
            else if (Known.TryGetValue(primary.Number, out var known))
            {
                id = known.Id;
                category = known.Category;
                target = known.Target switch { 'S' => context.Server, 'F' => context.BackupFile, _ => context.Database };
            }
            else if (Unreachable.Contains(primary.Number) || primary.Class >= 20)
            {
                id = "ServerUnreachable";
                category = DrErrorCategory.ConnectionError;
                target = context.Server;
            }
            else
            {
                id = "SqlServerError";
                category = DrErrorCategory.InvalidOperation;
                target = context.Database ?? context.Server;
            }
            target ??= context.Database ?? context.Server;

            var message = context.Operation + " failed on " + context.Server + ": " + primary.Text
                + " (SQL Server error " + primary.Number.ToString(CultureInfo.InvariantCulture) + ")";
            var details = errors.Where(e => e != primary && !Trailers.Contains(e.Number)).Select(e => e.Text).ToList();
            if (details.Count > 0) message += " " + string.Join(" ", details);
            return new DrException(id, category, message, target, inner) { IsPrecondition = precondition };
        }
    }
}
