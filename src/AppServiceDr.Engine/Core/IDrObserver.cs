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
    /// Where engine work reports what it is doing. Called from any thread; the cmdlet adapter queues
    /// the calls and writes them from the pipeline thread.
    /// </summary>
    public interface IDrObserver
    {
        void Progress(DrProgress progress);
        void Verbose(string message);
        void Warning(string message);
    }

    /// <summary>An observer that drops everything.</summary>
    public sealed class NullObserver : IDrObserver
    {
        public static readonly NullObserver Instance = new NullObserver();
        private NullObserver() { }
        public void Progress(DrProgress progress) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
    }
}
