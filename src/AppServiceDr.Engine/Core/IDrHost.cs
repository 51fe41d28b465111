using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

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

    /// <summary>A host that says yes to everything and keeps what it was told: for tests, scheduled runs
    /// that pass -Force, and the rehearsal.</summary>
    public sealed class RecordingHost : IDrHost
    {
        private readonly Func<string, string, bool> _shouldProcess;
        private readonly Func<string, string, bool> _shouldContinue;

        public RecordingHost(Func<string, string, bool>? shouldProcess = null, Func<string, string, bool>? shouldContinue = null)
        {
            _shouldProcess = shouldProcess ?? ((_, _) => true);
            _shouldContinue = shouldContinue ?? ((_, _) => true);
        }

        /// <summary>A host that answers every ShouldProcess with false, as PowerShell does under -WhatIf.</summary>
        public static RecordingHost WhatIf() => new RecordingHost((_, _) => false, (_, _) => false);

        public ConcurrentQueue<DrProgress> ProgressRecords { get; } = new ConcurrentQueue<DrProgress>();
        public ConcurrentQueue<string> VerboseMessages { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<string> Warnings { get; } = new ConcurrentQueue<string>();
        /// <summary>Every ShouldProcess question as "target: action", in the order asked.</summary>
        public ConcurrentQueue<string> Questions { get; } = new ConcurrentQueue<string>();

        public void Progress(DrProgress progress) => ProgressRecords.Enqueue(progress);
        public void Verbose(string message) => VerboseMessages.Enqueue(message);
        public void Warning(string message) => Warnings.Enqueue(message);

        public bool ShouldProcess(string target, string action)
        {
            Questions.Enqueue(target + ": " + action);
            return _shouldProcess(target, action);
        }

        public bool ShouldContinue(string query, string caption)
        {
            Questions.Enqueue("continue? " + caption + ": " + query);
            return _shouldContinue(query, caption);
        }

        /// <summary>Everything this host was told, one entry per line, for leak checks.</summary>
        public IEnumerable<string> AllText()
        {
            foreach (var p in ProgressRecords) yield return p.Activity + " | " + p.Status + " | " + p.CurrentOperation;
            foreach (var m in VerboseMessages) yield return m;
            foreach (var m in Warnings) yield return m;
            foreach (var q in Questions) yield return q;
        }
    }
}
