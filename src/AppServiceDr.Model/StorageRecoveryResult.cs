using System;

namespace AppServiceDr
{
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

    /// <summary>Invoke-StorageRecovery: the outcome of one run. Never carries an account key or a connection string.</summary>
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
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
