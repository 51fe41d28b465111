using System;
using System.Text.Json;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>Small readers for Resource Manager JSON.</summary>
    internal static class ArmJson
    {
        public static string? Text(JsonElement e, string property) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public static string? PropertyText(JsonElement e, string property) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty("properties", out var p) ? Text(p, property) : null;

        /// <summary>"East US" and "eastus" name the same region.</summary>
        public static bool SameRegion(string? a, string? b) =>
            a != null && b != null && string.Equals(a.Replace(" ", ""), b.Replace(" ", ""), StringComparison.OrdinalIgnoreCase);
    }
}
