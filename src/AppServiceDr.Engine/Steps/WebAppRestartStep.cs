using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>The "restart and wait until usable" step most runbooks end with. A resumed run that already issued
    /// the restart does not issue it again; it only waits for health.</summary>
    public static class WebAppRestartStep
    {
        /// <summary>Every restart step's id is this prefix and the app's name.</summary>
        public const string IdPrefix = "restart:";

        /// <summary>
        /// The step <c>restart:&lt;app&gt;</c>, after <paramref name="dependsOn"/>. With <paramref name="onlyAfterChange"/>,
        /// a healthy app is left alone when none of those steps changed anything (in this attempt or an earlier one),
        /// so a repeated run restarts nothing; otherwise the app is always restarted. <paramref name="detail"/> goes
        /// after the app's name in the plan.
        /// </summary>
        public static RunbookStep Create(WebAppTarget app, IReadOnlyCollection<string> dependsOn, bool onlyAfterChange, string? detail = null) =>
            new RunbookStep(IdPrefix + app.Name, $"Restart app '{app.Name}'{(detail == null ? "" : " " + detail)} and wait until {app.HealthPath} answers healthy",
                ctx =>
                {
                    var changedBefore = dependsOn.Any(ctx.Changed);
                    return RunAsync(app, ctx, onlyAfterChange && !changedBefore, changedBefore);
                }, dependsOn.ToArray());

        /// <summary>What the run's restart step recorded, or null when it did not get that far.</summary>
        public static WebAppRestartOutcome? Outcome(RunReport report) =>
            report.Steps.FirstOrDefault(s => s.StepId.StartsWith(IdPrefix, StringComparison.Ordinal))?.Published<WebAppRestartOutcome>();

        private static async Task<StepResult> RunAsync(WebAppTarget app, StepContext ctx, bool leaveHealthyAlone, bool changedBefore)
        {
            var apps = new WebApps(ctx.Azure);
            Uri url;
            try
            {
                url = await apps.GetHealthUrlAsync(app, ctx.CancellationToken).ConfigureAwait(false);
            }
            catch (DrException ex) when (ex.ErrorId == "WebAppNotFound" && ctx.WhatIf && changedBefore)
            {
                // Under -WhatIf an earlier step that would create the app (a template deployment) has not run.
                ctx.ShouldProcess(app.Name, $"Restart the app once the steps before have created it, then wait until {app.HealthPath} answers {string.Join("/", app.HealthyStatusCodes)}");
                return StepResult.Declined($"App '{app.Name}' does not exist yet; the steps before it would create it.");
            }
            if (ctx.GetCheckpoint("restarted") == null)
            {
                if (leaveHealthyAlone)
                {
                    var (status, _) = await apps.ProbeAsync(url, ctx.CancellationToken).ConfigureAwait(false);
                    if (status is int code && app.HealthyStatusCodes.Contains(code))
                    {
                        ctx.Publish(new WebAppRestartOutcome { HealthUrl = url.ToString(), LastStatusCode = code, Probes = 1 });
                        return StepResult.AlreadyDone($"{url} already answers {code}; nothing before changed, so the app was not restarted.");
                    }
                }
                if (!ctx.ShouldProcess(app.Name, $"Restart the app, then wait until {url} answers {string.Join("/", app.HealthyStatusCodes)}"))
                    return StepResult.Declined($"App '{app.Name}' not restarted.");
                await apps.RestartAsync(app, ctx.CancellationToken).ConfigureAwait(false);
                ctx.RecordChange($"restarted app '{app.Name}'");
                ctx.Checkpoint("restarted", DateTimeOffset.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
            }
            var outcome = await apps.WaitHealthyAsync(app, url, ctx).ConfigureAwait(false);
            outcome.Restarted = true;
            ctx.Publish(outcome);
            return StepResult.Done($"{url} answered {outcome.LastStatusCode} after {outcome.TimeToHealthy.TotalSeconds:0.0} s ({outcome.Probes} probes).");
        }
    }
}
