using System;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>Which app to roll back, to which package, and how to tell it is healthy again.</summary>
    public sealed class PackageRollbackRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string WebAppName { get; set; } = "";
        /// <summary>The package to run (absolute https). Exactly one of <see cref="PackageUri"/> and <see cref="Version"/>.</summary>
        public Uri? PackageUri { get; set; }
        /// <summary>A version such as "1.33.0": the current WEBSITE_RUN_FROM_PACKAGE URL with the version in its
        /// file name replaced (".../AppRequestPortal-1.34.0.zip" becomes ".../AppRequestPortal-1.33.0.zip"), its
        /// query string kept.</summary>
        public string? Version { get; set; }
        public string HealthPath { get; set; } = "/";
        public int[] HealthyStatusCodes { get; set; } = { 200 };
        public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromMinutes(10);
        public TimeSpan HealthPollInterval { get; set; } = TimeSpan.FromSeconds(5);
    }

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

    /// <summary>The outcome of one rollback run. Package URLs are shown without their query string (a SAS).</summary>
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
        public string RunId { get; set; } = "";
    }
}
