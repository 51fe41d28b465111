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

        /// <summary>Connection-level failures (network, instance not found).</summary>
        private static readonly HashSet<int> Unreachable = new HashSet<int> { -1, 2, 53, 121, 233, 10053, 10054, 10060, 10061, 11001 };

        /// <summary>SqlClient's number when one side offers no encryption and the other needs it.</summary>
        private const int EncryptionNotSupported = 20;

        // What the TLS layer reports when the server's certificate is refused: the SSPI and CryptoAPI codes of an
        // untrusted chain or a name that does not match (SqlClient's managed networking reports both as the first,
        // with an AuthenticationException that says which).
        private const int UntrustedRoot = unchecked((int)0x80090325);
        private const int CertificateUntrustedRoot = unchecked((int)0x800B0109);
        private const int WrongPrincipal = unchecked((int)0x80090322);
        private const int CertificateNameMismatch = unchecked((int)0x800B010F);

        public static DrException FromException(SqlClient.SqlException exception, IEnumerable<SqlServerMessage> earlier, SqlErrorContext context, bool precondition)
        {
            var refusal = SecurityRefusal(exception, context, precondition);
            if (refusal != null) return refusal;
            var messages = earlier.Where(m => m.IsError).ToList();
            foreach (SqlClient.SqlError e in exception.Errors) messages.Add(new SqlServerMessage(e.Number, e.Class, e.Message));
            if (messages.Count == 0) messages.Add(new SqlServerMessage(exception.Number, exception.Class, exception.Message));
            return FromMessages(messages, context, precondition, exception);
        }

        /// <summary>The connection failed because TLS could not be agreed on or the server's certificate was refused:
        /// a security matter, never something to retry, so it gets an id of its own instead of ServerUnreachable.</summary>
        private static DrException? SecurityRefusal(SqlClient.SqlException exception, SqlErrorContext context, bool precondition)
        {
            var numbers = exception.Errors.Cast<SqlClient.SqlError>().Select(e => e.Number).Append(exception.Number).ToList();
            // The TLS layer's own account, when it refused the server's certificate (any other handshake failure is
            // left to the connection-level mapping below).
            var tls = exception.InnerException as System.Security.Authentication.AuthenticationException;
            if (tls != null && !Mentions(tls.Message, "certificate")) tls = null;
            var detail = tls?.Message.Trim() ?? exception.Message;
            string id;
            string message;
            if (numbers.Contains(EncryptionNotSupported))
            {
                id = "EncryptionNotSupported";
                message = "The connection to " + context.Server + " was refused: one side does not support encryption and the other requires it. "
                    + "AppServiceDr always encrypts; give the SQL Server instance a TLS certificate. (" + exception.Message + ")";
            }
            else if (numbers.Contains(WrongPrincipal) || numbers.Contains(CertificateNameMismatch)
                || (tls != null && Mentions(detail, "name mismatch") && !Mentions(detail, "chain")))
            {
                id = "ServerCertificateNameMismatch";
                message = "The TLS certificate of " + context.Server + " was refused: it is not issued for the name connected to. "
                    + "Connect with a name the certificate lists. (" + detail + ")";
            }
            else if (tls != null || numbers.Contains(UntrustedRoot) || numbers.Contains(CertificateUntrustedRoot))
            {
                id = "ServerCertificateNotTrusted";
                message = "The TLS certificate of " + context.Server + " was refused: this machine does not trust it. "
                    + "Trust its issuer, or pass the server's own certificate file (ServerCertificate). (" + detail + ")";
            }
            else
            {
                return null;
            }
            return new DrException(id, DrErrorCategory.SecurityError, context.Operation + " failed: " + message, context.Server, exception) { IsPrecondition = precondition };
        }

        private static bool Mentions(string text, string words) => text.IndexOf(words, StringComparison.OrdinalIgnoreCase) >= 0;

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
