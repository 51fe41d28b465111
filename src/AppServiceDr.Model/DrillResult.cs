using System;
using System.Collections.Generic;

namespace AppServiceDr
{
    /// <summary>How one check of a drill came out. Ordered from best to worst, so the worst of several is their maximum.</summary>
    public enum DrillStatus
    {
        /// <summary>The check proved what it checks.</summary>
        Pass,
        /// <summary>Not run: -WhatIf, or a step before it did not finish.</summary>
        Skipped,
        /// <summary>It works, but not as it should (a target close to being missed, purge protection off, a secret expiring soon).</summary>
        Warn,
        /// <summary>The recovery path does not work as declared (a restore failed, a query did not match, a target was missed, cleanup failed).</summary>
        Fail,
    }

    /// <summary>One check of a drill: what was checked, how it came out, and the measured time where one was measured.</summary>
    public sealed class DrillCheck
    {
        public string Name { get; set; } = "";
        public DrillStatus Status { get; set; }
        /// <summary>What was seen, in a sentence. Never carries a secret value.</summary>
        public string Detail { get; set; } = "";
        /// <summary>A time the check measured (time to Online, backup age, sync lag), when it measured one.</summary>
        public TimeSpan? Measured { get; set; }
        /// <summary>The target the measured time was held against, when there was one.</summary>
        public TimeSpan? Target { get; set; }

        public override string ToString() => $"{Status} {Name}: {Detail}";
    }

    /// <summary>How long one step of a drill took: the recovery-time record the seed asks administrators to keep.</summary>
    public sealed class DrillStepTime
    {
        public string Step { get; set; } = "";
        public StepOutcome Outcome { get; set; }
        public TimeSpan? Duration { get; set; }
    }

    /// <summary>What one Test-* drill proved: its checks, the measured recovery time and recovery point, each step's
    /// duration, and whether everything it created is gone again.</summary>
    public sealed class DrillTestResult
    {
        /// <summary>The cmdlet that ran the drill, for example Test-SqlPointInTimeRestore.</summary>
        public string Test { get; set; } = "";
        /// <summary>What was drilled: a database, a vault, a template, a storage account, a share.</summary>
        public string Target { get; set; } = "";
        /// <summary>The name the drill's own resources carry (a scratch database, a resource group); null when it creates none.</summary>
        public string? DrillName { get; set; }
        /// <summary>The worst status of its checks.</summary>
        public DrillStatus Status { get; set; }
        public IReadOnlyList<DrillCheck> Checks { get; set; } = Array.Empty<DrillCheck>();
        /// <summary>The measured recovery time: from the start of the recovery step until the restored thing was usable.</summary>
        public TimeSpan? Rto { get; set; }
        /// <summary>The measured recovery point: how much data a recovery from this path would lose now.</summary>
        public TimeSpan? Rpo { get; set; }
        public IReadOnlyList<DrillStepTime> Steps { get; set; } = Array.Empty<DrillStepTime>();
        /// <summary>False when something the drill created is still there (see <see cref="Leftovers"/>); true when it created nothing.</summary>
        public bool CleanedUp { get; set; }
        /// <summary>What the drill created and could not remove: remove it with -Resume (the drill's cleanup runs again).</summary>
        public IReadOnlyList<string> Leftovers { get; set; } = Array.Empty<string>();
        public DateTimeOffset StartedAt { get; set; }
        /// <summary>The whole drill, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run.</summary>
        public string? RunId { get; set; }

        public override string ToString() => $"{Test} {Target} {Status}";
    }

    /// <summary>One measured time of a drill held against its declared target.</summary>
    public sealed class DrillTargetGrade
    {
        public string Test { get; set; } = "";
        public string Target { get; set; } = "";
        /// <summary>RTO or RPO.</summary>
        public string Measure { get; set; } = "";
        public TimeSpan? Measured { get; set; }
        public TimeSpan? Goal { get; set; }
        /// <summary>Pass when within the goal, Warn when within it but above the warning share of it, Fail when beyond it
        /// or not measured, Skipped when the drill did not run.</summary>
        public DrillStatus Status { get; set; }
        /// <summary>Where the goal came from: the plan's test entry, the plan's tier, or seed 004's defaults.</summary>
        public string Source { get; set; } = "";
    }

    /// <summary>Invoke-DrDrill: the outcome of a drill plan, every drill graded against its targets.</summary>
    public sealed class DrillPlanResult
    {
        public string Plan { get; set; } = "";
        /// <summary>The worst of every drill's status and every grade.</summary>
        public DrillStatus Status { get; set; }
        public DateTimeOffset StartedAt { get; set; }
        public TimeSpan Duration { get; set; }
        public IReadOnlyList<DrillTestResult> Results { get; set; } = Array.Empty<DrillTestResult>();
        public IReadOnlyList<DrillTargetGrade> Grades { get; set; } = Array.Empty<DrillTargetGrade>();
        /// <summary>The reports written (Markdown, JSON, JUnit and NUnit XML).</summary>
        public IReadOnlyList<string> Reports { get; set; } = Array.Empty<string>();
        public int Passed { get; set; }
        public int Warned { get; set; }
        public int Failed { get; set; }

        public override string ToString() => $"{Plan} {Status}";
    }

    /// <summary>Get-DrDrillHistory: the measured times of one drill target across its runs, oldest first, to update the estimates.</summary>
    public sealed class DrillHistoryEntry
    {
        public string Test { get; set; } = "";
        public string Target { get; set; } = "";
        public int Runs { get; set; }
        public DateTimeOffset FirstRun { get; set; }
        public DateTimeOffset LastRun { get; set; }
        public DrillStatus LastStatus { get; set; }
        public TimeSpan? LastRto { get; set; }
        public TimeSpan? MedianRto { get; set; }
        public TimeSpan? MaxRto { get; set; }
        public TimeSpan? LastRpo { get; set; }
        public TimeSpan? MedianRpo { get; set; }
        public TimeSpan? MaxRpo { get; set; }
        /// <summary>The last recovery time against the median of the runs before it: Faster, Slower, Steady, or New with one run.</summary>
        public string RtoTrend { get; set; } = "";
        /// <summary>Every run of this target, oldest first.</summary>
        public IReadOnlyList<DrillTestResult> History { get; set; } = Array.Empty<DrillTestResult>();

        public override string ToString() => $"{Test} {Target} ({Runs} runs)";
    }
}
