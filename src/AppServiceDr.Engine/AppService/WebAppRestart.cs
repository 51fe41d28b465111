using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using global::Azure.Core;

using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>Which app to restart and how to tell it is healthy again.</summary>
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

        public string ResourceId => ArmPath.Resource(SubscriptionId, ResourceGroupName, "Microsoft.Web/sites", Name);

        /// <summary>The target as run inputs, so a journaled run can be resumed with the same app.</summary>
        internal IEnumerable<Runbooks.RunInput> ToInputs()
        {
            yield return new Runbooks.RunInput("WebAppSubscriptionId", SubscriptionId);
            yield return new Runbooks.RunInput("WebAppResourceGroupName", ResourceGroupName);
            yield return new Runbooks.RunInput("WebAppName", Name);
            yield return new Runbooks.RunInput("HealthPath", HealthPath);
            yield return new Runbooks.RunInput("HealthyStatusCodes", string.Join(",", HealthyStatusCodes));
            yield return new Runbooks.RunInput("HealthTimeoutSeconds", HealthTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            yield return new Runbooks.RunInput("HealthPollIntervalSeconds", HealthPollInterval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        /// <summary>The target recorded by <see cref="ToInputs"/>, or null when the run had none.</summary>
        internal static WebAppTarget? FromInputs(IReadOnlyDictionary<string, string?> inputs)
        {
            string? Get(string key) => inputs.Optional(key);
            if (Get("WebAppName") == null) return null;
            return new WebAppTarget
            {
                SubscriptionId = Get("WebAppSubscriptionId") ?? "",
                ResourceGroupName = Get("WebAppResourceGroupName") ?? "",
                Name = Get("WebAppName")!,
                HealthPath = Get("HealthPath") ?? "/",
                HealthyStatusCodes = (Get("HealthyStatusCodes") ?? "200").Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                HealthTimeout = TimeSpan.FromSeconds(double.Parse(Get("HealthTimeoutSeconds") ?? "600", System.Globalization.CultureInfo.InvariantCulture)),
                // Journals written before the interval was recorded resume with the default.
                HealthPollInterval = TimeSpan.FromSeconds(double.Parse(Get("HealthPollIntervalSeconds") ?? "5", System.Globalization.CultureInfo.InvariantCulture)),
            };
        }
    }

    /// <summary>The outcome of a restart: when the app answered healthy again, and how it was judged.</summary>
    public sealed class WebAppRestartResult
    {
        public string Name { get; set; } = "";
        public string HealthUrl { get; set; } = "";
        public bool Restarted { get; set; }
        public int LastStatusCode { get; set; }
        public int Probes { get; set; }
        public TimeSpan TimeToHealthy { get; set; }
    }

    /// <summary>
    /// Restarts an App Service app through Resource Manager and waits until its health URL answers with a
    /// healthy status: "started" is not "usable", and an app warming up answers 503 for a while.
    /// </summary>
    public sealed class WebAppRestartService
    {
        internal const string ApiVersion = "2024-04-01";
        private readonly DrEnvironment _environment;
        private readonly AzureConnection _azure;

        public WebAppRestartService(DrEnvironment environment, SecretRedactor? redactor = null)
        {
            _environment = environment;
            _azure = new AzureConnection(environment, redactor ?? new SecretRedactor());
        }

        /// <summary>Reads the app and returns its health URL (https://{defaultHostName}{HealthPath}).</summary>
        public async Task<Uri> GetHealthUrlAsync(WebAppTarget target, CancellationToken ct)
        {
            ArmPath.Validate(target.SubscriptionId, target.ResourceGroupName, target.Name);
            var site = await _azure.Arm.GetAsync(target.ResourceId, ApiVersion, ct).ConfigureAwait(false)
                ?? throw new DrException("WebAppNotFound", DrErrorCategory.ObjectNotFound,
                    $"App '{target.Name}' was not found in resource group '{target.ResourceGroupName}'.", target.Name) { IsPrecondition = true };
            var host = site.TryGetProperty("properties", out var p) && p.TryGetProperty("defaultHostName", out var h) ? h.GetString() : null;
            if (string.IsNullOrEmpty(host))
                throw new DrException("WebAppHasNoHostName", DrErrorCategory.InvalidData, $"App '{target.Name}' reports no default host name.", target.Name);
            var path = target.HealthPath.StartsWith("/", StringComparison.Ordinal) ? target.HealthPath : "/" + target.HealthPath;
            return new Uri("https://" + host + path);
        }

        /// <summary>Issues the restart (synchronous, so the platform has recycled the app when it returns).</summary>
        public async Task RestartAsync(WebAppTarget target, CancellationToken ct)
        {
            var (_, operation) = await _azure.Arm.StartAsync(RequestMethod.Post, target.ResourceId + "/restart", ApiVersion, null, ct, "softRestart=false&synchronous=true").ConfigureAwait(false);
            if (operation != null) await _azure.Arm.WaitAsync(operation, TimeSpan.FromMinutes(10), null, ct).ConfigureAwait(false);
        }

        /// <summary>One probe of the health URL: the result when it answers healthy now, null otherwise.</summary>
        public async Task<WebAppRestartResult?> ProbeOnceAsync(WebAppTarget target, Uri healthUrl, IDrHost host, CancellationToken ct)
        {
            try
            {
                return await WaitHealthyAsync(target, healthUrl, host, ct, TimeSpan.Zero).ConfigureAwait(false);
            }
            catch (DrException ex) when (ex.ErrorId == "WebAppNotHealthy")
            {
                return null;
            }
        }

        /// <summary>Polls the health URL until it answers healthy; OperationTimeout naming the URL and the last status otherwise.</summary>
        public Task<WebAppRestartResult> WaitHealthyAsync(WebAppTarget target, Uri healthUrl, IDrHost host, CancellationToken ct) =>
            WaitHealthyAsync(target, healthUrl, host, ct, target.HealthTimeout);

        private async Task<WebAppRestartResult> WaitHealthyAsync(WebAppTarget target, Uri healthUrl, IDrHost host, CancellationToken ct, TimeSpan timeout)
        {
            var result = new WebAppRestartResult { Name = target.Name, HealthUrl = healthUrl.ToString() };
            var clock = Stopwatch.StartNew();
            using var client = new HttpClient(_environment.Transport ?? AzureConnection.CreateHandler(_environment.PinnedCertificateSha256), disposeHandler: _environment.Transport == null)
            {
                Timeout = TimeSpan.FromSeconds(100),
            };
            string last = "no answer yet";
            while (true)
            {
                result.Probes++;
                try
                {
                    using var response = await client.GetAsync(healthUrl, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                    result.LastStatusCode = (int)response.StatusCode;
                    last = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + response.ReasonPhrase;
                    if (target.HealthyStatusCodes.Contains((int)response.StatusCode))
                    {
                        result.TimeToHealthy = clock.Elapsed;
                        return result;
                    }
                }
                catch (HttpRequestException ex)
                {
                    last = "connection failed: " + ex.Message;
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    last = "request timed out";
                }
                if (clock.Elapsed >= timeout)
                    throw new DrException("WebAppNotHealthy", DrErrorCategory.OperationTimeout,
                        $"{healthUrl} did not answer healthy ({string.Join("/", target.HealthyStatusCodes)}) within {timeout.TotalSeconds:0} s; the last answer was {last}.", healthUrl.ToString());
                host.Progress(new DrProgress(200, $"Waiting for {target.Name} to be healthy", last) { CurrentOperation = healthUrl.ToString() });
                await Task.Delay(target.HealthPollInterval, ct).ConfigureAwait(false);
            }
        }
    }
}
