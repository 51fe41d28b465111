using System.Collections.Generic;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>Reading back the inputs a run journaled, for runbooks rebuilt on -Resume.</summary>
    internal static class JournaledInputs
    {
        /// <summary>A value the run must have recorded; JournalDamaged when it did not.</summary>
        public static string Require(this IReadOnlyDictionary<string, string?> inputs, string key) =>
            inputs.TryGetValue(key, out var v) && v != null ? v
                : throw new DrException("JournalDamaged", DrErrorCategory.InvalidData, $"The run did not record '{key}'.") { IsPrecondition = true };

        /// <summary>A value the run recorded, or null.</summary>
        public static string? Optional(this IReadOnlyDictionary<string, string?> inputs, string key) =>
            inputs.TryGetValue(key, out var v) ? v : null;
    }
}
