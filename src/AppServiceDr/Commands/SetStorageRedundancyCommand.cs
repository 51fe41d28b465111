using System.Management.Automation;
using AppServiceDr.Engine.Setup;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 004 tier 3: sets a storage account's redundancy in place (GRS to RA-GRS, or back). Idempotent: an account
    /// that already has the sku is left alone.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "StorageRedundancy", DefaultParameterSetName = SetupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(StorageRedundancyResult))]
    public sealed class SetStorageRedundancyCommand : AzureRunbookCmdlet
    {
        private const string SetupSet = "Setup";

        /// <summary>Subscription of the storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? StorageAccountName { get; set; }

        /// <summary>The redundancy wanted. Default Standard_RAGRS.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateSet("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS")]
        public string SkuName { get; set; } = "Standard_RAGRS";

        protected override void EndProcessing() =>
            Run(new StorageRedundancyRunbook(), () => new StorageRedundancyRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                StorageAccountName = StorageAccountName!,
                SkuName = SkuName,
            });
    }
}
