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

        /// <summary>
        /// The step <c>restart:&lt;app&gt;</c> for an app that may need several restarts before it starts without errors
        /// (a Function App whose storage changed): it restarts the app and waits until it answers healthy, and when the
        /// app's health timeout passes it records that try's error and restarts again, at most
        /// <paramref name="maxRestarts"/> times in all (counted across a resume). The step fails naming every try's
        /// error when the last one did not start either; each error is in the report either way.
        /// </summary>
        public static RunbookStep CreateUntilHealthy(WebAppTarget app, IReadOnlyCollection<string> dependsOn, int maxRestarts, string? detail = null)
        {
            if (maxRestarts < 1) throw new ArgumentOutOfRangeException(nameof(maxRestarts), maxRestarts, "At least one restart.");
            return new RunbookStep(IdPrefix + app.Name,
                $"Restart app '{app.Name}'{(detail == null ? "" : " " + detail)} until {app.HealthPath} answers healthy (at most {maxRestarts} restarts, {app.HealthTimeout.TotalSeconds:0} s each)",
                ctx => RunUntilHealthyAsync(app, ctx, maxRestarts), dependsOn.ToArray());
        }

        private const string RestartsCheckpoint = "restarts";
        private const string TriesCheckpoint = "tries";

        private static async Task<StepResult> RunUntilHealthyAsync(WebAppTarget app, StepContext ctx, int maxRestarts)
        {
            var apps = new WebApps(ctx.Azure);
            var url = await apps.GetHealthUrlAsync(app, ctx.CancellationToken).ConfigureAwait(false);
            var restarts = int.TryParse(ctx.GetCheckpoint(RestartsCheckpoint), out var n) ? n : 0;
            var tries = ctx.GetCheckpoint(TriesCheckpoint) is string json
                ? System.Text.Json.JsonSerializer.Deserialize<List<WebAppRestartTry>>(json, StepOutputs.Json) ?? new List<WebAppRestartTry>()
                : new List<WebAppRestartTry>();
            // A restart issued by an interrupted attempt and not yet judged is waited for, not issued again.
            var pending = restarts > tries.Count;
            while (true)
            {
                if (!pending)
                {
                    if (restarts >= maxRestarts)
                    {
                        ctx.Publish(new WebAppRestartOutcome { HealthUrl = url.ToString(), Restarted = restarts > 0, Restarts = restarts, Tries = tries });
                        throw new DrException("WebAppStartFailed", DrErrorCategory.OperationTimeout,
                            $"App '{app.Name}' did not start without errors after {restarts} restarts: " + Describe(tries), app.Name);
                    }
                    if (restarts == 0 && !ctx.ShouldProcess(app.Name, $"Restart the app (up to {maxRestarts} times), until {url} answers {string.Join("/", app.HealthyStatusCodes)}"))
                        return StepResult.Declined($"App '{app.Name}' not restarted.");
                    await apps.RestartAsync(app, ctx.CancellationToken).ConfigureAwait(false);
                    restarts++;
                    ctx.Checkpoint(RestartsCheckpoint, restarts.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    ctx.RecordChange($"restarted app '{app.Name}' (restart {restarts} of at most {maxRestarts})");
                }
                pending = false;
                var started = DateTimeOffset.UtcNow;
                try
                {
                    var outcome = await apps.WaitHealthyAsync(app, url, ctx).ConfigureAwait(false);
                    outcome.Restarted = true;
                    outcome.Restarts = restarts;
                    outcome.Tries = tries;
                    ctx.Publish(outcome);
                    var earlier = tries.Count == 0 ? "" : $" Earlier tries: {Describe(tries)}";
                    return StepResult.Done($"{url} answered {outcome.LastStatusCode} after restart {restarts} of at most {maxRestarts}.{earlier}");
                }
                catch (DrException ex) when (ex.ErrorId == "WebAppNotHealthy")
                {
                    tries.Add(new WebAppRestartTry { Restart = restarts, Error = ex.Message, Duration = DateTimeOffset.UtcNow - started });
                    ctx.Checkpoint(TriesCheckpoint, System.Text.Json.JsonSerializer.Serialize(tries, StepOutputs.Json));
                    ctx.Host.Warning($"App '{app.Name}' did not start without errors after restart {restarts}: {ex.Message}");
                }
            }
        }

        private static string Describe(IEnumerable<WebAppRestartTry> tries) =>
            string.Join(" ", tries.Select(t => $"[restart {t.Restart}] {t.Error}"));

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
