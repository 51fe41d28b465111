using System.Management.Automation;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves that a vault's secrets can be recovered: soft delete, purge protection and retention; secrets that expire
    /// soon; soft-deleted secrets and their purge dates; and that every Key Vault reference of the app resolves. Reads
    /// only; values are never shown.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "KeyVaultRecoverability", DefaultParameterSetName = DrillSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestKeyVaultRecoverabilityCommand : AzureRunbookCmdlet
    {
        private const string DrillSet = "Drill";

        [Parameter(Mandatory = true, ParameterSetName = DrillSet, Position = 0)]
        [ValidatePattern("^[0-9a-zA-Z-]{3,24}$")]
        public string VaultName { get; set; } = "";

        /// <summary>The vault's URI, for Azure Stack Hub and other clouds. Default: from -VaultName and -Environment.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNull]
        public System.Uri? VaultUri { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; } = "";

        /// <summary>The vault's resource group.</summary>
        [Parameter(Mandatory = true, ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string ResourceGroupName { get; set; } = "";

        /// <summary>Secrets expiring within this many days are listed with a warning.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateRange(0, 3650)]
        public int ExpiringWithinDays { get; set; } = 30;

        /// <summary>An App Service app whose Key Vault references must all resolve.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        /// <summary>The app's resource group. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppResourceGroupName { get; set; }

        protected override void EndProcessing() =>
            Run(new KeyVaultDrillRunbook(), () => new KeyVaultDrillRequest
            {
                SubscriptionId = SubscriptionId,
                ResourceGroupName = ResourceGroupName,
                VaultName = VaultName,
                VaultUri = VaultUri ?? BuildEnvironment().VaultUri(VaultName),
                ExpiringWithinDays = ExpiringWithinDays,
                App = WebAppName == null ? null : new WebAppTarget { SubscriptionId = SubscriptionId, ResourceGroupName = WebAppResourceGroupName ?? ResourceGroupName, Name = WebAppName },
            });
    }
}
