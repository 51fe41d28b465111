using System;

namespace AppServiceDr
{
    /// <summary>One part of the seed 000 recovery as the run left it.</summary>
    public sealed class AzureStackRecoveryPart
    {
        /// <summary>Databases, File share, Roles and services, Sync, Function App &lt;name&gt;, Endpoints.</summary>
        public string Part { get; set; } = "";
        /// <summary>Succeeded, AlreadyDone, Skipped (-WhatIf, declined, or not reached), Failed, Cancelled, NotRun.</summary>
        public string Status { get; set; } = "";
        public TimeSpan Duration { get; set; }
        /// <summary>What the part did, or its error.</summary>
        public string? Detail { get; set; }
    }

    /// <summary>Invoke-AzureStackAppServiceRecovery: the whole recovery, part by part. Its run's report
    /// (Export-DrReport) is the recovery record. Never carries a password, a key or the secrets file's content.</summary>
    public sealed class AzureStackRecoveryResult
    {
        /// <summary>The run's status: Succeeded, Failed, Cancelled, Incomplete, WhatIf.</summary>
        public string Status { get; set; } = "";
        public AzureStackRecoveryPart[] Parts { get; set; } = Array.Empty<AzureStackRecoveryPart>();
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
