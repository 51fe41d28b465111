using System;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves the point-in-time restore of an Azure SQL database: restores it to a point (24 hours ago by default) under
    /// a tagged drill name, waits until the copy is Online, runs the verify query, reports the restore point, RTO and
    /// RPO, and deletes the copy again.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "SqlPointInTimeRestore", DefaultParameterSetName = DrillSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestSqlPointInTimeRestoreCommand : AzureRunbookCmdlet
    {
        private const string DrillSet = "Drill";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string ResourceGroupName { get; set; } = "";

        /// <summary>The Azure SQL logical server.</summary>
        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string ServerName { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string DatabaseName { get; set; } = "";

        /// <summary>The point to restore to. Default: 24 hours ago.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        public DateTimeOffset PointInTime { get; set; }

        /// <summary>The copy's name (it must contain "drill" and must not exist). Default: &lt;db&gt;-drill-&lt;UTC time&gt;.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? DrillDatabaseName { get; set; }

        /// <summary>A query run in the copy once it is Online.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? VerifyQuery { get; set; }

        /// <summary>What the verify query's first column must read. Without it: not NULL, 0 or false.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNull]
        public string? ExpectedResult { get; set; }

        /// <summary>The server's own TLS certificate file, for a server this machine does not trust. PowerShell 7 only.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerCertificate { get; set; }

        /// <summary>A token for the database, needed by -VerifyQuery with -AccessToken.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? DatabaseAccessToken { get; set; }

        /// <summary>Minutes to wait for the copy to come Online (and to be deleted).</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateRange(1, 10080)]
        public int TimeoutMinutes { get; set; } = 120;

        protected override Engine.Azure.DrEnvironment? RunEnvironment()
        {
            var environment = BuildEnvironment();
            if (DatabaseAccessToken != null) environment.Credential = environment.Credential.WithDatabaseAccessToken(DatabaseAccessToken);
            return environment;
        }

        protected override void EndProcessing() =>
            Run(new SqlPointInTimeDrillRunbook(), () => new SqlPointInTimeDrillRequest
            {
                SubscriptionId = SubscriptionId,
                ResourceGroupName = ResourceGroupName,
                ServerName = ServerName,
                DatabaseName = DatabaseName,
                PointInTime = MyInvocation.BoundParameters.ContainsKey(nameof(PointInTime)) ? PointInTime : (DateTimeOffset?)null,
                DrillDatabaseName = DrillDatabaseName,
                VerifyQuery = VerifyQuery,
                ExpectedResult = ExpectedResult,
                ServerCertificate = ServerCertificate == null ? null : ResolvePath(ServerCertificate),
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
            });
    }
}
