using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Restores the App Service databases: on SQL Server from backup files (seed 000), or in Azure SQL to a
    /// point in time or from the latest geo-backup, optionally swapped in by renaming (seed 004).
    /// </summary>
    [Cmdlet(VerbsData.Restore, "AppServiceDatabase", DefaultParameterSetName = BackupPathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(SqlRestoreResult), ParameterSetName = new[] { BackupFileSet, BackupPathSet, ResumeSet })]
    [OutputType(typeof(SqlRestoreScript), ParameterSetName = new[] { BackupFileSet, BackupPathSet })]
    [OutputType(typeof(AzureSqlRestoreResult), ParameterSetName = new[] { PointInTimeSet, GeoBackupSet, ResumeSet })]
    public sealed class RestoreAppServiceDatabaseCommand : AppRestartCmdlet
    {
        private const string BackupFileSet = "BackupFile";
        private const string BackupPathSet = "BackupPath";
        private const string PointInTimeSet = "PointInTime";
        private const string GeoBackupSet = "GeoBackup";

        // ---- SQL Server ----

        /// <summary>The SQL Server instance to restore on (server, server\instance, or server,port).</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupFileSet)]
        [Parameter(Mandatory = true, ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerInstance { get; set; }

        /// <summary>A SQL login. Without it (and without -AccessToken), Windows integrated authentication is used.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>Accept the server's certificate without validating its chain. Encryption stays on. Prefer -ServerCertificate.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        public SwitchParameter TrustServerCertificate { get; set; }

        /// <summary>The server's own TLS certificate (a .cer or .pem file), for a server whose certificate this machine does
        /// not trust: the connection is accepted only when the server presents exactly this certificate. PowerShell 7 only.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerCertificate { get; set; }

        /// <summary>One backup file (as the SQL Server service sees its path).</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupFileSet)]
        [ValidateNotNullOrEmpty]
        public string? BackupFile { get; set; }

        /// <summary>A folder of backups: each database is restored from the newest &lt;name&gt;*.bak in it.</summary>
        [Parameter(Mandatory = true, ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>The databases. With -BackupPath, default: appservice_hosting and appservice_metering. In Azure SQL, exactly one.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [Parameter(Mandatory = true, ParameterSetName = PointInTimeSet)]
        [Parameter(Mandatory = true, ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string[]? DatabaseName { get; set; }

        /// <summary>Overwrite databases that exist (they are set to SINGLE_USER for the restore and always back to MULTI_USER).</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        public SwitchParameter WithReplace { get; set; }

        /// <summary>Where data files go. Default: the server's default data path.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? DataDirectory { get; set; }

        /// <summary>Where log files go. Default: the server's default log path.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNullOrEmpty]
        public string? LogDirectory { get; set; }

        /// <summary>Logical file name to physical path, for files that go somewhere specific.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateNotNull]
        public Hashtable? FileMapping { get; set; }

        /// <summary>Check the backups (RESTORE VERIFYONLY WITH CHECKSUM) and restore nothing.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        public SwitchParameter VerifyOnly { get; set; }

        /// <summary>Run DBCC CHECKDB on each restored database; the outcome is part of the result.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        public SwitchParameter CheckDb { get; set; }

        /// <summary>Write the T-SQL that would run, and touch nothing.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        public SwitchParameter OutputScriptOnly { get; set; }

        /// <summary>Seconds a RESTORE or CHECKDB statement may run; 0 (the default) means no limit.</summary>
        [Parameter(ParameterSetName = BackupFileSet)]
        [Parameter(ParameterSetName = BackupPathSet)]
        [ValidateRange(0, int.MaxValue)]
        public int StatementTimeoutSec { get; set; }

        /// <summary>Do not ask before overwriting an existing database.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        // ---- Azure SQL ----

        [Parameter(Mandatory = true, ParameterSetName = PointInTimeSet)]
        [Parameter(Mandatory = true, ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = PointInTimeSet)]
        [Parameter(Mandatory = true, ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The Azure SQL logical server of the database.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PointInTimeSet)]
        [Parameter(Mandatory = true, ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerName { get; set; }

        /// <summary>The moment to restore to (UTC or with an offset), within the database's retention.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PointInTimeSet)]
        public DateTimeOffset PointInTime { get; set; }

        /// <summary>Restore the latest geo-replicated backup, for example into the paired region.</summary>
        [Parameter(Mandatory = true, ParameterSetName = GeoBackupSet)]
        public SwitchParameter FromGeoBackup { get; set; }

        /// <summary>When the data was lost, to report the data-loss window against.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        public DateTimeOffset DeletionTime { get; set; }

        /// <summary>Name of the restored database. Default: &lt;db&gt;-restored-&lt;yyyyMMddHHmm&gt;.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetDatabaseName { get; set; }

        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetResourceGroupName { get; set; }

        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetServerName { get; set; }

        /// <summary>After the restored copy is Online, rename the original to &lt;db&gt;-old-&lt;timestamp&gt; and the copy to the original name.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        public SwitchParameter Swap { get; set; }

        /// <summary>A query run against the restored copy once it is Online (Entra ID token, encrypted connection to the
        /// server's fullyQualifiedDomainName). It passes when its first row's first column is not NULL, 0 or false;
        /// otherwise the run stops before -Swap renames anything.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? VerifyQuery { get; set; }

        /// <summary>A token for the database (Get-AzAccessToken -ResourceUrl https://database.windows.net/ -AsSecureString),
        /// used by -VerifyQuery. Needed with -AccessToken, whose Resource Manager token a database refuses.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNull]
        public SecureString? DatabaseAccessToken { get; set; }

        /// <summary>Then restart this App Service app and wait until it is healthy.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        /// <summary>Minutes to wait for the restored database to come Online.</summary>
        [Parameter(ParameterSetName = PointInTimeSet)]
        [Parameter(ParameterSetName = GeoBackupSet)]
        [ValidateRange(1, 10080)]
        public int TimeoutMinutes { get; set; } = 120;

        protected override bool SkipDataLossPrompt => Force;

        protected override bool MayAskDataLossQuestion => !Force && (WithReplace || IsResume) && !OutputScriptOnly;

        /// <summary>The path the parameters choose; with -Resume, the engine takes the runbook from the run's journal.</summary>
        protected override void EndProcessing()
        {
            switch (ParameterSetName)
            {
                case PointInTimeSet:
                case GeoBackupSet:
                    Run(new AzureSqlRestoreRunbook(), AzureSqlRequest);
                    break;
                default:
                    Run(new SqlRestoreRunbook(), SqlServerRequest);
                    break;
            }
        }

        /// <summary>-OutputScriptOnly sends nothing and journals nothing: it runs as a -WhatIf run whose steps write their T-SQL.</summary>
        protected override bool PlanOnly => OutputScriptOnly;

        /// <summary>-OutputScriptOnly writes the scripts themselves, which their view shows whole.</summary>
        protected override object Shape(object result) =>
            OutputScriptOnly && result is SqlRestoreResult r
                ? new SqlRestoreScript { Server = r.Server, Database = r.Database, BackupFile = r.BackupFile, Script = r.Script }
                : result;

        /// <summary>The Azure SQL verify query connects with a database token when one is given.</summary>
        protected override Engine.Azure.DrEnvironment? RunEnvironment()
        {
            var environment = BuildEnvironment();
            if (DatabaseAccessToken != null) environment.Credential = environment.Credential.WithDatabaseAccessToken(DatabaseAccessToken);
            return environment;
        }

        /// <summary>A SQL Server run is resumed with its login's password or token given again.</summary>
        protected override IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Credential"] = Credential?.Password, ["AccessToken"] = AccessToken };

        private SqlRestoreRequest SqlServerRequest()
        {
            NoAppToRestart();
            return new SqlRestoreRequest
            {
                Server = SqlServer(ServerInstance!, Credential, AccessToken, ServerCertificate, TrustServerCertificate),
                BackupFile = BackupFile,
                BackupPath = BackupPath == null ? null : ResolvePath(BackupPath),
                DatabaseNames = DatabaseName,
                WithReplace = WithReplace,
                DataDirectory = DataDirectory,
                LogDirectory = LogDirectory,
                FileMapping = FileMapping?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "", StringComparer.OrdinalIgnoreCase),
                VerifyOnly = VerifyOnly,
                CheckDb = CheckDb,
                OutputScriptOnly = OutputScriptOnly,
                StatementTimeout = StatementTimeoutSec == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(StatementTimeoutSec),
            };
        }

        private AzureSqlRestoreRequest AzureSqlRequest()
        {
            if (DatabaseName!.Length != 1)
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("OneAzureDatabase", DrErrorCategory.InvalidArgument, "An Azure SQL restore takes exactly one -DatabaseName.")));
            return new AzureSqlRestoreRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                ServerName = ServerName!,
                DatabaseName = DatabaseName[0],
                PointInTime = ParameterSetName == PointInTimeSet ? PointInTime : (DateTimeOffset?)null,
                FromGeoBackup = FromGeoBackup,
                DeletionTime = MyInvocation.BoundParameters.ContainsKey(nameof(DeletionTime)) ? DeletionTime : (DateTimeOffset?)null,
                TargetDatabaseName = TargetDatabaseName,
                TargetResourceGroupName = TargetResourceGroupName,
                TargetServerName = TargetServerName,
                Swap = Swap,
                VerifyQuery = VerifyQuery,
                ServerCertificate = ServerCertificate == null ? null : ResolvePath(ServerCertificate),
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
                RestartApp = RestartTarget(SubscriptionId, ResourceGroupName, WebAppName),
            };
        }
    }
}
