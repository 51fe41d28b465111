using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>What a step's action reports back.</summary>
    public sealed class StepResult
    {
        private StepResult(StepOutcome outcome, string? note)
        {
            Outcome = outcome;
            Note = note;
        }

        public StepOutcome Outcome { get; }
        public string? Note { get; }

        /// <summary>The step changed what it had to, and what it changed is usable.</summary>
        public static StepResult Done(string? note = null) => new StepResult(StepOutcome.Succeeded, note);

        /// <summary>The world was already right; nothing was changed.</summary>
        public static StepResult AlreadyDone(string note) => new StepResult(StepOutcome.AlreadyDone, note);

        /// <summary>The change was declined (-WhatIf, or -Confirm answered No); nothing was changed.</summary>
        public static StepResult Declined(string note) => new StepResult(StepOutcome.Skipped, note);
    }

    /// <summary>
    /// One step of a runbook. Its action must be idempotent: it looks at the world first and changes only
    /// what is not yet as wanted, because after a crash it may run again over a change it already made.
    /// It returns only when what it did is usable (not merely accepted).
    /// </summary>
    public sealed class RunbookStep
    {
        public RunbookStep(string id, string plan, Func<StepContext, Task<StepResult>> action, params string[] dependsOn)
        {
            if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException("A step needs an id.", nameof(id));
            if (string.IsNullOrWhiteSpace(plan)) throw new ArgumentException("A step needs a plan line.", nameof(plan));
            Id = id;
            Plan = plan;
            Action = action ?? throw new ArgumentNullException(nameof(action));
            DependsOn = dependsOn ?? Array.Empty<string>();
        }

        public string Id { get; }
        /// <summary>One line: what the step will do, with its targets. Shown by -WhatIf and in the report.</summary>
        public string Plan { get; }
        public IReadOnlyList<string> DependsOn { get; }
        public Func<StepContext, Task<StepResult>> Action { get; }

        /// <summary>Runs once its dependencies have ended, whether or not they succeeded (a "finally": services
        /// stopped by an earlier step are started again even when a step between failed). It still waits for them, and
        /// a stopped run (Ctrl+C) starts it on -Resume like any other step.</summary>
        public bool RunsAfterFailure { get; init; }
    }

    /// <summary>A runbook built for one request: its name, the request as journaled, and its steps with dependencies.</summary>
    public sealed class RunbookDefinition
    {
        public RunbookDefinition(string name, object request, IEnumerable<RunbookStep> steps)
        {
            Name = name;
            Request = RequestDocument.Write(request ?? throw new ArgumentNullException(nameof(request)));
            SecretsGiven = RequestDocument.Secrets(request).Where(s => s.HasValue).Select(s => s.Parameter).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            Steps = steps.ToList();
            Validate();
        }

        public string Name { get; }
        /// <summary>The request as the journal keeps it (secrets left out).</summary>
        public System.Text.Json.JsonElement Request { get; }
        /// <summary>The parameters of the request's secrets that had a value: a resume must be given them again.</summary>
        public IReadOnlyList<string> SecretsGiven { get; }
        public IReadOnlyList<RunbookStep> Steps { get; }

        private void Validate()
        {
            var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var s in Steps)
                if (!ids.Add(s.Id))
                    throw DrException.Precondition("DuplicateStepId", DrErrorCategory.InvalidArgument, $"Runbook '{Name}' declares step '{s.Id}' twice.", s.Id);
            foreach (var s in Steps)
                foreach (var d in s.DependsOn)
                    if (!ids.Contains(d))
                        throw DrException.Precondition("UnknownStepDependency", DrErrorCategory.InvalidArgument, $"Step '{s.Id}' depends on '{d}', which runbook '{Name}' does not have.", s.Id);
            // Depth-first search for a cycle.
            var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var byId = Steps.ToDictionary(s => s.Id, StringComparer.OrdinalIgnoreCase);
            void Visit(RunbookStep s)
            {
                state.TryGetValue(s.Id, out var st);
                if (st == 2) return;
                if (st == 1)
                    throw DrException.Precondition("StepDependencyCycle", DrErrorCategory.InvalidArgument, $"Runbook '{Name}' has a dependency cycle through step '{s.Id}'.", s.Id);
                state[s.Id] = 1;
                foreach (var d in s.DependsOn) Visit(byId[d]);
                state[s.Id] = 2;
            }
            foreach (var s in Steps) Visit(s);
        }
    }

    /// <summary>What a step's action gets: the host to ask and report to, its cancellation token, and the
    /// journal calls that make it resumable.</summary>
    public sealed class StepContext
    {
        private readonly RunbookRunner.Execution _run;

        internal StepContext(RunbookRunner.Execution run, RunbookStep step, int attempt, IReadOnlyDictionary<string, string> checkpoints)
        {
            _run = run;
            Step = step;
            Attempt = attempt;
            _checkpoints = checkpoints.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }

        private readonly Dictionary<string, string> _checkpoints;
        internal string? DeclinedNote { get; private set; }

        public RunbookStep Step { get; }
        public string RunId => _run.RunId;
        /// <summary>The run this step belongs to: its environment and options.</summary>
        public RunContext Run => _run.Context;
        /// <summary>The run's one Azure connection (Resource Manager, Graph, Key Vault clients).</summary>
        internal Azure.AzureConnection Azure => _run.Context.Azure;
        /// <summary>When the run first started (before any crash and resume): the report's StartedAt.</summary>
        public DateTimeOffset RunStartedAt => _run.StartedAt;
        /// <summary>1 on the first attempt; higher when the run was resumed after this step had started.</summary>
        public int Attempt { get; }
        public bool WhatIf => _run.WhatIf;
        public CancellationToken CancellationToken => _run.CancellationToken;
        /// <summary>The host, with every message passed through the run's secret redactor.</summary>
        public IDrHost Host => _run.Host;
        public SecretRedactor Redactor => _run.Redactor;

        /// <summary>The progress bar of this step, and the one for work within it (shown under the step's bar).</summary>
        public int ActivityId => _run.ActivityIdOf(Step);
        public int ChildActivityId => _run.ChildActivityIdOf(Step);

        /// <summary>Asks before one change. False under -WhatIf (the host printed the plan) or when declined.</summary>
        public bool ShouldProcess(string target, string action)
        {
            if (Host.ShouldProcess(target, action)) return true;
            DeclinedNote = (WhatIf ? "What if: " : "Declined: ") + action + " on " + target;
            // A change -WhatIf only planned (or the user declined) counts as one for the steps after it: a -WhatIf
            // run plans the restart the real run would make.
            _run.NoteIntendedChange(Step.Id);
            return false;
        }

        /// <summary>Journals a change the step just made (or is about to make, for changes that cannot be
        /// observed afterwards). Call it as soon as the change is issued, not at the end of the step.</summary>
        public void RecordChange(string description) =>
            _run.Append(new JournalEvent { Kind = JournalKinds.Change, Step = Step.Id, Text = description });

        /// <summary>Saves a value this step needs if it is interrupted and run again (for example the URL of
        /// a long-running operation it started, so a resumed run polls it instead of starting another).</summary>
        public void Checkpoint(string key, string value)
        {
            _run.Append(new JournalEvent { Kind = JournalKinds.Checkpoint, Step = Step.Id, Key = key, Value = value });
            lock (_checkpoints) _checkpoints[key] = value;
        }

        /// <summary>The value this step last saved under <paramref name="key"/>, in this attempt or an earlier one; or null.</summary>
        public string? GetCheckpoint(string key)
        {
            lock (_checkpoints) return _checkpoints.TryGetValue(key, out var v) ? v : null;
        }

        /// <summary>Publishes a value for the steps that depend on this one. Journaled, so it survives a resume.</summary>
        public void SetOutput(string key, string value) =>
            _run.Append(new JournalEvent { Kind = JournalKinds.Output, Step = Step.Id, Key = key, Value = value });

        /// <summary>A value published by a step this one depends on (in this run or an earlier attempt of it).</summary>
        public string? GetOutput(string stepId, string key) => _run.GetOutput(stepId, key);

        /// <summary>Records how much data the recovery may have lost (restore point vs now, backup age, sync lag).</summary>
        public void ReportDataLoss(TimeSpan window, string note) =>
            _run.Append(new JournalEvent { Kind = JournalKinds.DataLoss, Step = Step.Id, WindowSeconds = window.TotalSeconds, Text = note });

        /// <summary>Reports progress within this step (shown as a child of the run's progress bar).</summary>
        public void Progress(string status, int percentComplete = -1, string? currentOperation = null) =>
            _run.StepProgress(Step, status, percentComplete, currentOperation);

        /// <summary>Publishes this step's typed outcome (one per type) for the steps after it and for the runbook's
        /// results. Journaled as JSON, so a resumed run reads what an earlier attempt published.</summary>
        public void Publish<T>(T outcome) where T : class =>
            SetOutput(StepOutputs.KeyOf<T>(), System.Text.Json.JsonSerializer.Serialize(outcome, StepOutputs.Json));

        /// <summary>The typed outcome step <paramref name="stepId"/> published, or null.</summary>
        public T? Published<T>(string stepId) where T : class =>
            GetOutput(stepId, StepOutputs.KeyOf<T>()) is string json ? System.Text.Json.JsonSerializer.Deserialize<T>(json, StepOutputs.Json) : null;

        /// <summary>True when the step <paramref name="stepId"/> changed anything, in this attempt or an earlier one,
        /// or would have but for -WhatIf or a declined confirmation (a later step can then leave alone what nothing
        /// touched).</summary>
        public bool Changed(string stepId) => _run.HasChanges(stepId);

        /// <summary>Waits until <paramref name="probe"/> says done (see <see cref="Wait"/>), reporting each look as
        /// progress under this step's bar and completing that record however the wait ends.</summary>
        public Task<T> WaitAsync<T>(string activity, TimeSpan timeout, TimeSpan interval,
            Func<CancellationToken, Task<WaitProbe<T>>> probe, Func<TimeSpan, DrException> timedOut) =>
            Wait.UntilAsync(probe, timeout, interval, timedOut, _run.WaitProgressFor(Step, activity), CancellationToken);
    }
}

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>Typed step outcomes as the journal keeps them: one JSON output per type, under the type's name.</summary>
    public static class StepOutputs
    {
        internal static readonly System.Text.Json.JsonSerializerOptions Json = new System.Text.Json.JsonSerializerOptions
        {
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };

        internal static string KeyOf<T>() => typeof(T).Name;

        /// <summary>The typed outcome a step published, read from its report; null when it published none.</summary>
        public static T? Published<T>(this StepReport step) where T : class =>
            step.Outputs.TryGetValue(KeyOf<T>(), out var json) ? System.Text.Json.JsonSerializer.Deserialize<T>(json, Json) : null;
    }
}
