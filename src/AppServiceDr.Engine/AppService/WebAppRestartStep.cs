using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>The "restart and verify" step every runbook ends with. A resumed run that already issued
    /// the restart does not issue it again; it only waits for health.</summary>
    public static class WebAppRestartStep
    {
        /// <summary>Every restart step's id is this prefix and the app's name.</summary>
        public const string IdPrefix = "restart:";
        private const string HealthUrlOutput = "HealthUrl";
        private const string TimeToHealthyOutput = "TimeToHealthySeconds";

        /// <summary>The runbook step: <c>restart:&lt;app&gt;</c>, after <paramref name="dependsOn"/>. When
        /// <paramref name="skipWhenHealthy"/> says so for the run at hand (typically: the earlier steps changed
        /// nothing), a healthy app is left alone. <paramref name="detail"/> goes after the app's name in the plan.</summary>
        public static RunbookStep Create(WebAppRestartService service, WebAppTarget app, IEnumerable<string> dependsOn,
            Func<StepContext, bool>? skipWhenHealthy = null, string? detail = null) =>
            new RunbookStep(IdPrefix + app.Name, $"Restart app '{app.Name}'{(detail == null ? "" : " " + detail)} and wait until {app.HealthPath} answers healthy",
                ctx => RunAsync(service, app, ctx, skipWhenHealthy?.Invoke(ctx) ?? false), dependsOn.ToArray());

        /// <summary>What the run's restart step recorded: the URL it probed and how long the app took to answer healthy.</summary>
        public static (string? HealthUrl, TimeSpan? TimeToHealthy) Outcome(RunReport report)
        {
            var step = report.Steps.FirstOrDefault(s => s.StepId.StartsWith(IdPrefix, StringComparison.Ordinal));
            string? Output(string key) => step != null && step.Outputs.TryGetValue(key, out var v) ? v : null;
            return (Output(HealthUrlOutput),
                Output(TimeToHealthyOutput) is string seconds ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)) : (TimeSpan?)null);
        }

        /// <summary>Restarts the app (unless told to skip a healthy one) and waits until it answers healthy.
        /// With skipWhenHealthy the app is probed once first and left alone when it already answers healthy:
        /// for runbooks whose earlier steps found nothing to change, so a repeated run restarts nothing.</summary>
        public static async Task<StepResult> RunAsync(WebAppRestartService service, WebAppTarget app, StepContext ctx, bool skipWhenHealthy = false)
        {
            var url = await service.GetHealthUrlAsync(app, ctx.CancellationToken).ConfigureAwait(false);
            if (ctx.GetCheckpoint("restarted") == null)
            {
                if (skipWhenHealthy && await service.ProbeOnceAsync(app, url, ctx.Host, ctx.CancellationToken).ConfigureAwait(false) is { } healthy)
                {
                    Publish(ctx, healthy);
                    return StepResult.AlreadyDone($"{url} already answers {healthy.LastStatusCode}; the app was not restarted.");
                }
                if (!ctx.ShouldProcess(app.Name, $"Restart the app, then wait until {url} answers {string.Join("/", app.HealthyStatusCodes)}"))
                    return StepResult.Declined($"App '{app.Name}' not restarted.");
                await service.RestartAsync(app, ctx.CancellationToken).ConfigureAwait(false);
                ctx.RecordChange($"restarted app '{app.Name}'");
                ctx.Checkpoint("restarted", DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture));
            }
            var result = await service.WaitHealthyAsync(app, url, ctx.Host, ctx.CancellationToken).ConfigureAwait(false);
            Publish(ctx, result);
            return StepResult.Done($"{url} answered {result.LastStatusCode} after {result.TimeToHealthy.TotalSeconds:0.0} s ({result.Probes} probes).");
        }

        private static void Publish(StepContext ctx, WebAppRestartResult result)
        {
            ctx.SetOutput(HealthUrlOutput, result.HealthUrl);
            ctx.SetOutput(TimeToHealthyOutput, result.TimeToHealthy.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
            ctx.SetOutput("Probes", result.Probes.ToString(CultureInfo.InvariantCulture));
        }
    }
}
