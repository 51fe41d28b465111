using System;

namespace AppServiceDr.Engine
{
    /// <summary>One progress report, shaped after PowerShell's ProgressRecord.</summary>
    public sealed class DrProgress
    {
        public DrProgress(int activityId, string activity, string status)
        {
            ActivityId = activityId;
            Activity = activity;
            Status = status;
        }

        public int ActivityId { get; }
        public int ParentActivityId { get; init; } = -1;
        public string Activity { get; }
        public string Status { get; }
        public string? CurrentOperation { get; init; }
        /// <summary>0-100, or -1 when unknown.</summary>
        public int PercentComplete { get; init; } = -1;
        public TimeSpan? Remaining { get; init; }
        public bool Completed { get; init; }
    }

    /// <summary>
    /// What the engine needs from whoever drives it: a place to report, and a yes/no before each change.
    /// Called from any thread. The cmdlet adapter queues every call and answers it on the pipeline thread
    /// (so <see cref="ShouldProcess"/> becomes PowerShell's -WhatIf/-Confirm and <see cref="ShouldContinue"/>
    /// the data-loss prompt that -Force skips).
    /// </summary>
    public interface IDrHost
    {
        void Progress(DrProgress progress);
        void Verbose(string message);
        void Warning(string message);

        /// <summary>Ask before one state-changing action. False: do not change anything for this target
        /// (under -WhatIf the host has already printed what would have happened).</summary>
        bool ShouldProcess(string target, string action);

        /// <summary>Ask once more before an action that can lose data (overwrite, forced failover, mirror delete).</summary>
        bool ShouldContinue(string query, string caption);
    }
}
