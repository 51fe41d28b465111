using System;
using System.Linq;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Login;

/// <summary>
/// A token issuer on login.{suffix}: the OpenID configuration and the v2.0 token endpoint for the
/// client-credentials grant. Any client id and secret are accepted; the access token is an unsigned
/// JWT whose audience is the requested scope's resource, so the fabric can record who called what.
/// </summary>
public sealed class LoginProvider : IFabricProvider
{
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        var login = routes.For(FabricService.Login);
        login.Map("GET", "/{tenant}/v2.0/.well-known/openid-configuration", Configuration);
        login.Map("POST", "/{tenant}/oauth2/v2.0/token", Token);
    }

    private FabricResult Configuration(FabricRequest request)
    {
        var authority = request.BaseUri + "/" + request.Route("tenant");
        return FabricResult.Ok(new JsonObject
        {
            ["issuer"] = authority + "/v2.0",
            ["authorization_endpoint"] = authority + "/oauth2/v2.0/authorize",
            ["token_endpoint"] = authority + "/oauth2/v2.0/token",
            ["jwks_uri"] = authority + "/discovery/v2.0/keys",
            ["response_types_supported"] = new JsonArray("code", "id_token", "token"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["tenant_region_scope"] = "WW",
        });
    }

    private FabricResult Token(FabricRequest request)
    {
        var form = request.Http.Request.HasFormContentType ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.RawBody) : null;
        string? Field(string name) => form != null && form.TryGetValue(name, out var v) ? v.ToString() : null;
        var grant = Field("grant_type");
        var clientId = Field("client_id");
        var scope = Field("scope");
        if (grant != "client_credentials" || string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(scope))
        {
            return new FabricResult(400, new JsonObject
            {
                ["error"] = grant == null || grant == "client_credentials" ? "invalid_request" : "unsupported_grant_type",
                ["error_description"] = "The fabric issues tokens for grant_type=client_credentials with client_id and scope.",
            });
        }
        var resource = scope!.Split(' ').First();
        if (resource.EndsWith("/.default", StringComparison.Ordinal))
        {
            resource = resource.Substring(0, resource.Length - "/.default".Length);
        }
        var now = _state.Now.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["aud"] = resource,
            ["iss"] = $"{request.BaseUri}/{request.Route("tenant")}/v2.0",
            ["tid"] = request.Route("tenant"),
            ["appid"] = clientId,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 3600,
        };
        var token = Base64Url.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Base64Url.Encode(payload.ToJsonString()) + ".";
        return FabricResult.Ok(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = 3599,
            ["ext_expires_in"] = 3599,
            ["access_token"] = token,
        });
    }
}
