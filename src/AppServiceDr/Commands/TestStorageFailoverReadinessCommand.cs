using System;
using System.Management.Automation;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves a storage account could fail over now: geo-redundant, able to fail over, no failover running, and its
    /// last sync within the RPO target. Reads only.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "StorageFailoverReadiness", DefaultParameterSetName = DrillSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestStorageFailoverReadinessCommand : AzureRunbookCmdlet
    {
        private const string DrillSet = "Drill";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet, Position = 0)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string StorageAccountName { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string ResourceGroupName { get; set; } = "";

        /// <summary>The largest acceptable time since the last sync. Default: 15 minutes.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        public TimeSpan RpoTarget { get; set; } = TimeSpan.FromMinutes(15);

        protected override void EndProcessing() =>
            Run(new StorageReadinessDrillRunbook(), () => new StorageReadinessDrillRequest
            {
                SubscriptionId = SubscriptionId,
                ResourceGroupName = ResourceGroupName,
                StorageAccountName = StorageAccountName,
                RpoTarget = RpoTarget,
            });
    }
}
