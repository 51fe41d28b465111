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
    }

    /// <summary>A named set of steps with dependencies, and the inputs it was built from.</summary>
    public sealed class RunbookDefinition
    {
        public RunbookDefinition(string name, IEnumerable<RunInput> inputs, IEnumerable<RunbookStep> steps)
        {
            Name = name;
            Inputs = inputs.ToList();
            Steps = steps.ToList();
            Validate();
        }

        public string Name { get; }
        public IReadOnlyList<RunInput> Inputs { get; }
        public IReadOnlyList<RunbookStep> Steps { get; }

        private void Validate()
        {
            var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var s in Steps)
                if (!ids.Add(s.Id))
                    throw new DrException("DuplicateStepId", DrErrorCategory.InvalidArgument, $"Runbook '{Name}' declares step '{s.Id}' twice.", s.Id) { IsPrecondition = true };
            foreach (var s in Steps)
                foreach (var d in s.DependsOn)
                    if (!ids.Contains(d))
                        throw new DrException("UnknownStepDependency", DrErrorCategory.InvalidArgument, $"Step '{s.Id}' depends on '{d}', which runbook '{Name}' does not have.", s.Id) { IsPrecondition = true };
            // Depth-first search for a cycle.
            var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var byId = Steps.ToDictionary(s => s.Id, StringComparer.OrdinalIgnoreCase);
            void Visit(RunbookStep s)
            {
                state.TryGetValue(s.Id, out var st);
                if (st == 2) return;
                if (st == 1)
                    throw new DrException("StepDependencyCycle", DrErrorCategory.InvalidArgument, $"Runbook '{Name}' has a dependency cycle through step '{s.Id}'.", s.Id) { IsPrecondition = true };
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
            Checkpoints = checkpoints;
        }

        internal IReadOnlyDictionary<string, string> Checkpoints { get; }
        internal string? DeclinedNote { get; private set; }

        public RunbookStep Step { get; }
        public string RunId => _run.RunId;
        /// <summary>When the run first started (before any crash and resume): the report's StartedAt.</summary>
        public DateTimeOffset RunStartedAt => _run.StartedAt;
        /// <summary>1 on the first attempt; higher when the run was resumed after this step had started.</summary>
        public int Attempt { get; }
        public bool WhatIf => _run.WhatIf;
        public CancellationToken CancellationToken => _run.CancellationToken;
        /// <summary>The host, with every message passed through the run's secret redactor.</summary>
        public IDrHost Host => _run.Host;
        public SecretRedactor Redactor => _run.Redactor;

        /// <summary>Asks before one change. False under -WhatIf (the host printed the plan) or when declined.</summary>
        public bool ShouldProcess(string target, string action)
        {
            if (Host.ShouldProcess(target, action)) return true;
            DeclinedNote = (WhatIf ? "What if: " : "Declined: ") + action + " on " + target;
            return false;
        }

        /// <summary>Journals a change the step just made (or is about to make, for changes that cannot be
        /// observed afterwards). Call it as soon as the change is issued, not at the end of the step.</summary>
        public void RecordChange(string description) =>
            _run.Append(new JournalEvent { Kind = JournalKinds.Change, Step = Step.Id, Text = description });

        /// <summary>Saves a value this step needs if it is interrupted and run again (for example the URL of
        /// a long-running operation it started, so a resumed run polls it instead of starting another).</summary>
        public void Checkpoint(string key, string value) =>
            _run.Append(new JournalEvent { Kind = JournalKinds.Checkpoint, Step = Step.Id, Key = key, Value = value });

        /// <summary>A value saved by an earlier attempt of this step, or null.</summary>
        public string? GetCheckpoint(string key) => Checkpoints.TryGetValue(key, out var v) ? v : null;

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
    }
}
