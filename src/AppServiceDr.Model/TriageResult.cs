using System;

namespace AppServiceDr
{
    /// <summary>Invoke-DrTriage: where seed 004's decision tree led, why, and what to run.</summary>
    public sealed class TriageResult
    {
        /// <summary>1 data deletion (or a database to restore), 2 Key Vault, 3 region failure, 4 storage, 5 bad
        /// deployment; 0 when no recovery is needed.</summary>
        public int Scenario { get; set; }
        public string ScenarioName { get; set; } = "";
        /// <summary>Each question of the tree with the answer the probes gave ("Is the application accessible? No").</summary>
        public string[] Path { get; set; } = Array.Empty<string>();
        /// <summary>What each probe saw.</summary>
        public string[] Evidence { get; set; } = Array.Empty<string>();
        /// <summary>The recovery cmdlet to run, with the names filled in (add your sign-in parameters).</summary>
        public string? RecoveryCommand { get; set; }
        /// <summary>False when the command still has a &lt;placeholder&gt; to fill in.</summary>
        public bool CommandComplete { get; set; }
        public string WebAppName { get; set; } = "";
        public string? Region { get; set; }
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
