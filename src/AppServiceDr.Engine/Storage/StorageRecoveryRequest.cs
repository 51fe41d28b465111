using System;
using AppServiceDr.Engine.AppService;

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
    }

    /// <summary>What a storage recovery did.</summary>
    public enum StorageRecoveryAction
    {
        /// <summary>The account was failed over; it is primary in its former secondary region.</summary>
        FailedOver,
        /// <summary>Nothing was changed: the account is already primary where wanted (failover branch), or the
        /// new account exists and the secret already holds its connection string (new-account branch).</summary>
        AlreadyPrimary,
        /// <summary>The new account was created (or finished) and the secret set to its connection string.</summary>
        Created,
        /// <summary>Not changed: -WhatIf, or a question was answered no.</summary>
        Skipped,
        /// <summary>A step failed; <see cref="StorageRecoveryResult.ErrorId"/> says which and why.</summary>
        Failed,
    }

    /// <summary>The outcome of one storage recovery run. Never carries an account key or a connection string.</summary>
    public sealed class StorageRecoveryResult
    {
        /// <summary>The account the app uses afterwards (the new one in the new-account branch).</summary>
        public string StorageAccountName { get; set; } = "";
        public StorageRecoveryAction Action { get; set; }
        /// <summary>The account's primary region after the run.</summary>
        public string? PrimaryLocation { get; set; }
        /// <summary>Failover branch: the last time the secondary was in sync before the failover.</summary>
        public DateTimeOffset? LastSyncTime { get; set; }
        /// <summary>Failover branch: the start of the run minus <see cref="LastSyncTime"/> for an unplanned
        /// failover (writes in that window may be lost); zero for a planned one.</summary>
        public TimeSpan? DataLossWindow { get; set; }
        /// <summary>New-account branch: the vault secret now holding the connection string.</summary>
        public string? SecretName { get; set; }
        public string? WebAppName { get; set; }
        /// <summary>From the restart until the app answered healthy; null when it was not restarted and not probed.</summary>
        public TimeSpan? TimeToHealthy { get; set; }
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string RunId { get; set; } = "";
    }
}
