using System;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves SQL Server backups the App Service databases restore from: RESTORE VERIFYONLY, a restore under a scratch
    /// drill name with its files relocated, DBCC CHECKDB, the verify query, and DROP DATABASE of the copy; reports each
    /// backup's age (RPO) and restore time (RTO).
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "SqlBackupFile", DefaultParameterSetName = BackupPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestSqlBackupFileCommand : RunbookCmdlet
    {
        private const string BackupFileSet = "BackupFile";
        private const string BackupPathSet = "BackupPath";

        /// <summary>The SQL Server instance (server, server\instance, or server,port).</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupFileSet)]
        [Parameter(Mandatory = true, ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string ServerInstance { get; set; } = "";

        /// <summary>A SQL login. Without it (and without -AccessToken), Windows integrated authentication is used.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>A Microsoft Entra token for the server.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? AccessToken { get; set; }

        /// <summary>The server's own TLS certificate file, for a server this machine does not trust. PowerShell 7 only.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerCertificate { get; set; }

        /// <summary>One backup file (as the SQL Server service sees its path).</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupFileSet)]
        [ValidateNotNullOrEmpty]
        public string? BackupFile { get; set; }

        /// <summary>A folder of backups: the newest &lt;name&gt;*.bak per database is proved.</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupPathSet, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>The databases. Default: appservice_hosting and appservice_metering (with -BackupPath).</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string[]? DatabaseName { get; set; }

        /// <summary>Where the copies' data files go. Default: the server's default data path.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? DataDirectory { get; set; }

        /// <summary>Where the copies' log files go. Default: the server's default log path.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? LogDirectory { get; set; }

        /// <summary>A query run in each restored copy.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? VerifyQuery { get; set; }

        /// <summary>What the verify query's first column must read. Without it: not NULL, 0 or false.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNull]
        public string? ExpectedResult { get; set; }

        /// <summary>Seconds a RESTORE or CHECKDB may run; 0 (the default) means no limit.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateRange(0, int.MaxValue)]
        public int StatementTimeoutSec { get; set; }

        protected override System.Collections.Generic.IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new System.Collections.Generic.Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Credential"] = Credential?.Password, ["AccessToken"] = AccessToken };

        protected override void EndProcessing() =>
            Run(new SqlBackupDrillRunbook(), () => new SqlBackupDrillRequest
            {
                Server = SqlServer(ServerInstance, Credential, AccessToken, ServerCertificate),
                BackupFile = BackupFile,
                BackupPath = BackupPath == null ? null : ResolvePath(BackupPath),
                DatabaseNames = DatabaseName,
                DataDirectory = DataDirectory,
                LogDirectory = LogDirectory,
                VerifyQuery = VerifyQuery,
                ExpectedResult = ExpectedResult,
                StatementTimeout = StatementTimeoutSec == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(StatementTimeoutSec),
            });
    }
}
