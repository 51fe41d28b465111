using System;
using System.Linq;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.Failover
{
    /// <summary>The result both region failover paths report, read from a run's report.</summary>
    internal static class RegionResults
    {
        public static RegionFailoverResult Build(RunReport report, RegionFailoverPath path, string region, string sqlServer, Action<RegionFailoverResult> fill)
        {
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            var finished = report.Steps.All(s => s.Outcome == StepOutcome.Succeeded || s.Outcome == StepOutcome.AlreadyDone);
            var changed = report.Steps.Any(s => s.Changes.Count > 0);
            var restart = WebAppRestartStep.Outcome(report);
            var result = new RegionFailoverResult
            {
                Path = path,
                Action = failed != null ? RegionFailoverAction.Failed
                    : !finished ? RegionFailoverAction.Skipped
                    : changed ? RegionFailoverAction.FailedOver
                    : RegionFailoverAction.AlreadyFailedOver,
                Region = region,
                SqlServerName = sqlServer,
                HealthUrl = restart?.HealthUrl,
                TimeToHealthy = restart?.TimeToHealthy,
                DataLossWindow = report.DataLossWindow,
                DataLossNote = report.DataLossNote,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                TimeToRecovery = report.TimeToRecovery,
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
            fill(result);
            return result;
        }
    }
}
