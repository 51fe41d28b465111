using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>Readers of a Traffic Manager profile's endpoints (2022-04-01), for every runbook that looks at them.</summary>
    internal static class TrafficManagerEndpoints
    {

        public static IEnumerable<JsonElement> Of(JsonElement profile) =>
            profile.TryGetProperty("properties", out var p) && p.TryGetProperty("endpoints", out var e) && e.ValueKind == JsonValueKind.Array
                ? e.EnumerateArray() : Enumerable.Empty<JsonElement>();

        public static bool IsNamed(JsonElement endpoint, string name) => string.Equals(Text(endpoint, "name"), name, StringComparison.OrdinalIgnoreCase);

        /// <summary>The endpoint's priority; null when it has none.</summary>
        public static int? Priority(JsonElement endpoint) =>
            endpoint.TryGetProperty("properties", out var p) && p.TryGetProperty("priority", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : (int?)null;
    }
}
