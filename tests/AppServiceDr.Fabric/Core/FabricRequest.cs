using System;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace AppServiceDr.Fabric.Core;

/// <summary>One request as the handlers see it: service, path, query, parsed body, route values.</summary>
public sealed class FabricRequest
{
    private readonly Match _match;

    internal FabricRequest(HttpContext http, FabricService service, string serviceName, string rawBody, Match match)
    {
        Http = http;
        Service = service;
        ServiceName = serviceName;
        RawBody = rawBody;
        Body = http.Request.HasFormContentType ? null : ParseBody(rawBody);
        _match = match;
    }

    /// <summary>The body as received (form posts are read from here).</summary>
    public string RawBody { get; }

    public HttpContext Http { get; }

    public FabricService Service { get; }

    /// <summary>Vault or site name for per-instance hosts; empty otherwise.</summary>
    public string ServiceName { get; }

    public string Method => Http.Request.Method;

    public string Path => Http.Request.Path.Value ?? "/";

    /// <summary>Scheme, host and port the client used, without a trailing slash.</summary>
    public string BaseUri => "https://" + Http.Request.Host.Value;

    public JsonNode? Body { get; }

    public string Route(string name) => Uri.UnescapeDataString(_match.Groups[name].Value);

    public string? Query(string name)
    {
        var value = Http.Request.Query[name];
        return value.Count == 0 ? null : value[0];
    }

    /// <summary>The body as an object; 400 in the service's style when it is missing or not an object.</summary>
    public JsonObject RequireBody()
    {
        if (Body is JsonObject o)
        {
            return o;
        }
        throw FabricError.BadRequest(Service == FabricService.Vault ? "BadParameter" : "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.");
    }

    private static JsonNode? ParseBody(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            throw FabricError.BadRequest("InvalidRequestContent", "The request content was not valid JSON.");
        }
    }
}
