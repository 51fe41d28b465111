using System;
using System.Management.Automation;
using AppServiceDr.Engine.Setup;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 004 tier 3: makes a geo-replica of each database on a partner server in another region and puts them in a
    /// failover group; reports the listener connection string the app should use. Idempotent: a second run changes
    /// nothing.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "SqlFailoverGroup", DefaultParameterSetName = SetupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SqlFailoverGroupSetupResult))]
    public sealed class SetSqlFailoverGroupCommand : AzureRunbookCmdlet
    {
        private const string SetupSet = "Setup";

        /// <summary>Subscription of both servers.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the primary server.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The primary server, whose databases are replicated.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ServerName { get; set; }

        /// <summary>The databases to replicate and put in the group.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] DatabaseName { get; set; } = new string[0];

        /// <summary>The server in another region that holds the replicas.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? PartnerServerName { get; set; }

        /// <summary>Resource group of the partner server. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? PartnerResourceGroupName { get; set; }

        /// <summary>The failover group; its name becomes the listener's host name.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? FailoverGroupName { get; set; }

        /// <summary>Automatic (default): the service fails over after the grace period. Manual: only on request.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateSet("Automatic", "Manual")]
        public string FailoverPolicy { get; set; } = "Automatic";

        /// <summary>Hours of outage before an automatic failover that can lose data. Default 1.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 8760)]
        public int GracePeriodHours { get; set; } = 1;

        /// <summary>Minutes to wait for each replica and for the group.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 10080)]
        public int TimeoutMinutes { get; set; } = 120;

        protected override void EndProcessing() =>
            Run(new SqlFailoverGroupSetupRunbook(), () => new SqlFailoverGroupSetupRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                ServerName = ServerName!,
                DatabaseNames = DatabaseName,
                PartnerServerName = PartnerServerName!,
                PartnerResourceGroupName = PartnerResourceGroupName,
                FailoverGroupName = FailoverGroupName!,
                FailoverPolicy = FailoverPolicy,
                GracePeriod = TimeSpan.FromHours(GracePeriodHours),
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
            });
    }
}
