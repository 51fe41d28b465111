using System;
using System.Collections.Generic;
using System.Security;

namespace AppServiceDr.Engine.Sql
{
    public enum SqlAuthenticationKind
    {
        /// <summary>Windows integrated security of the calling process.</summary>
        Integrated,
        /// <summary>A SQL Server login; the password travels as a SecureString through SqlCredential.</summary>
        SqlLogin,
        /// <summary>A Microsoft Entra access token for the database audience.</summary>
        AccessToken,
    }

    /// <summary>Where to connect and how to authenticate.</summary>
    public sealed class SqlServerConnectionInfo
    {
        public string ServerInstance { get; init; } = string.Empty;
        public SqlAuthenticationKind Authentication { get; init; } = SqlAuthenticationKind.Integrated;
        public string? UserName { get; init; }
        [Secret("Credential")]
        public SecureString? Password { get; set; }
        /// <summary>A secret: never written to messages, verbose text or results.</summary>
        [Secret("AccessToken")]
        public string? AccessToken { get; set; }
        /// <summary>On by default: the server's certificate is verified unless <see cref="TrustServerCertificate"/> says otherwise.</summary>
        public bool Encrypt { get; init; } = true;
        /// <summary>Accepts any certificate the server presents (no validation at all). Prefer <see cref="ServerCertificate"/>.</summary>
        public bool TrustServerCertificate { get; init; }
        /// <summary>Path of a certificate file (PEM or DER) holding the server's own TLS certificate, for a server whose
        /// certificate the system does not trust (self-signed, or from a private authority): the connection is accepted
        /// only when the server presents exactly this certificate (SqlClient's ServerCertificate keyword). Needs
        /// Microsoft.Data.SqlClient, so PowerShell 7; the in-box client of Windows PowerShell 5.1 cannot do it.</summary>
        public string? ServerCertificate { get; init; }
        public int ConnectTimeoutSeconds { get; init; } = 15;
    }

    /// <summary>Restore one or more SQL Server databases from full backups on disk.</summary>
    public sealed class SqlRestoreRequest
    {
        /// <summary>The two databases of App Service on Azure Stack Hub.</summary>
        public static readonly IReadOnlyList<string> AppServiceDatabases = new[] { "appservice_hosting", "appservice_metering" };

        public SqlServerConnectionInfo Server { get; init; } = new SqlServerConnectionInfo();

        /// <summary>One backup file (as the server sees the path) for one database.</summary>
        public string? BackupFile { get; init; }

        /// <summary>A folder holding <c>&lt;database&gt;*.bak</c> files; the newest file per database is used.
        /// Read from this machine, so it must be the same path the server sees (a share, or a local run).</summary>
        public string? BackupPath { get; init; }

        /// <summary>With <see cref="BackupPath"/>: the databases to restore (default: the App Service pair).
        /// With <see cref="BackupFile"/>: at most one name; when absent the name recorded in the backup is used.</summary>
        public IReadOnlyList<string>? DatabaseNames { get; init; }

        /// <summary>Overwrite a database that exists (data loss: confirmation is asked).</summary>
        public bool WithReplace { get; init; }

        public string? DataDirectory { get; init; }
        public string? LogDirectory { get; init; }

        /// <summary>Logical file name to the full physical path it should be restored to.</summary>
        public IReadOnlyDictionary<string, string>? FileMapping { get; init; }

        /// <summary>RESTORE VERIFYONLY ... WITH CHECKSUM only; nothing is restored.</summary>
        public bool VerifyOnly { get; init; }

        /// <summary>Run DBCC CHECKDB after the restore and report its outcome.</summary>
        public bool CheckDb { get; init; }

        /// <summary>Build the T-SQL script and send nothing to the server.</summary>
        public bool OutputScriptOnly { get; init; }

        /// <summary>Limit for RESTORE and DBCC CHECKDB; null means no limit (the 30-second default does not apply).</summary>
        public TimeSpan? StatementTimeout { get; init; }

        /// <summary>Filled by the pre-flight: which backup file restores which database (null: the one the file holds).</summary>
        public IReadOnlyList<SqlRestoreItem> Plan { get; set; } = Array.Empty<SqlRestoreItem>();

        /// <summary>Percentage step of the progress messages (RESTORE ... WITH STATS).</summary>
        public int ProgressStep { get; init; } = 5;
    }

    /// <summary>One database to restore and the file it comes from.</summary>
    public sealed class SqlRestoreItem
    {
        public SqlRestoreItem(string? database, string backupFile)
        {
            Database = database;
            BackupFile = backupFile;
        }

        /// <summary>Null: the database the backup file holds.</summary>
        public string? Database { get; }
        public string BackupFile { get; }
    }
}
