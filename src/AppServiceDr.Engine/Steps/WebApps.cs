using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>Which app to restart and how to tell it is healthy again. Part of the requests of every runbook that
    /// ends with a restart, so it is journaled with them.</summary>
    public sealed class WebAppTarget
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string Name { get; set; } = "";
        /// <summary>Path requested on the app's default host name to judge its health.</summary>
        public string HealthPath { get; set; } = "/";
        /// <summary>Status codes that count as healthy.</summary>
        public IReadOnlyList<int> HealthyStatusCodes { get; set; } = new[] { 200 };
        public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromMinutes(10);
        public TimeSpan HealthPollInterval { get; set; } = TimeSpan.FromSeconds(5);

        [JsonIgnore]
        public string ResourceId => ArmPath.Resource(SubscriptionId, ResourceGroupName, "Microsoft.Web/sites", Name);

        /// <summary>The checks every runbook makes before it promises a restart: a valid name and healthy codes.</summary>
        public void Validate()
        {
            ArmPath.Validate(SubscriptionId, ResourceGroupName, Name);
            if (HealthyStatusCodes.Count == 0)
                throw DrException.Precondition("NoHealthyStatusCodes", DrErrorCategory.InvalidArgument, "Give at least one status code that counts as healthy.", Name);
        }
    }

    /// <summary>What the restart step saw: where it probed, whether it restarted, and when the app answered healthy.</summary>
    public sealed class WebAppRestartOutcome
    {
        public string HealthUrl { get; set; } = "";
        public bool Restarted { get; set; }
        public int LastStatusCode { get; set; }
        public int Probes { get; set; }
        public TimeSpan TimeToHealthy { get; set; }
        /// <summary>Restarts issued (by a step that restarts until the app starts without errors).</summary>
        public int Restarts { get; set; }
        /// <summary>The restarts after which the app did not start without errors, each with what it answered.</summary>
        public List<WebAppRestartTry>? Tries { get; set; }
    }

    /// <summary>One restart after which the app did not answer healthy within its health timeout.</summary>
    public sealed class WebAppRestartTry
    {
        public int Restart { get; set; }
        public string Error { get; set; } = "";
        public TimeSpan Duration { get; set; }
    }

    /// <summary>
    /// An App Service app through Resource Manager and its own host: its health URL, a restart, and the wait until
    /// the health URL answers a healthy status ("started" is not "usable": an app warming up answers 503 a while).
    /// </summary>
    internal sealed class WebApps
    {
        private readonly AzureConnection _azure;

        public WebApps(AzureConnection azure)
        {
            _azure = azure;
        }

        /// <summary>Reads the app and returns its health URL (https://{defaultHostName}{HealthPath}); a pre-flight
        /// check that the app exists.</summary>
        public async Task<Uri> GetHealthUrlAsync(WebAppTarget target, CancellationToken ct)
        {
            ArmPath.Validate(target.SubscriptionId, target.ResourceGroupName, target.Name);
            var site = await _azure.Arm.GetAsync(target.ResourceId, ArmApi.Sites, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("WebAppNotFound", DrErrorCategory.ObjectNotFound,
                    $"App '{target.Name}' was not found in resource group '{target.ResourceGroupName}'.", target.Name);
            var host = ArmJson.PropertyText(site, "defaultHostName");
            if (string.IsNullOrEmpty(host))
                throw new DrException("WebAppHasNoHostName", DrErrorCategory.InvalidData, $"App '{target.Name}' reports no default host name.", target.Name);
            var path = target.HealthPath.StartsWith("/", StringComparison.Ordinal) ? target.HealthPath : "/" + target.HealthPath;
            return new Uri("https://" + host + path);
        }

        /// <summary>Issues the restart (synchronous, so the platform has recycled the app when it returns).</summary>
        public async Task RestartAsync(WebAppTarget target, CancellationToken ct)
        {
            var (_, operation) = await _azure.Arm.StartAsync(RequestMethod.Post, target.ResourceId + "/restart", ArmApi.Sites, null, ct, "softRestart=false&synchronous=true").ConfigureAwait(false);
            if (operation != null) await _azure.Arm.WaitAsync(operation, TimeSpan.FromMinutes(10), null, ct).ConfigureAwait(false);
        }

        /// <summary>One request to the health URL: its status code, or what went wrong instead of an answer.</summary>
        public async Task<(int? Status, string Seen)> ProbeAsync(Uri healthUrl, CancellationToken ct)
        {
            var environment = _azure.Environment;
            using var client = new HttpClient(environment.Transport ?? AzureConnection.CreateHandler(environment.PinnedCertificateSha256), disposeHandler: environment.Transport == null)
            {
                Timeout = TimeSpan.FromSeconds(100),
            };
            try
            {
                using var response = await client.GetAsync(healthUrl, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                var seen = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) + " " + response.ReasonPhrase;
                if ((int)response.StatusCode >= 400 && await ErrorTextAsync(response).ConfigureAwait(false) is string text) seen += ": " + text;
                return ((int)response.StatusCode, seen);
            }
            catch (HttpRequestException ex)
            {
                return (null, "connection failed: " + ex.Message);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return (null, "request timed out");
            }
        }

        /// <summary>The start of a plain-text error answer (what an app says is wrong with it), on one line; null for other answers.</summary>
        private static async Task<string?> ErrorTextAsync(HttpResponseMessage response)
        {
            if (response.Content.Headers.ContentType?.MediaType != "text/plain") return null;
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            text = string.Join(" ", text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
            return text.Length == 0 ? null : text.Length <= 300 ? text : text.Substring(0, 300) + "…";
        }

        /// <summary>Probes until the app answers healthy, as one wait of the step (progress under the step's bar);
        /// WebAppNotHealthy naming the URL and the last answer when the target's timeout passes.</summary>
        public async Task<WebAppRestartOutcome> WaitHealthyAsync(WebAppTarget target, Uri healthUrl, StepContext ctx)
        {
            var outcome = new WebAppRestartOutcome { HealthUrl = healthUrl.ToString() };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var last = "no answer yet";
            return await ctx.WaitAsync($"Waiting for {target.Name} to answer healthy at {healthUrl}", target.HealthTimeout, target.HealthPollInterval,
                async ct =>
                {
                    var (status, seen) = await ProbeAsync(healthUrl, ct).ConfigureAwait(false);
                    outcome.Probes++;
                    last = seen;
                    if (status is int code) outcome.LastStatusCode = code;
                    if (status is int healthy && target.HealthyStatusCodes.Contains(healthy))
                    {
                        outcome.TimeToHealthy = clock.Elapsed;
                        return WaitProbe<WebAppRestartOutcome>.Done(outcome);
                    }
                    return WaitProbe<WebAppRestartOutcome>.Pending(seen);
                },
                elapsed => new DrException("WebAppNotHealthy", DrErrorCategory.OperationTimeout,
                    $"{healthUrl} did not answer healthy ({string.Join("/", target.HealthyStatusCodes)}) within {target.HealthTimeout.TotalSeconds:0} s; the last answer was {last}.", healthUrl.ToString()))
                .ConfigureAwait(false);
        }
    }
}
