using System;

namespace AppServiceDr
{
    /// <summary>What a Function Apps storage recovery did.</summary>
    public enum FunctionAppStorageAction
    {
        /// <summary>AzureWebJobsStorage and AzureWebJobsDashboard were set to the storage's connection string.</summary>
        Updated,
        /// <summary>Both settings already held that connection string; the app was only checked (or restarted when it was unhealthy).</summary>
        AlreadyCurrent,
        /// <summary>Not changed: -WhatIf, or a question was answered no.</summary>
        Skipped,
        /// <summary>A step failed; <see cref="FunctionAppStorageResult.ErrorId"/> says which and why.</summary>
        Failed,
    }

    /// <summary>Restore-FunctionAppStorage: the outcome of one run. Never carries a key or a connection string.</summary>
    public sealed class FunctionAppStorageResult
    {
        public string FunctionAppName { get; set; } = "";
        /// <summary>The account the app's storage settings point at; null when a connection string was given.</summary>
        public string? StorageAccountName { get; set; }
        /// <summary>True when this run created the account.</summary>
        public bool AccountCreated { get; set; }
        public FunctionAppStorageAction Action { get; set; }
        /// <summary>Restarts issued until the app started without errors.</summary>
        public int Restarts { get; set; }
        /// <summary>What the app answered after each restart that did not start it without errors, in order.</summary>
        public string[] StartErrors { get; set; } = Array.Empty<string>();
        /// <summary>From the last restart until the app answered healthy.</summary>
        public TimeSpan? TimeToHealthy { get; set; }
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
