using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Security.Authentication;
using System.Text.Json;
using global::Azure;
using global::Azure.Core;
using global::Azure.Core.Pipeline;
using global::Azure.Identity;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>The Azure services the engine calls; they name error ids (<c>KeyVaultUnreachable</c>) and messages.</summary>
    internal enum AzureService
    {
        ResourceManager,
        KeyVault,
        Graph,
    }

    /// <summary>
    /// The one place Azure failures become <see cref="DrException"/>s: answers with an error envelope
    /// (Resource Manager, Key Vault and Graph all use <c>{"error":{"code","message"}}</c>), transport failures
    /// (no answer, a certificate that is not trusted, a proxy that refuses, a host that does not resolve) and
    /// sign-in failures. Error ids are the service's own code when it sent one; categories follow the status.
    /// Messages never quote a request or a response body beyond the service's code and message.
    /// </summary>
    internal static class AzureErrors
    {
        private static string Display(AzureService service) => service switch
        {
            AzureService.KeyVault => "Key Vault",
            AzureService.Graph => "Microsoft Graph",
            _ => "Resource Manager",
        };

        public static DrErrorCategory CategoryOf(int status) => status switch
        {
            400 => DrErrorCategory.InvalidArgument,
            401 => DrErrorCategory.AuthenticationError,
            403 => DrErrorCategory.PermissionDenied,
            404 => DrErrorCategory.ObjectNotFound,
            409 => DrErrorCategory.ResourceBusy,
            429 => DrErrorCategory.LimitsExceeded,
            0 => DrErrorCategory.ConnectionError,
            _ when status >= 500 => DrErrorCategory.ResourceUnavailable,
            _ => DrErrorCategory.InvalidOperation,
        };

        /// <summary>The code and message of an error envelope: <c>{"error":{...}}</c>, an operation status's
        /// <c>{"status":"Failed","error":{...}}</c>, or a resource's <c>properties.error</c>.</summary>
        public static (string? Code, string? Message) Envelope(JsonElement? body)
        {
            if (body is not { ValueKind: JsonValueKind.Object } b) return (null, null);
            var error = b.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e
                : b.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("error", out var pe) && pe.ValueKind == JsonValueKind.Object ? pe
                : b;
            string? Text(string name) => error.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Text("code"), Text("message"));
        }

        /// <summary>A service's refusal: its code as the error id (else <c>&lt;Service&gt;Http&lt;status&gt;</c>).</summary>
        public static DrException FromAnswer(AzureService service, int status, JsonElement? body, string what, object? target)
        {
            var (code, message) = Envelope(body);
            var id = string.IsNullOrEmpty(code) ? service + "Http" + status.ToString(CultureInfo.InvariantCulture) : code!;
            return new DrException(id, CategoryOf(status), $"{Display(service)} refused to {what}: {status} {code}: {message ?? "(no message)"}", target);
        }

        /// <summary>An operation that ended Failed or Canceled; its error code is the error id.</summary>
        public static DrException OperationFailed(string what, JsonElement? body, object? target)
        {
            var (code, message) = Envelope(body);
            return new DrException(code ?? "OperationFailed", DrErrorCategory.InvalidOperation,
                $"The operation to {what} failed: {code ?? "no error code"}: {message ?? "(no message)"}", target);
        }

        /// <summary>
        /// Any failure from an Azure SDK call: the service's refusal (RequestFailedException with a status), a
        /// transport failure after the pipeline's retries (AggregateException of them), or a credential that
        /// could not sign in. Returns null for exceptions that are not Azure failures.
        /// </summary>
        public static DrException? FromFailure(AzureService service, Exception failure, string what, object? target)
        {
            if (failure is DrException dr) return dr;
            var attempts = failure is AggregateException aggregate ? aggregate.Flatten().InnerExceptions.ToList() : new List<Exception> { failure };
            var last = attempts[attempts.Count - 1];
            switch (last)
            {
                case CredentialUnavailableException unavailable:
                    return new DrException("CredentialUnavailable", DrErrorCategory.AuthenticationError,
                        $"No credential could sign in to {Display(service)}: {FirstLine(unavailable.Message)} Sign in first (Connect-AzAccount or az login), pass -AccessToken, or use -UseManagedIdentity on a machine that has one.",
                        target, failure);
                case AuthenticationFailedException failed:
                    return new DrException("AuthenticationFailed", DrErrorCategory.AuthenticationError,
                        $"Signing in to {Display(service)} failed: {FirstLine(failed.Message)}", target, failure);
                case RequestFailedException answered when answered.Status != 0:
                    var id = string.IsNullOrEmpty(answered.ErrorCode) ? service + "Http" + answered.Status.ToString(CultureInfo.InvariantCulture) : answered.ErrorCode!;
                    return new DrException(id, CategoryOf(answered.Status), $"{Display(service)} refused to {what}: {answered.Status} {answered.ErrorCode}.", target, failure);
            }
            var transport = Permanent(last);
            if (transport != null) return transport.Value.ToException(service, what, target, failure);
            if (last is RequestFailedException || last is HttpRequestException || last is OperationCanceledException || last is System.IO.IOException)
                return new DrException(service + "Unreachable", DrErrorCategory.ConnectionError,
                    $"{Display(service)} could not be reached to {what} after {attempts.Count} attempt(s): {FirstLine(Innermost(last).Message)}", target, failure);
            return null;
        }

        /// <summary>A transport failure that trying again cannot fix: the server's certificate is not trusted, the
        /// proxy refused the tunnel, or the host name does not resolve. Null for failures worth retrying.</summary>
        public static PermanentFailure? Permanent(Exception? failure)
        {
            for (var e = failure; e != null; e = e.InnerException)
            {
                if (e is AuthenticationException)
                    return new PermanentFailure("ServerCertificateNotTrusted", DrErrorCategory.SecurityError,
                        "the server's TLS certificate is not trusted (for a private CA, pass its SHA-256 with -TrustedCertificateSha256)");
#if !NETFRAMEWORK
                if (e is HttpRequestException http)
                {
                    if (http.HttpRequestError == HttpRequestError.ProxyTunnelError)
                        return new PermanentFailure("ProxyRefused", DrErrorCategory.ConnectionError,
                            "the proxy in HTTPS_PROXY refused to open a tunnel to the service");
                    if (http.HttpRequestError == HttpRequestError.NameResolutionError)
                        return new PermanentFailure("HostNotFound", DrErrorCategory.ObjectNotFound,
                            "the host name does not resolve (check the name, or the endpoint of this cloud)");
                }
#else
                if (e is System.Net.WebException web)
                {
                    if (web.Status == System.Net.WebExceptionStatus.TrustFailure)
                        return new PermanentFailure("ServerCertificateNotTrusted", DrErrorCategory.SecurityError,
                            "the server's TLS certificate is not trusted (for a private CA, pass its SHA-256 with -TrustedCertificateSha256)");
                    if (web.Status == System.Net.WebExceptionStatus.NameResolutionFailure)
                        return new PermanentFailure("HostNotFound", DrErrorCategory.ObjectNotFound,
                            "the host name does not resolve (check the name, or the endpoint of this cloud)");
                    if (web.Status == System.Net.WebExceptionStatus.ProxyNameResolutionFailure)
                        return new PermanentFailure("ProxyRefused", DrErrorCategory.ConnectionError, "the proxy in HTTPS_PROXY cannot be reached");
                }
#endif
            }
            return null;
        }

        private static Exception Innermost(Exception e)
        {
            while (e.InnerException != null) e = e.InnerException;
            return e;
        }

        private static string FirstLine(string text)
        {
            var line = text.Split('\n')[0].Trim();
            return line.EndsWith(".", StringComparison.Ordinal) ? line : line + ".";
        }

        internal readonly struct PermanentFailure
        {
            public PermanentFailure(string errorId, DrErrorCategory category, string reason)
            {
                ErrorId = errorId;
                Category = category;
                Reason = reason;
            }

            public string ErrorId { get; }
            public DrErrorCategory Category { get; }
            public string Reason { get; }

            public DrException ToException(AzureService service, string what, object? target, Exception failure) =>
                new DrException(ErrorId, Category, $"{Display(service)} could not be reached to {what}: {Reason}.", target, failure);
        }
    }

    /// <summary>
    /// Azure.Core's retries, shaped for an outage: a service that answers 429 or 5xx is asked again up to the
    /// environment's limit (honouring Retry-After), since it is there and will recover; a request that got no
    /// answer at all (reset, refused, timed out) is sent at most <see cref="TransportRetries"/> more times, so a
    /// wrong endpoint fails in seconds, not minutes; and transport failures that a retry cannot fix (an untrusted
    /// certificate, a refusing proxy, an unknown host) fail at once.
    /// </summary>
    internal sealed class DrRetryPolicy : RetryPolicy
    {
        public const int TransportRetries = 3;

        public DrRetryPolicy(int maxRetries, TimeSpan delay, TimeSpan maxDelay)
            : base(maxRetries, DelayStrategy.CreateExponentialDelayStrategy(delay, maxDelay))
        {
        }

        private const string TransportFailures = "AppServiceDr.TransportFailures";

        private static bool Allowed(HttpMessage message, Exception? exception)
        {
            if (exception == null) return true;
            if (AzureErrors.Permanent(exception) != null) return false;
            // Counted once per failed attempt, whichever of the two entry points asks (and however often).
            var seen = message.TryGetProperty(TransportFailures, out var value) && value is List<Exception> list ? list : new List<Exception>();
            if (!seen.Contains(exception)) seen.Add(exception);
            message.SetProperty(TransportFailures, seen);
            return seen.Count <= TransportRetries;
        }

        protected override bool ShouldRetry(HttpMessage message, Exception? exception) =>
            Allowed(message, exception) && base.ShouldRetry(message, exception);

        protected override System.Threading.Tasks.ValueTask<bool> ShouldRetryAsync(HttpMessage message, Exception? exception) =>
            Allowed(message, exception) ? base.ShouldRetryAsync(message, exception) : new System.Threading.Tasks.ValueTask<bool>(false);
    }
}
