using System.Collections.Generic;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>What a handler answers: status, optional JSON or text body, extra headers.</summary>
public sealed class FabricResult
{
    public FabricResult(int status, JsonNode? body = null)
    {
        Status = status;
        Body = body;
    }

    public int Status { get; }

    public JsonNode? Body { get; }

    /// <summary>Plain-text body, used by site hosts; ignored when <see cref="Body"/> is set.</summary>
    public string? Text { get; init; }

    public Dictionary<string, string> Headers { get; } = new Dictionary<string, string>();

    public static FabricResult Ok(JsonNode? body) => new FabricResult(200, body);

    public static FabricResult Created(JsonNode? body) => new FabricResult(201, body);

    public static FabricResult NoContent() => new FabricResult(204);

    public FabricResult WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }
}
