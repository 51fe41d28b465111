using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>What the catalogue knows of every runbook, whatever its request and result types.</summary>
    public abstract class Runbook
    {
        internal Runbook()
        {
        }

        /// <summary>The name journals record, for example <c>KeyVaultSecretRecovery</c>. Never changes once released.</summary>
        public abstract string Name { get; }

        /// <summary>The cmdlet that runs and resumes this runbook, for example <c>Invoke-KeyVaultSecretRecovery</c>.</summary>
        public abstract string Command { get; }

        public abstract Type RequestType { get; }

        /// <summary>The typed results of a journaled run of this runbook, read from its journal and report as the run
        /// itself reports them (for histories across runs).</summary>
        internal abstract IReadOnlyList<object> ResultsOf(JournaledRun journaled, RunReport report);

        /// <summary>Resumes a journaled run of this runbook (the catalogue found it by the name in the journal).</summary>
        internal abstract Task<RunOutcome> ResumeAsync(RunbookRunner runner, JournaledRun journaled, IReadOnlyDictionary<string, object?> given, RunContext context, CancellationToken ct);
    }

    /// <summary>
    /// The one shape of a runbook: a typed request, a pre-flight that looks at every target before anything
    /// changes, the steps that do the work, and typed results read back from the run's report. The request is
    /// journaled as one document (its <see cref="SecretAttribute"/> properties left out) and a resumed run is
    /// rebuilt from that document alone; see docs/architecture.md.
    /// </summary>
    public abstract class Runbook<TRequest, TResult> : Runbook
        where TRequest : class
        where TResult : class
    {
        public sealed override Type RequestType => typeof(TRequest);

        /// <summary>Checks the request and every target the run will touch, and completes the request with what the
        /// steps need (names a wildcard matched, a derived target). Reads only. Whatever it throws, nothing changed.</summary>
        protected internal abstract Task PreflightAsync(RunContext run, TRequest request, CancellationToken ct);

        /// <summary>The steps that carry out a checked request: for a new run after the pre-flight, and for a resumed
        /// run with the request its journal holds.</summary>
        protected internal abstract IEnumerable<RunbookStep> Steps(RunContext run, TRequest request);

        /// <summary>What the cmdlet writes, read from the run's report, so a resumed run reports its earlier attempts' work too.</summary>
        protected internal abstract IEnumerable<TResult> Results(TRequest request, RunReport report);

        /// <summary>
        /// Puts the secrets a resumed run needs back into its journaled request, from what the caller gave again (by
        /// parameter name). Default: every secret the run was started with must be given again, and is refused by
        /// name when it is not. A runbook whose secret is only part of a value (a SAS in a URL) checks it here too.
        /// </summary>
        protected internal virtual void Resupply(TRequest request, IReadOnlyDictionary<string, object?> given, IReadOnlyCollection<string> startedWith, string runId)
        {
            foreach (var slot in RequestDocument.Secrets(request))
            {
                if (!startedWith.Contains(slot.Parameter, StringComparer.OrdinalIgnoreCase)) continue;
                if (!given.TryGetValue(slot.Parameter, out var value) || value == null)
                    throw DrException.Precondition("ResumeNeedsSecret", DrErrorCategory.InvalidArgument,
                        $"Run {runId} was started with -{slot.Parameter}, which is never recorded. Pass -{slot.Parameter} again with -Resume.", slot.Parameter);
                slot.Set(value);
            }
        }

        internal sealed override IReadOnlyList<object> ResultsOf(JournaledRun journaled, RunReport report) =>
            Results((TRequest)journaled.ReadRequest(typeof(TRequest)), report).Cast<object>().ToList();

        internal sealed override async Task<RunOutcome> ResumeAsync(RunbookRunner runner, JournaledRun journaled, IReadOnlyDictionary<string, object?> given, RunContext context, CancellationToken ct)
        {
            var request = (TRequest)journaled.ReadRequest(typeof(TRequest));
            Resupply(request, given, journaled.SecretsGiven.ToList(), journaled.RunId);
            var definition = new RunbookDefinition(Name, request, Steps(context, request));
            var report = await runner.ResumeAsync(journaled, definition, context, ct).ConfigureAwait(false);
            return new RunOutcome(report, Results(request, report).Cast<object>().ToList());
        }
    }

    /// <summary>What a run left: its report and the results its runbook reads from it.</summary>
    public class RunOutcome
    {
        public RunOutcome(RunReport report, IReadOnlyList<object> results)
        {
            Report = report;
            Results = results;
        }

        public RunReport Report { get; }
        public IReadOnlyList<object> Results { get; }
    }

    /// <summary>A run's outcome with its runbook's result type.</summary>
    public sealed class RunOutcome<TResult> : RunOutcome where TResult : class
    {
        public RunOutcome(RunReport report, IReadOnlyList<TResult> results)
            : base(report, results)
        {
            TypedResults = results;
        }

        public IReadOnlyList<TResult> TypedResults { get; }
    }

    /// <summary>Every runbook of the engine, found once by their type: adding a runbook class is all it takes to be
    /// resumable. Looked up by the name a journal records.</summary>
    public static class RunbookCatalog
    {
        private static readonly Lazy<IReadOnlyList<Runbook>> Runbooks = new Lazy<IReadOnlyList<Runbook>>(() =>
            typeof(Runbook).Assembly.GetTypes()
                .Where(t => !t.IsAbstract && typeof(Runbook).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) != null)
                .Select(t => (Runbook)Activator.CreateInstance(t)!)
                .OrderBy(r => r.Name, StringComparer.Ordinal)
                .ToList());

        public static IReadOnlyList<Runbook> All => Runbooks.Value;

        public static Runbook? Find(string? name) =>
            name == null ? null : All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>The runbooks a cmdlet runs and resumes.</summary>
        public static IReadOnlyList<Runbook> Of(string command) =>
            All.Where(r => string.Equals(r.Command, command, StringComparison.OrdinalIgnoreCase)).ToList();
    }
}
