using System;
using System.Collections.Generic;

namespace AppServiceDr
{
    /// <summary>Where a run stands.</summary>
    public enum RunStatus
    {
        /// <summary>Started and still going (or its process is alive elsewhere).</summary>
        Running,
        Succeeded,
        /// <summary>At least one step failed; steps that did not depend on it still ran.</summary>
        Failed,
        /// <summary>Stopped by Ctrl+C or a cancelled token; resumable.</summary>
        Cancelled,
        /// <summary>The journal ends without an outcome: the process died. Resumable.</summary>
        Incomplete,
        /// <summary>A -WhatIf run: nothing changed and nothing was journaled.</summary>
        WhatIf,
    }

    /// <summary>What happened to one step.</summary>
    public enum StepOutcome
    {
        Pending,
        Running,
        /// <summary>The step changed what it had to and the result is usable.</summary>
        Succeeded,
        /// <summary>The world was already as the step wanted it: nothing was changed.</summary>
        AlreadyDone,
        /// <summary>Not run: declined (-WhatIf or -Confirm "No") or a step it depends on did not succeed.</summary>
        Skipped,
        Failed,
        Cancelled,
    }

    /// <summary>One step of a run, with its timing: the recovery-time record.</summary>
    public sealed class StepReport
    {
        public string RunId { get; set; } = "";
        public string StepId { get; set; } = "";
        public string Plan { get; set; } = "";
        public IReadOnlyList<string> DependsOn { get; set; } = Array.Empty<string>();
        public StepOutcome Outcome { get; set; }
        /// <summary>Start of the last attempt.</summary>
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        /// <summary>Time spent in the step over all attempts.</summary>
        public TimeSpan? Duration { get; set; }
        public int Attempts { get; set; }
        public string? Note { get; set; }
        /// <summary>Values the step published for the steps after it (names of what it created, results).</summary>
        public IReadOnlyDictionary<string, string> Outputs { get; set; } = new Dictionary<string, string>();
        /// <summary>What the step changed, in the order it changed it.</summary>
        public IReadOnlyList<string> Changes { get; set; } = Array.Empty<string>();
        public string? Error { get; set; }
        public string? ErrorId { get; set; }
        public DrErrorCategory? ErrorCategory { get; set; }
        public TimeSpan? DataLossWindow { get; set; }
        public string? DataLossNote { get; set; }
    }

    /// <summary>Everything one run did: the evidence an administrator keeps after an outage.</summary>
    public sealed class RunReport
    {
        public string RunId { get; set; } = "";
        public string Runbook { get; set; } = "";
        public RunStatus Status { get; set; }
        /// <summary>When the run first started (before any crash and resume).</summary>
        public DateTimeOffset StartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        /// <summary>From the first start to the final end, across resumes, whatever the outcome; null while running.</summary>
        public TimeSpan? Duration { get; set; }
        /// <summary>The duration of a run that succeeded: the real time to recovery. Null for any other outcome,
        /// because a run that failed or was stopped recovered nothing.</summary>
        public TimeSpan? TimeToRecovery { get; set; }
        /// <summary>How many times the run was started (1 + resumes).</summary>
        public int Attempts { get; set; }
        public IReadOnlyList<StepReport> Steps { get; set; } = Array.Empty<StepReport>();
        /// <summary>The largest data-loss window any step reported (restore point vs now, geo-backup age, storage last sync).</summary>
        public TimeSpan? DataLossWindow { get; set; }
        public string? DataLossNote { get; set; }
        /// <summary>Null for -WhatIf runs, which journal nothing.</summary>
        public string? JournalPath { get; set; }
        public IReadOnlyDictionary<string, string?> Inputs { get; set; } = new Dictionary<string, string?>();

        public override string ToString() => $"{Runbook} {RunId} {Status}";
    }
}
