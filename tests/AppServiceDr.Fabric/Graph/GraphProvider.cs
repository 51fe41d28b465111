using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Graph;

/// <summary>Microsoft Graph applications known to the fabric, by object id.</summary>
public sealed class ApplicationStore
{
    public Dictionary<string, JsonObject> ById { get; } = new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase);

    public JsonObject? FindByAppId(string appId) =>
        ById.Values.FirstOrDefault(a => string.Equals(a["appId"]?.GetValue<string>(), appId, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Microsoft Graph v1.0 applications: GET by appId (key syntax or $filter) or object id, PATCH of
/// spa/web/publicClient redirect URIs with replace semantics (204).
/// </summary>
public sealed class GraphProvider : IFabricProvider
{
    private static readonly Regex FilterPattern = new Regex(@"^\s*(appId|displayName)\s+eq\s+'((?:[^']|'')*)'\s*$", RegexOptions.IgnoreCase);
    private FabricState _state = null!;

    private ApplicationStore Store => _state.Store<ApplicationStore>();

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        var graph = routes.For(FabricService.Graph);
        graph.Map("GET", "/v1.0/applications", List);
        graph.Map("GET", "/v1.0/applications(appId='{appId}')", request => FabricResult.Ok(Render(RequireByAppId(request.Route("appId")))));
        graph.Map("PATCH", "/v1.0/applications(appId='{appId}')", request => Patch(request, RequireByAppId(request.Route("appId"))));
        graph.Map("GET", "/v1.0/applications/{id}", request => FabricResult.Ok(Render(RequireById(request.Route("id")))));
        graph.Map("PATCH", "/v1.0/applications/{id}", request => Patch(request, RequireById(request.Route("id"))));
        routes.Admin.Map("PUT", "/_fabric/seed/applications/{appId}", request =>
        {
            var body = request.Body as JsonObject ?? new JsonObject();
            SeedApplication(_state, request.Route("appId"), body["displayName"]?.GetValue<string>() ?? request.Route("appId"),
                Uris(body["spa"]), Uris(body["web"]));
            return FabricResult.NoContent();
        });
    }

    private static IEnumerable<string> Uris(JsonNode? section) =>
        (section?["redirectUris"] as JsonArray ?? new JsonArray()).Select(u => u!.GetValue<string>()).ToList();

    /// <summary>Registers an application (replacing one with the same appId); returns its object id.</summary>
    public static string SeedApplication(FabricState state, string appId, string displayName, IEnumerable<string>? spaRedirectUris = null, IEnumerable<string>? webRedirectUris = null)
    {
        var store = state.Store<ApplicationStore>();
        var existing = store.FindByAppId(appId);
        var id = existing?["id"]?.GetValue<string>() ?? Guid.NewGuid().ToString();
        static JsonArray Array(IEnumerable<string>? uris) => new JsonArray((uris ?? Enumerable.Empty<string>()).Select(u => (JsonNode?)JsonValue.Create(u)).ToArray());
        store.ById[id] = new JsonObject
        {
            ["id"] = id,
            ["appId"] = appId,
            ["displayName"] = displayName,
            ["signInAudience"] = "AzureADMyOrg",
            ["createdDateTime"] = Arm.Iso(state.Now),
            ["identifierUris"] = new JsonArray(),
            ["spa"] = new JsonObject { ["redirectUris"] = Array(spaRedirectUris) },
            ["web"] = new JsonObject
            {
                ["homePageUrl"] = null,
                ["logoutUrl"] = null,
                ["redirectUris"] = Array(webRedirectUris),
                ["implicitGrantSettings"] = new JsonObject { ["enableAccessTokenIssuance"] = false, ["enableIdTokenIssuance"] = false },
            },
            ["publicClient"] = new JsonObject { ["redirectUris"] = new JsonArray() },
        };
        return id;
    }

    private JsonObject RequireByAppId(string appId) =>
        Store.FindByAppId(appId) ?? throw NotFound(appId);

    private JsonObject RequireById(string id) =>
        Store.ById.TryGetValue(id, out var app) ? app : throw NotFound(id);

    private static FabricError NotFound(string key) =>
        FabricError.NotFound("Request_ResourceNotFound", $"Application '{key}' does not exist.");

    private static JsonObject Render(JsonObject app)
    {
        var json = new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#applications/$entity" };
        foreach (var pair in app)
        {
            json[pair.Key] = pair.Value?.DeepClone();
        }
        return json;
    }

    private FabricResult List(FabricRequest request)
    {
        IEnumerable<JsonObject> apps = Store.ById.Values;
        var filter = request.Query("$filter");
        if (filter != null)
        {
            var match = FilterPattern.Match(filter);
            if (!match.Success)
            {
                throw FabricError.BadRequest("Request_UnsupportedQuery", $"Unsupported query: the fabric filters applications by appId or displayName equality only, not '{filter}'.");
            }
            var property = match.Groups[1].Value.Equals("appId", StringComparison.OrdinalIgnoreCase) ? "appId" : "displayName";
            var value = match.Groups[2].Value.Replace("''", "'");
            apps = apps.Where(a => string.Equals(a[property]?.GetValue<string>(), value, StringComparison.OrdinalIgnoreCase));
        }
        return FabricResult.Ok(new JsonObject
        {
            ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#applications",
            ["value"] = new JsonArray(apps.Select(a => (JsonNode?)a.DeepClone()).ToArray()),
        });
    }

    /// <summary>A collection property given in the body replaces the stored one entirely, as in Graph.</summary>
    private static FabricResult Patch(FabricRequest request, JsonObject app)
    {
        var body = request.RequireBody();
        foreach (var pair in body)
        {
            switch (pair.Key)
            {
                case "spa":
                case "web":
                case "publicClient":
                    if (pair.Value is not JsonObject section)
                    {
                        throw FabricError.BadRequest("Request_BadRequest", $"Property '{pair.Key}' must be an object.");
                    }
                    var target = (JsonObject)app[pair.Key]!;
                    foreach (var property in section)
                    {
                        if (property.Key == "redirectUris")
                        {
                            target["redirectUris"] = ValidateUris(pair.Key, property.Value);
                        }
                        else
                        {
                            target[property.Key] = property.Value?.DeepClone();
                        }
                    }
                    break;
                case "displayName":
                    app["displayName"] = pair.Value?.DeepClone();
                    break;
                default:
                    throw FabricError.BadRequest("Request_BadRequest", $"Property '{pair.Key}' cannot be updated through the fabric.");
            }
        }
        return FabricResult.NoContent();
    }

    private static JsonArray ValidateUris(string section, JsonNode? value)
    {
        if (value is not JsonArray array)
        {
            throw FabricError.BadRequest("Request_BadRequest", $"{section}.redirectUris must be an array.");
        }
        foreach (var item in array)
        {
            var text = item?.GetValue<string>();
            var ok = Uri.TryCreate(text, UriKind.Absolute, out var uri)
                     && (section == "publicClient" || uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));
            if (!ok)
            {
                throw FabricError.BadRequest("Request_BadRequest", $"'{text}' is not an acceptable {section} redirect URI (absolute, HTTPS unless loopback).");
            }
        }
        if (array.Count > 256)
        {
            throw FabricError.BadRequest("Request_BadRequest", "An application can have at most 256 redirect URIs.");
        }
        return (JsonArray)array.DeepClone();
    }
}
