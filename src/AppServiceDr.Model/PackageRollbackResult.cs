using System;

namespace AppServiceDr
{
    /// <summary>What a rollback did.</summary>
    public enum PackageRollbackAction
    {
        /// <summary>WEBSITE_RUN_FROM_PACKAGE was changed to the target package.</summary>
        RolledBack,
        /// <summary>The app already ran the target package: nothing was changed.</summary>
        AlreadyCurrent,
        /// <summary>Not changed: -WhatIf, or the change was declined.</summary>
        Skipped,
        /// <summary>A step failed; <see cref="PackageRollbackResult.ErrorId"/> says which and why.</summary>
        Failed,
    }

    /// <summary>Invoke-DeploymentRollback: the outcome of one rollback run. Package URLs are shown without their query
    /// string (a SAS).</summary>
    public sealed class PackageRollbackResult
    {
        public string WebAppName { get; set; } = "";
        public PackageRollbackAction Action { get; set; }
        /// <summary>The package the app ran before, query string redacted; null when the setting was absent.</summary>
        public string? PreviousPackage { get; set; }
        /// <summary>The target package, query string redacted.</summary>
        public string? Package { get; set; }
        public string? HealthUrl { get; set; }
        /// <summary>From the restart until the app answered healthy; null when it was not restarted and not probed.</summary>
        public TimeSpan? TimeToHealthy { get; set; }
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        public string? Plan { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
