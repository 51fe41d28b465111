using System;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// An error answer. Handlers throw it; the pipeline writes it in the envelope of the service that
/// was called (see <see cref="ErrorEnvelope"/>).
/// </summary>
public sealed class FabricError : Exception
{
    public FabricError(int status, string code, string message, string? innerCode = null)
        : base(message)
    {
        Status = status;
        Code = code;
        InnerCode = innerCode;
    }

    public int Status { get; }

    public string Code { get; }

    /// <summary>Key Vault's innererror.code (e.g. ObjectIsBeingRecovered under a Conflict).</summary>
    public string? InnerCode { get; }

    public static FabricError NotFound(string code, string message) => new FabricError(404, code, message);

    public static FabricError BadRequest(string code, string message) => new FabricError(400, code, message);

    public static FabricError Conflict(string code, string message) => new FabricError(409, code, message);
}

/// <summary>The one place error bodies are shaped, per service.</summary>
public static class ErrorEnvelope
{
    public static JsonObject Build(FabricService service, string code, string message, string? innerCode = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message };
        switch (service)
        {
            case FabricService.Vault:
                // Key Vault: {"error":{"code","message","innererror":{"code"}}}
                error["innererror"] = innerCode == null ? null : new JsonObject { ["code"] = innerCode };
                break;
            case FabricService.Graph:
                error["innerError"] = new JsonObject
                {
                    ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss"),
                    ["request-id"] = Guid.NewGuid().ToString(),
                };
                break;
            default:
                // ARM: {"error":{"code","message","details":[]}}
                var details = new JsonArray();
                if (innerCode != null)
                {
                    details.Add(new JsonObject { ["code"] = innerCode, ["message"] = message });
                }
                error["details"] = details;
                break;
        }
        return new JsonObject { ["error"] = error };
    }
}
