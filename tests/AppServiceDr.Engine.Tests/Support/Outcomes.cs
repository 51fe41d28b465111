using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>Keeps each run's typed results with its report, so tests that look at the report can read the
    /// results the runbook made of it.</summary>
    public static class Outcomes
    {
        private static readonly ConditionalWeakTable<RunReport, IReadOnlyList<object>> Kept = new ConditionalWeakTable<RunReport, IReadOnlyList<object>>();

        public static RunReport Keep(RunOutcome outcome)
        {
            Kept.AddOrUpdate(outcome.Report, outcome.Results);
            return outcome.Report;
        }

        /// <summary>Resumes an earlier run as its cmdlet's -Resume does: the runbook is found by the name its journal
        /// records and the request is read back from the journal, with the secrets given again.</summary>
        public static async Task<RunReport> ResumeAsync(RunStore store, RunReport earlier, RunContext context, IReadOnlyDictionary<string, object?>? given = null)
        {
            var command = RunbookCatalog.Find(earlier.Runbook)?.Command
                ?? throw new InvalidOperationException("No runbook is named " + earlier.Runbook + ".");
            return Keep(await new RunbookRunner(store).ResumeAsync(earlier.RunId, command, given ?? new Dictionary<string, object?>(), context));
        }

        public static IReadOnlyList<T> Of<T>(RunReport report) =>
            Kept.TryGetValue(report, out var results) ? results.Cast<T>().ToList()
                : throw new InvalidOperationException("This report did not come from a run the test kept.");
    }
}
