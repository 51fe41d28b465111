using System;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.Storage
{
    /// <summary>
    /// Seed 004 scenario 4 (storage account failure): what to recover. Either fail the geo-redundant account
    /// over to its secondary region (the default), or, with <see cref="NewStorageAccountName"/>, create a new
    /// account and put its connection string into the vault secret the app reads.
    /// </summary>
    public sealed class StorageRecoveryRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group of the failed account.</summary>
        public string ResourceGroupName { get; set; } = "";
        public string StorageAccountName { get; set; } = "";
        /// <summary>Failover branch (default): fail the geo-redundant account over to its secondary region.
        /// Planned failover (failoverType=Planned) when true; otherwise the service's unplanned
        /// (customer-initiated) failover, which can lose the writes made after the last sync.</summary>
        public bool PlannedFailover { get; set; }
        /// <summary>Failover branch: the region that is to be primary afterwards. When the account is primary
        /// there already, nothing is done; otherwise it must be the account's secondary region. Default: the
        /// account's secondary region (and an account an earlier unplanned failover left locally redundant
        /// counts as failed over already).</summary>
        public string? TargetLocation { get; set; }
        /// <summary>New-account branch when set: create this account, put its connection string into the vault secret.</summary>
        public string? NewStorageAccountName { get; set; }
        /// <summary>Default: <see cref="ResourceGroupName"/>.</summary>
        public string? NewAccountResourceGroupName { get; set; }
        /// <summary>The new account's region. Default: the region the failed account is primary in (properties.primaryLocation).</summary>
        public string? Location { get; set; }
        public string SkuName { get; set; } = "Standard_GRS";
        /// <summary>The vault holding the app's connection string; required in the new-account branch.</summary>
        public Uri? VaultUri { get; set; }
        public string SecretName { get; set; } = "StorageConnectionString";
        /// <summary>Optional: restarted at the end (its Key Vault references are resolved again) and waited on until healthy.</summary>
        public WebAppTarget? RestartApp { get; set; }
        /// <summary>How long one operation (failover, account creation) may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);

        /// <summary>Filled by the pre-flight (failover branch): where the account is to be primary, and the failover
        /// that gets it there (Planned, Unplanned, or None when it is primary there already).</summary>
        public string? FailoverTarget { get; set; }
        public string? FailoverType { get; set; }
        /// <summary>Filled by the pre-flight (new-account branch): the new account's resource group and region.</summary>
        public string? NewAccountGroup { get; set; }
        public string? NewAccountLocation { get; set; }
    }
}
