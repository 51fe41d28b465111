using System;

namespace AppServiceDr
{
    /// <summary>How Invoke-RegionFailover moved the workload.</summary>
    public enum RegionFailoverPath
    {
        /// <summary>Tier 3 in place: the failover group, storage and Traffic Manager were switched to the secondary region.</summary>
        FailoverGroup,
        /// <summary>No standby: the region was rebuilt from the template and the geo-backup.</summary>
        Rebuild,
    }

    /// <summary>What a region failover did.</summary>
    public enum RegionFailoverAction
    {
        /// <summary>The workload now runs in the other region, usable (the app answered healthy when one was given).</summary>
        FailedOver,
        /// <summary>Nothing was changed: everything was in the other region already.</summary>
        AlreadyFailedOver,
        /// <summary>Not changed: -WhatIf, or a question was answered no.</summary>
        Skipped,
        /// <summary>A step failed; <see cref="RegionFailoverResult.ErrorId"/> says which and why.</summary>
        Failed,
    }

    /// <summary>Invoke-RegionFailover: the outcome of one run, either path.</summary>
    public sealed class RegionFailoverResult
    {
        public RegionFailoverPath Path { get; set; }
        public RegionFailoverAction Action { get; set; }
        /// <summary>The region that serves the workload after the run.</summary>
        public string Region { get; set; } = "";
        /// <summary>The SQL server that is primary (failover group) or that holds the restored database (rebuild).</summary>
        public string SqlServerName { get; set; } = "";
        /// <summary>Failover group: Planned or Forced; null when the group was primary there already. Rebuild: GeoRestore.</summary>
        public string? SqlMode { get; set; }
        public string? StorageAccountName { get; set; }
        public string? StoragePrimaryLocation { get; set; }
        /// <summary>The Traffic Manager endpoint that has the first priority after the run.</summary>
        public string? ActiveEndpoint { get; set; }
        /// <summary>Rebuild: the new resource group, the DNS record pointed at the new app, the redirect URI added.</summary>
        public string? ResourceGroupName { get; set; }
        public string? DnsRecord { get; set; }
        public string? RedirectUri { get; set; }
        public string? WebAppName { get; set; }
        public string? HealthUrl { get; set; }
        public TimeSpan? TimeToHealthy { get; set; }
        /// <summary>How much data the run may have lost, with what it is measured against.</summary>
        public TimeSpan? DataLossWindow { get; set; }
        public string? DataLossNote { get; set; }
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        /// <summary>The duration of a run that succeeded; null otherwise.</summary>
        public TimeSpan? TimeToRecovery { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
