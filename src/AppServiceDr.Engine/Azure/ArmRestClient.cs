using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>An answer from Resource Manager.</summary>
    internal sealed class ArmResponse
    {
        public ArmResponse(int status, JsonElement? body, string? asyncOperation, string? location, TimeSpan? retryAfter)
        {
            Status = status;
            Body = body;
            AsyncOperation = asyncOperation;
            Location = location;
            RetryAfter = retryAfter;
        }

        public int Status { get; }
        public JsonElement? Body { get; }
        public string? AsyncOperation { get; }
        public string? Location { get; }
        public TimeSpan? RetryAfter { get; }

        public string? ProvisioningState =>
            Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("provisioningState", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
    }

    /// <summary>
    /// Everything needed to find a long-running operation again: saved as a step checkpoint right after the
    /// operation starts, so a resumed run polls the operation it already started instead of starting another.
    /// </summary>
    internal sealed class LroHandle
    {
        public LroHandle(string method, string resourceUrl, string? asyncOperationUrl, string? locationUrl)
        {
            Method = method;
            ResourceUrl = resourceUrl;
            AsyncOperationUrl = asyncOperationUrl;
            LocationUrl = locationUrl;
        }

        public string Method { get; }
        public string ResourceUrl { get; }
        public string? AsyncOperationUrl { get; }
        public string? LocationUrl { get; }

        /// <summary>How long the service asked us to wait before the first poll (not saved: a resumed poll starts at once).</summary>
        public TimeSpan? FirstDelay { get; set; }

        public string Serialize() => string.Join("\n", Method, ResourceUrl, AsyncOperationUrl ?? "", LocationUrl ?? "");

        public static LroHandle Parse(string text)
        {
            var parts = text.Split('\n');
            if (parts.Length != 4) throw new FormatException("Not an operation handle.");
            return new LroHandle(parts[0], parts[1], parts[2].Length == 0 ? null : parts[2], parts[3].Length == 0 ? null : parts[3]);
        }
    }

    /// <summary>
    /// Resource Manager over Azure.Core's pipeline (bearer token, retries), with the api-version of each call taken
    /// from the environment's <see cref="ApiProfile"/> (callers name the API, never a version), and the one long-running-operation poller every runbook uses: Azure-AsyncOperation first,
    /// then Location, then the resource's provisioningState; Retry-After (or retry-after-ms) honoured.
    /// </summary>
    internal sealed class ArmRestClient
    {
        private readonly HttpPipeline _pipeline;
        private readonly DrEnvironment _environment;
        private int _polls;

        public ArmRestClient(HttpPipeline pipeline, DrEnvironment environment)
        {
            _pipeline = pipeline;
            _environment = environment;
        }

        /// <summary>Status requests sent while waiting for operations (for the benchmark's polling budget).</summary>
        public int PollCount => Volatile.Read(ref _polls);

        /// <summary>The URL of <paramref name="path"/> with the api-version the environment's profile gives <paramref name="api"/>;
        /// ApiVersionNotInProfile when the cloud does not serve that API.</summary>
        public Uri Url(string path, ArmApi api, string? query = null) => Url(path, _environment.Profile.VersionOf(api), query);

        private Uri Url(string path, string apiVersion, string? query)
        {
            var b = new StringBuilder(_environment.ResourceManagerEndpoint.GetLeftPart(UriPartial.Authority));
            b.Append('/').Append(path.TrimStart('/'));
            b.Append(path.IndexOf('?') >= 0 ? '&' : '?').Append("api-version=").Append(Uri.EscapeDataString(apiVersion));
            if (!string.IsNullOrEmpty(query)) b.Append('&').Append(query);
            return new Uri(b.ToString());
        }

        /// <summary>GET; null when the resource does not exist (404).</summary>
        public async Task<JsonElement?> GetAsync(string path, ArmApi api, CancellationToken ct, string? query = null)
        {
            var r = await SendAsync(RequestMethod.Get, Url(path, api, query), null, ct, allowNotFound: true).ConfigureAwait(false);
            return r.Status == 404 ? null : r.Body;
        }

        /// <summary>GET with the api-version a template declares for its own resource (the template's choice for a
        /// resource type the engine does not call otherwise); null when the resource does not exist (404).</summary>
        public async Task<JsonElement?> GetWithDeclaredVersionAsync(string path, string declaredApiVersion, CancellationToken ct)
        {
            var r = await SendAsync(RequestMethod.Get, Url(path, declaredApiVersion, null), null, ct, allowNotFound: true).ConfigureAwait(false);
            return r.Status == 404 ? null : r.Body;
        }

        public Task<ArmResponse> SendAsync(RequestMethod method, string path, ArmApi api, string? jsonBody, CancellationToken ct, string? query = null) =>
            SendAsync(method, Url(path, api, query), jsonBody, ct, allowNotFound: false);

        /// <summary>The error id of a request sent with resendWhenAnswerLost false whose answer never arrived:
        /// the service may or may not have applied it.</summary>
        public const string AnswerLostErrorId = "ResourceManagerAnswerLost";

        /// <summary>Sends one request. A 4xx/5xx answer (after the pipeline's retries) becomes a DrException
        /// carrying Resource Manager's error code as its error id. With <paramref name="resendWhenAnswerLost"/>
        /// false, refusals the service answered (429, 5xx) are still retried, but a request whose connection
        /// failed is not sent again: it fails with <see cref="AnswerLostErrorId"/>, so the caller can look at the
        /// resource first instead of repeating a change that may already have been applied.</summary>
        public async Task<ArmResponse> SendAsync(RequestMethod method, Uri url, string? jsonBody, CancellationToken ct, bool allowNotFound, bool resendWhenAnswerLost = true)
        {
            if (!string.Equals(url.Host, _environment.ResourceManagerEndpoint.Host, StringComparison.OrdinalIgnoreCase))
                throw new DrException("UnexpectedOperationUrl", DrErrorCategory.SecurityError,
                    $"Resource Manager pointed at '{url.Host}', which is not its endpoint '{_environment.ResourceManagerEndpoint.Host}'; the request was not sent.", url.GetLeftPart(UriPartial.Path));
            using var message = _pipeline.CreateMessage();
            var request = message.Request;
            request.Method = method;
            request.Uri.Reset(url);
            request.Headers.Add("Accept", "application/json");
            if (jsonBody != null)
            {
                request.Headers.Add("Content-Type", "application/json");
                request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(jsonBody));
            }
            if (!resendWhenAnswerLost) message.ResponseClassifier = new AnsweredRefusalsOnly(message.ResponseClassifier);
            try
            {
                await _pipeline.SendAsync(message, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (!resendWhenAnswerLost && ex.Status == 0)
            {
                throw new DrException(AnswerLostErrorId, DrErrorCategory.ConnectionError,
                    $"{method} {url.AbsolutePath} got no answer ({ex.Message}); it may or may not have been applied.", url.AbsolutePath, ex);
            }
            catch (OperationCanceledException ex) when (!resendWhenAnswerLost && !ct.IsCancellationRequested)
            {
                throw new DrException(AnswerLostErrorId, DrErrorCategory.OperationTimeout,
                    $"{method} {url.AbsolutePath} got no answer in time; it may or may not have been applied.", url.AbsolutePath, ex);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Stopped (Ctrl+C, PowerShell.Stop()): a cancelled run, not a service that could not be reached.
                throw;
            }
            catch (Exception ex) when (AzureErrors.FromFailure(AzureService.ResourceManager, ex, $"{method} {url.AbsolutePath}", url.AbsolutePath) is DrException failure)
            {
                throw failure;
            }
            var response = message.Response;
            JsonElement? body = null;
            if (response.ContentStream != null && response.ContentStream.CanRead)
            {
                using var reader = new StreamReader(response.ContentStream, Encoding.UTF8);
                var text = await reader.ReadToEndAsync().ConfigureAwait(false);
                if (!string.IsNullOrWhiteSpace(text))
                {
                    try
                    {
                        using var doc = JsonDocument.Parse(text);
                        body = doc.RootElement.Clone();
                    }
                    catch (JsonException) { /* not JSON: kept as null, the status decides */ }
                }
            }
            var result = new ArmResponse(response.Status, body, Header(response, "Azure-AsyncOperation"), Header(response, "Location"), RetryAfter(response));
            if (response.Status >= 400 && !(allowNotFound && response.Status == 404))
                throw ToException(method.ToString(), url, result);
            return result;
        }

        /// <summary>Retries what the service answered with a refusal (429, 5xx), never a request whose answer was lost.</summary>
        private sealed class AnsweredRefusalsOnly : ResponseClassifier
        {
            private readonly ResponseClassifier _inner;

            public AnsweredRefusalsOnly(ResponseClassifier inner)
            {
                _inner = inner;
            }

            public override bool IsRetriableResponse(HttpMessage message) => _inner.IsRetriableResponse(message);
            public override bool IsRetriableException(Exception exception) => false;
            public override bool IsRetriable(HttpMessage message, Exception exception) => false;
            public override bool IsErrorResponse(HttpMessage message) => _inner.IsErrorResponse(message);
        }

        private static string? Header(Response r, string name) => r.Headers.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;

        private static TimeSpan? RetryAfter(Response r)
        {
            if (r.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
                return TimeSpan.FromMilliseconds(Math.Max(0, m));
            if (r.Headers.TryGetValue("x-ms-retry-after-ms", out var xms) && double.TryParse(xms, NumberStyles.Float, CultureInfo.InvariantCulture, out var xm))
                return TimeSpan.FromMilliseconds(Math.Max(0, xm));
            if (r.Headers.TryGetValue("Retry-After", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sec))
                return TimeSpan.FromSeconds(Math.Max(0, sec));
            return null;
        }

        internal static DrException ToException(string method, Uri url, ArmResponse r) =>
            AzureErrors.FromAnswer(AzureService.ResourceManager, r.Status, r.Body, $"{method} {url.AbsolutePath}", url.AbsolutePath);

        /// <summary>Starts a change. Returns the handle to wait on, or null when the service finished at once.
        /// With <paramref name="resendWhenAnswerLost"/> false, a request whose answer is lost fails with
        /// <see cref="AnswerLostErrorId"/> instead of being sent again (for changes that must not be repeated).</summary>
        public async Task<(ArmResponse Response, LroHandle? Operation)> StartAsync(RequestMethod method, string path, ArmApi api, string? jsonBody, CancellationToken ct, string? query = null, bool resendWhenAnswerLost = true)
        {
            var url = Url(path, api, query);
            var r = await SendAsync(method, url, jsonBody, ct, allowNotFound: false, resendWhenAnswerLost).ConfigureAwait(false);
            var running = r.AsyncOperation != null || r.Location != null && r.Status == 202
                          || (r.Status == 201 || r.Status == 200) && IsRunning(r.ProvisioningState);
            if (!running) return (r, null);
            var location = r.Status == 202 || method == RequestMethod.Post || method == RequestMethod.Delete ? r.Location : null;
            return (r, new LroHandle(method.ToString(), Url(path, api).ToString(), r.AsyncOperation, location) { FirstDelay = r.RetryAfter });
        }

        private static bool IsRunning(string? provisioningState) =>
            provisioningState != null && !IsTerminal(provisioningState);

        private static bool IsTerminal(string state) =>
            state.Equals("Succeeded", StringComparison.OrdinalIgnoreCase) || state.Equals("Failed", StringComparison.OrdinalIgnoreCase)
            || state.Equals("Canceled", StringComparison.OrdinalIgnoreCase) || state.Equals("Cancelled", StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// Waits for an operation to end and returns the final resource (PUT/PATCH), the operation's result
        /// (POST), or null (DELETE). A failed or cancelled operation throws with the service's error code;
        /// one still running after <paramref name="timeout"/> throws OperationTimedOut naming its status URL.
        /// </summary>
        public async Task<JsonElement?> WaitAsync(LroHandle handle, TimeSpan timeout, Action<string>? onPoll, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var delay = handle.FirstDelay ?? _environment.DefaultPollInterval;
            var method = handle.Method.ToUpperInvariant();
            while (true)
            {
                if (clock.Elapsed > timeout)
                    throw new DrException("OperationTimedOut", DrErrorCategory.OperationTimeout,
                        $"The {method} operation on {new Uri(handle.ResourceUrl).AbsolutePath} was still running after {timeout.TotalMinutes:0.#} min. Status URL: {handle.AsyncOperationUrl ?? handle.LocationUrl ?? handle.ResourceUrl}",
                        handle.ResourceUrl);
                await Task.Delay(delay, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _polls);
                if (handle.AsyncOperationUrl != null)
                {
                    var status = await SendAsync(RequestMethod.Get, new Uri(handle.AsyncOperationUrl), null, ct, allowNotFound: false).ConfigureAwait(false);
                    var state = status.Body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                    onPoll?.Invoke(state ?? "InProgress");
                    delay = status.RetryAfter ?? _environment.DefaultPollInterval;
                    if (state == null || !IsTerminal(state)) continue;
                    if (!state.Equals("Succeeded", StringComparison.OrdinalIgnoreCase))
                        throw OperationFailed(method, handle, status.Body);
                    return await FinalAsync(method, handle, ct).ConfigureAwait(false);
                }
                if (handle.LocationUrl != null)
                {
                    var r = await SendAsync(RequestMethod.Get, new Uri(handle.LocationUrl), null, ct, allowNotFound: method == "DELETE").ConfigureAwait(false);
                    onPoll?.Invoke(r.Status == 202 ? "InProgress" : "Succeeded");
                    delay = r.RetryAfter ?? _environment.DefaultPollInterval;
                    if (r.Status == 202) continue;
                    if (method == "PUT" || method == "PATCH") return await FinalAsync(method, handle, ct).ConfigureAwait(false);
                    return method == "DELETE" ? null : r.Body;
                }
                var resource = await SendAsync(RequestMethod.Get, new Uri(handle.ResourceUrl), null, ct, allowNotFound: false).ConfigureAwait(false);
                var provisioning = resource.ProvisioningState;
                onPoll?.Invoke(provisioning ?? "Succeeded");
                delay = resource.RetryAfter ?? _environment.DefaultPollInterval;
                if (provisioning != null && !IsTerminal(provisioning)) continue;
                if (provisioning != null && !provisioning.Equals("Succeeded", StringComparison.OrdinalIgnoreCase))
                    throw OperationFailed(method, handle, resource.Body);
                return resource.Body;
            }
        }

        private async Task<JsonElement?> FinalAsync(string method, LroHandle handle, CancellationToken ct)
        {
            if (method == "DELETE") return null;
            if (method == "POST")
            {
                if (handle.LocationUrl == null) return null;
                var r = await SendAsync(RequestMethod.Get, new Uri(handle.LocationUrl), null, ct, allowNotFound: false).ConfigureAwait(false);
                return r.Body;
            }
            return (await SendAsync(RequestMethod.Get, new Uri(handle.ResourceUrl), null, ct, allowNotFound: false).ConfigureAwait(false)).Body;
        }

        private static DrException OperationFailed(string method, LroHandle handle, JsonElement? body)
        {
            var path = new Uri(handle.ResourceUrl).AbsolutePath;
            return AzureErrors.OperationFailed($"{method} {path}", body, path);
        }
    }
}
