using System;

namespace AppServiceDr
{
    /// <summary>What was done (or, under -WhatIf, would be done) for one secret.</summary>
    public enum SecretRecoveryAction
    {
        /// <summary>The secret was readable already; nothing was changed.</summary>
        AlreadyActive,
        /// <summary>Recovered from soft delete and readable again.</summary>
        Recovered,
        /// <summary>Restored from a Key Vault backup blob.</summary>
        Restored,
        /// <summary>Purged or never existed; set again from the value given.</summary>
        Recreated,
        /// <summary>Not changed: -WhatIf, or -Confirm answered No. <see cref="SecretRecoveryResult.Plan"/> says what would have happened.</summary>
        Skipped,
        Failed,
    }

    /// <summary>Invoke-KeyVaultSecretRecovery: the outcome for one secret. Never carries the secret's value.</summary>
    public sealed class SecretRecoveryResult
    {
        public string VaultName { get; set; } = "";
        public string Name { get; set; } = "";
        public SecretRecoveryAction Action { get; set; }
        /// <summary>What was (or would be) done, in one line.</summary>
        public string Plan { get; set; } = "";
        public DateTimeOffset? DeletedOn { get; set; }
        public DateTimeOffset? ScheduledPurgeDate { get; set; }
        public string? RecoveryLevel { get; set; }
        /// <summary>From the first look at the secret until it was readable again.</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
