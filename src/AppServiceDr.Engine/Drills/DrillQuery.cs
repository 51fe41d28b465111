using System;
using System.Globalization;
using AppServiceDr.Engine.AzureSql;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>
    /// How a drill judges its verify query against a restored copy: with an expected result, the first row's first
    /// column must read exactly as expected (numbers in invariant form, surrounding blanks aside); without one, it must
    /// be there and not NULL, 0 or false (a row count above zero, say), as the restore's own -VerifyQuery judges.
    /// </summary>
    internal static class DrillQuery
    {
        public const string CheckName = "verify query";

        public static DrillCheck Judge(string database, string query, int rows, object? first, string? expected)
        {
            var seen = AzureSqlVerification.Describe(rows, first);
            if (expected != null)
            {
                var actual = rows == 0 || first == null || first is DBNull ? null : Convert.ToString(first, CultureInfo.InvariantCulture)?.Trim();
                return string.Equals(actual, expected.Trim(), StringComparison.Ordinal)
                    ? Drill.Pass(CheckName, $"On {database}, '{query}' {seen}, as expected.")
                    : Drill.Fail(CheckName, $"On {database}, '{query}' {seen}; expected '{expected}'.");
            }
            return AzureSqlVerification.Passes(rows, first)
                ? Drill.Pass(CheckName, $"On {database}, '{query}' {seen}.")
                : Drill.Fail(CheckName, $"On {database}, '{query}' {seen}; a first column that is not NULL, 0 or false was expected.");
        }

        /// <summary>The failure a step throws after publishing a failed verify check, so the run reports it too.</summary>
        public static DrException Mismatch(string database, DrillCheck check) =>
            new DrException("VerifyQueryMismatch", DrErrorCategory.InvalidData, check.Detail, database);
    }
}
