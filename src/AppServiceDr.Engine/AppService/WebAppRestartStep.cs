using System;
using System.Globalization;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>The "restart and verify" step every runbook ends with. A resumed run that already issued
    /// the restart does not issue it again; it only waits for health.</summary>
    public static class WebAppRestartStep
    {
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
            ctx.SetOutput("HealthUrl", result.HealthUrl);
            ctx.SetOutput("TimeToHealthySeconds", result.TimeToHealthy.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
            ctx.SetOutput("Probes", result.Probes.ToString(CultureInfo.InvariantCulture));
        }
    }
}
