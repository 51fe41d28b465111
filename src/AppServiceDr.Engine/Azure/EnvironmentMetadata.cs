using System;
using System.Net.Http;
using System.Text.Json;
using System.Threading;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>
    /// Reads an Azure Stack Hub stamp's endpoints from its Resource Manager metadata
    /// (GET {endpoint}/metadata/endpoints?api-version=2015-01-01, answered without signing in), as Add-AzEnvironment
    /// -ARMEndpoint does: the sign-in authority is authentication.loginEndpoint (AD FS when its path ends in /adfs), the
    /// Resource Manager audience is the first of authentication.audiences, and Graph is graphEndpoint.
    /// </summary>
    internal static class EnvironmentMetadata
    {
        public const string ApiVersion = "2015-01-01";

        public static void Apply(DrEnvironment environment, HttpMessageHandler handler)
        {
            var url = new Uri(environment.ResourceManagerEndpoint, "/metadata/endpoints?api-version=" + ApiVersion);
            string text;
            try
            {
                using var client = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
                using var response = client.GetAsync(url, CancellationToken.None).GetAwaiter().GetResult();
                text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode)
                    throw Unreadable(environment, $"it answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            catch (HttpRequestException ex)
            {
                throw Unreadable(environment, ex.Message, ex);
            }
            catch (OperationCanceledException ex)
            {
                throw Unreadable(environment, "no answer within 60 s", ex);
            }
            Read(environment, text);
        }

        /// <summary>Applies one metadata document (the JSON the endpoint answers) to <paramref name="environment"/>.</summary>
        internal static void Read(DrEnvironment environment, string json)
        {
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(json);
                root = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw Unreadable(environment, "the answer is not JSON", ex);
            }
            var authentication = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("authentication", out var a) && a.ValueKind == JsonValueKind.Object ? a : default;
            var login = Text(authentication, "loginEndpoint");
            var audience = authentication.ValueKind == JsonValueKind.Object && authentication.TryGetProperty("audiences", out var list)
                           && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 && list[0].ValueKind == JsonValueKind.String
                ? list[0].GetString() : null;
            if (login == null || !Uri.TryCreate(login, UriKind.Absolute, out var loginUri) || string.IsNullOrWhiteSpace(audience))
                throw Unreadable(environment, "it names no authentication.loginEndpoint and audiences");
            var path = loginUri.AbsolutePath.TrimEnd('/');
            if (path.EndsWith("/adfs", StringComparison.OrdinalIgnoreCase))
            {
                environment.IdentityProvider = DrIdentityProvider.Adfs;
                environment.AuthorityHost = new Uri(loginUri, path.Substring(0, path.Length - "adfs".Length));
            }
            else
            {
                environment.IdentityProvider = DrIdentityProvider.EntraId;
                environment.AuthorityHost = loginUri;
            }
            environment.ResourceManagerAudience = audience!;
            if (Text(root, "graphEndpoint") is string graph && Uri.TryCreate(graph, UriKind.Absolute, out var graphUri))
            {
                environment.GraphEndpoint = graphUri;
                environment.GraphAudience = graph.TrimEnd('/');
            }
            environment.DiscoverFromMetadata = false;
        }

        private static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static DrException Unreadable(DrEnvironment environment, string why, Exception? inner = null) =>
            DrException.Precondition("EnvironmentMetadataUnavailable", DrErrorCategory.ConnectionError,
                $"The endpoints of the Azure Stack Hub at {environment.ResourceManagerEndpoint} could not be read from its metadata ({why}); nothing was changed. " +
                "Check -ResourceManagerEndpoint and that the stamp answers.", environment.ResourceManagerEndpoint.ToString(), inner);
    }
}
