using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Failover
{
    /// <summary>Runs every pre-flight check, keeps every problem, and reports them together before any change.</summary>
    internal sealed class Preflight
    {
        private readonly List<DrException> _problems = new List<DrException>();

        public async Task CheckAsync(Func<Task> check)
        {
            try { await check().ConfigureAwait(false); }
            catch (DrException ex) { _problems.Add(ex); }
        }

        /// <summary>One problem is thrown as it is (marked as found before any change); several become one
        /// <paramref name="errorId"/> listing each with its own id.</summary>
        public void ThrowIfAny(string errorId, string what)
        {
            if (_problems.Count == 1)
            {
                var p = _problems[0];
                throw p.IsPrecondition ? p : new DrException(p.ErrorId, p.Category, p.Message + " Nothing was changed.", p.Target, p) { IsPrecondition = true };
            }
            if (_problems.Count > 1)
                throw new DrException(errorId, _problems[0].Category,
                    $"The {what} cannot start; nothing was changed. {_problems.Count} problems:" + string.Concat(_problems.Select(p => $"{Environment.NewLine}- [{p.ErrorId}] {p.Message}")),
                    string.Join(", ", _problems.Select(p => p.ErrorId))) { IsPrecondition = true };
        }
    }

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
