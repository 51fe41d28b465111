using System;
using System.Linq;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Setup
{
    /// <summary>What every setup runbook reports the same way: how the run left the configuration, read from its
    /// report (so a resumed run counts what its earlier attempts changed).</summary>
    internal static class SetupRuns
    {
        /// <summary>Failed when a step failed or was cancelled; Skipped when one was declined or never ran; otherwise
        /// Created (when <paramref name="created"/>) or Updated when anything changed, AlreadyConfigured when nothing did.</summary>
        public static SetupAction ActionOf(RunReport report, bool created)
        {
            if (report.Steps.Any(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled)) return SetupAction.Failed;
            if (report.Steps.Any(s => s.Outcome != StepOutcome.Succeeded && s.Outcome != StepOutcome.AlreadyDone)) return SetupAction.Skipped;
            if (report.Steps.Any(s => s.Changes.Count > 0)) return created ? SetupAction.Created : SetupAction.Updated;
            return SetupAction.AlreadyConfigured;
        }

        /// <summary>The first failed (or cancelled) step, for the result's error.</summary>
        public static StepReport? Failure(RunReport report) =>
            report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);

        /// <summary>The run's duration, or the sum of its steps' for a run that wrote no journal.</summary>
        public static TimeSpan Duration(RunReport report) =>
            report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks));
    }

    /// <summary>What a setup step publishes: whether it created its resource (as opposed to changing one that existed).</summary>
    internal sealed class SetupStepOutcome
    {
        public bool Created { get; set; }
    }
}
