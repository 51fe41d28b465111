using System;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// The control surface over HTTP (https://management.{suffix}/_fabric/...), mirroring the in-process
/// API for standalone runs: operation log, faults, outages, timings. Providers add their seeding here.
/// </summary>
public static class FabricAdmin
{
    public static readonly JsonSerializerOptions Json = new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Reads an admin request body into <typeparamref name="T"/>; 400 when it does not fit.</summary>
    public static T Bind<T>(FabricRequest request)
    {
        try
        {
            var value = request.RequireBody().Deserialize<T>(Json);
            return value ?? throw FabricError.BadRequest("InvalidRequestContent", "The request body is empty.");
        }
        catch (JsonException e)
        {
            throw FabricError.BadRequest("InvalidRequestContent", e.Message);
        }
    }

    internal static void Register(FabricState state, Router admin)
    {
        admin.Map("GET", "/_fabric/operations", _ => FabricResult.Ok(JsonSerializer.SerializeToNode(state.Log.Entries, Json)));
        admin.Map("GET", "/_fabric/requests", _ => FabricResult.Ok(JsonSerializer.SerializeToNode(state.Log.Requests, Json)));
        admin.Map("DELETE", "/_fabric/operations", _ =>
        {
            state.Log.Clear();
            return FabricResult.NoContent();
        });
        admin.Map("POST", "/_fabric/faults", request => Accept(() => state.Faults.Add(Bind<FaultRule>(request))));
        admin.Map("POST", "/_fabric/operationFaults", request => Accept(() => state.Faults.AddOperationFault(Bind<OperationFaultRule>(request))));
        admin.Map("DELETE", "/_fabric/faults", _ =>
        {
            state.Faults.Clear();
            return FabricResult.NoContent();
        });
        admin.Map("GET", "/_fabric/outages", _ => FabricResult.Ok(new JsonArray(state.Faults.DownRegions.Select(r => (JsonNode?)JsonValue.Create(r)).ToArray())));
        admin.Map("PUT", "/_fabric/outages/{region}", request =>
        {
            state.Faults.SetRegionOutage(request.Route("region"), true);
            return FabricResult.NoContent();
        });
        admin.Map("DELETE", "/_fabric/outages/{region}", request =>
        {
            state.Faults.SetRegionOutage(request.Route("region"), false);
            return FabricResult.NoContent();
        });
        admin.Map("GET", "/_fabric/timings", _ => FabricResult.Ok(JsonSerializer.SerializeToNode(state.Timings, Json)));
        admin.Map("PATCH", "/_fabric/timings", request =>
        {
            // Merge: only the named durations change.
            var merged = JsonSerializer.SerializeToNode(state.Timings, Json)!.AsObject();
            foreach (var property in request.RequireBody())
            {
                var key = merged.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, property.Key, StringComparison.OrdinalIgnoreCase))
                          ?? throw FabricError.BadRequest("InvalidRequestContent", $"Unknown timing '{property.Key}'.");
                merged[key] = property.Value?.DeepClone();
            }
            var timings = merged.Deserialize<FabricTimings>(Json)!;
            foreach (var p in typeof(FabricTimings).GetProperties())
            {
                p.SetValue(state.Timings, p.GetValue(timings));
            }
            return FabricResult.Ok(JsonSerializer.SerializeToNode(state.Timings, Json));
        });
    }

    /// <summary>204 when <paramref name="change"/> accepts its input, 400 when it refuses it.</summary>
    private static FabricResult Accept(Action change)
    {
        try
        {
            change();
            return FabricResult.NoContent();
        }
        catch (ArgumentException e)
        {
            throw FabricError.BadRequest("InvalidRequestContent", e.Message);
        }
    }
}
