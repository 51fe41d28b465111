using System;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Storage;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Brings the app's storage back after a storage account failure: fails a geo-redundant account over to its
    /// secondary region, or creates a new account and puts its connection string into the Key Vault secret the
    /// app reads; then optionally restarts the app and waits until it is healthy.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "StorageRecovery", DefaultParameterSetName = FailoverSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(StorageRecoveryResult))]
    public sealed class InvokeStorageRecoveryCommand : AppRestartCmdlet
    {
        private const string FailoverSet = "Failover";
        private const string NewAccountSet = "NewAccount";
        private const string NewAccountVaultUriSet = "NewAccountVaultUri";

        /// <summary>Subscription of the failed storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FailoverSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountVaultUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the failed storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FailoverSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountVaultUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The storage account that failed.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FailoverSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountVaultUriSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? StorageAccountName { get; set; }

        /// <summary>A planned failover (no data loss; both regions must be up) instead of the customer-initiated one.</summary>
        [Parameter(ParameterSetName = FailoverSet)]
        public SwitchParameter Planned { get; set; }

        /// <summary>The region that should be primary afterwards. A run that finds the account primary there does
        /// nothing, so repeating a planned failover never fails the account back. Default: its secondary region.</summary>
        [Parameter(ParameterSetName = FailoverSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetLocation { get; set; }

        /// <summary>Create this account instead of failing over, and point the app at it through Key Vault.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet)]
        [Parameter(Mandatory = true, ParameterSetName = NewAccountVaultUriSet)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? NewStorageAccountName { get; set; }

        /// <summary>Resource group of the new account. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? NewAccountResourceGroupName { get; set; }

        /// <summary>Region of the new account. Default: the failed account's region.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? Location { get; set; }

        /// <summary>Redundancy of the new account. Default Standard_GRS.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateSet("Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")]
        public string SkuName { get; set; } = "Standard_GRS";

        /// <summary>The vault holding the app's storage connection string (public cloud, or the -Environment cloud).</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet)]
        [ValidatePattern("^[0-9a-zA-Z-]{3,24}$")]
        public string? VaultName { get; set; }

        /// <summary>The vault's URI, for Azure Stack Hub and other clouds.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountVaultUriSet)]
        [ValidateNotNull]
        public Uri? VaultUri { get; set; }

        /// <summary>The secret the app reads its storage connection string from. Default StorageConnectionString.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string SecretName { get; set; } = "StorageConnectionString";

        /// <summary>Then restart this App Service app and wait until it is healthy.</summary>
        [Parameter(ParameterSetName = FailoverSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = NewAccountSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet, ValueFromPipelineByPropertyName = true)]
        public string? WebAppName { get; set; }

        /// <summary>Resource group of the app. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = FailoverSet)]
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppResourceGroupName { get; set; }

        /// <summary>Minutes to wait for the failover or the account creation.</summary>
        [Parameter(ParameterSetName = FailoverSet)]
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = NewAccountVaultUriSet)]
        [ValidateRange(1, 10080)]
        public int TimeoutMinutes { get; set; } = 120;

        /// <summary>Do not ask before a failover that can lose data.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipDataLossPrompt => Force;

        protected override bool MayAskDataLossQuestion => !Force && (IsResume || ParameterSetName == FailoverSet && !Planned);

        protected override void EndProcessing() =>
            Run(new StorageRecoveryRunbook(), () => new StorageRecoveryRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                StorageAccountName = StorageAccountName!,
                PlannedFailover = Planned,
                TargetLocation = TargetLocation,
                NewStorageAccountName = NewStorageAccountName,
                NewAccountResourceGroupName = NewAccountResourceGroupName,
                Location = Location,
                SkuName = SkuName,
                VaultUri = VaultUri ?? (VaultName == null ? null : BuildEnvironment().VaultUri(VaultName)),
                SecretName = SecretName,
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
                RestartApp = RestartTarget(SubscriptionId, WebAppResourceGroupName ?? ResourceGroupName, WebAppName),
            });
    }
}
