using System;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using global::Azure.Core;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>
    /// Microsoft Graph beside Resource Manager: the run's Graph pipeline (bearer token for the Graph audience,
    /// the same retries), applications addressed by appId. Failures leave through <see cref="AzureErrors"/>.
    /// </summary>
    internal sealed class GraphClient
    {
        private readonly AzureConnection _azure;

        public GraphClient(AzureConnection azure)
        {
            _azure = azure;
        }

        /// <summary>The application with this appId; a precondition failure when there is none.</summary>
        public async Task<JsonElement> GetApplicationAsync(string appId, CancellationToken ct) =>
            await SendAsync(RequestMethod.Get, appId, null, ct).ConfigureAwait(false)
            ?? throw DrException.Precondition("EntraApplicationNotFound", DrErrorCategory.ObjectNotFound, $"No Entra application has appId '{appId}'.", appId);

        /// <summary>PATCH of the application: what the body names is replaced (a collection, whole).</summary>
        public Task PatchApplicationAsync(string appId, string body, CancellationToken ct) => SendAsync(RequestMethod.Patch, appId, body, ct);

        private async Task<JsonElement?> SendAsync(RequestMethod method, string appId, string? body, CancellationToken ct)
        {
            using var message = _azure.Graph.CreateMessage();
            message.Request.Method = method;
            message.Request.Uri.Reset(new Uri(_azure.Environment.GraphEndpoint, "v1.0/applications(appId='" + Uri.EscapeDataString(appId.Replace("'", "''")) + "')"));
            message.Request.Headers.Add("Accept", "application/json");
            if (body != null)
            {
                message.Request.Headers.Add("Content-Type", "application/json");
                message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(body));
            }
            try
            {
                await _azure.Graph.SendAsync(message, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (AzureErrors.FromFailure(AzureService.Graph, ex, $"{method} application {appId}", appId) is DrException failure)
            {
                throw failure;
            }
            var status = message.Response.Status;
            if (status == 404 && method == RequestMethod.Get) return null;
            string text;
            using (var reader = new StreamReader(message.Response.ContentStream ?? new MemoryStream(), Encoding.UTF8)) text = await reader.ReadToEndAsync().ConfigureAwait(false);
            if (status >= 400)
            {
                JsonElement? error = null;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    error = doc.RootElement.Clone();
                }
                catch (JsonException) { }
                throw AzureErrors.FromAnswer(AzureService.Graph, status, error, $"{method} application {appId}", appId);
            }
            if (string.IsNullOrWhiteSpace(text)) return null;
            using (var doc = JsonDocument.Parse(text)) return doc.RootElement.Clone();
        }
    }
}
