using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>How a run is executed.</summary>
    public sealed class RunOptions
    {
        /// <summary>Plan only: steps look at the world and ask ShouldProcess, the host answers no, nothing
        /// is changed and no journal is written.</summary>
        public bool WhatIf { get; set; }

        /// <summary>How many independent steps may run at once.</summary>
        public int MaxParallel { get; set; } = 4;

        /// <summary>Secrets the run handles, masked wherever the run writes text.</summary>
        public SecretRedactor Redactor { get; set; } = new SecretRedactor();

        /// <summary>The clock, replaceable so reports can be tested.</summary>
        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// Executes runbooks: independent steps in parallel (bounded), each step journaled as it starts,
    /// changes and ends; a failed step stops only the steps that depend on it; cancellation leaves a
    /// journal that -Resume continues from the first step not yet completed.
    /// </summary>
    public sealed class RunbookRunner
    {
        private readonly RunStore _store;

        public RunbookRunner(RunStore store)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
        }

        public RunStore Store => _store;

        /// <summary>The journal format this version writes: the request as one document (2). Runs journaled in another
        /// format are listed and reported, never resumed.</summary>
        public const int JournalFormat = 2;

        /// <summary>
        /// Starts a run of <paramref name="runbook"/>: the pre-flight looks at every target (a failure there changed
        /// nothing and is thrown as a precondition), then the steps run and the runbook's results are read from the
        /// report. A failed step does not throw: it is in the report and the results.
        /// </summary>
        public async Task<RunOutcome<TResult>> RunAsync<TRequest, TResult>(Runbook<TRequest, TResult> runbook, TRequest request, RunContext context, CancellationToken cancellationToken = default)
            where TRequest : class
            where TResult : class
        {
            try
            {
                await runbook.PreflightAsync(context, request, cancellationToken).ConfigureAwait(false);
            }
            catch (DrException ex)
            {
                throw ex.AsPrecondition();
            }
            var definition = new RunbookDefinition(runbook.Name, request, runbook.Steps(context, request));
            var report = await RunAsync(definition, context, cancellationToken).ConfigureAwait(false);
            return new RunOutcome<TResult>(report, runbook.Results(request, report).ToList());
        }

        /// <summary>
        /// Continues the run <paramref name="runId"/> with the runbook its journal names, rebuilt from the journaled
        /// request. Refused, before anything runs, when the run belongs to another command than <paramref name="command"/>
        /// (the error names the right one), when its journal was written in another format, or when a secret it was
        /// started with is not in <paramref name="given"/> (keyed by parameter name).
        /// </summary>
        public Task<RunOutcome> ResumeAsync(string runId, string command, IReadOnlyDictionary<string, object?> given, RunContext context, CancellationToken cancellationToken = default)
        {
            var journaled = _store.Load(runId);
            if (journaled.FormatVersion != JournalFormat)
                throw DrException.Precondition("JournalFormatUnsupported", DrErrorCategory.InvalidData,
                    $"Run {runId} was journaled in format {journaled.FormatVersion}; this version of AppServiceDr resumes format {JournalFormat} only. Get-DrRun still reports it; start a new run to finish the recovery.", runId);
            var runbook = RunbookCatalog.Find(journaled.Runbook)
                ?? throw DrException.Precondition("RunbookUnknown", DrErrorCategory.InvalidData,
                    $"Run {runId} is a {journaled.Runbook} run, which this version of AppServiceDr does not have.", runId);
            if (!string.Equals(runbook.Command, command, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("RunOfAnotherCommand", DrErrorCategory.InvalidArgument,
                    $"Run {runId} is a {runbook.Name} run, which {command} does not resume. Resume it with {runbook.Command} -Resume {runId}.", runId);
            return runbook.ResumeAsync(this, journaled, given, context, cancellationToken);
        }

        /// <summary>Starts a new run of a built runbook. Returns its report; a failed step does not throw, it is in the report.</summary>
        public Task<RunReport> RunAsync(RunbookDefinition runbook, RunContext context, CancellationToken cancellationToken = default)
        {
            var options = context.Options;
            var now = options.Clock();
            // A -WhatIf run writes nothing, so it has no id that anything could be resumed or reported by.
            var runId = options.WhatIf ? "" : RunStore.NewRunId(now);
            var started = new JournalEvent
            {
                Time = now,
                Kind = JournalKinds.RunStarted,
                FormatVersion = JournalFormat,
                RunId = runId,
                Runbook = runbook.Name,
                Request = runbook.Request,
                Secrets = runbook.SecretsGiven.ToList(),
                Steps = runbook.Steps.Select(s => new JournalStep { Id = s.Id, Plan = s.Plan, DependsOn = s.DependsOn.ToList() }).ToList(),
            };
            return ExecuteAsync(runId, runbook, context, new List<JournalEvent>(), started, cancellationToken);
        }

        public Task<RunReport> RunAsync(RunbookDefinition runbook, IDrHost host, RunOptions? options = null, CancellationToken cancellationToken = default) =>
            RunAsync(runbook, new RunContext(host, options), cancellationToken);

        /// <summary>Continues a run from its journal with a runbook built by the caller, which must be the one the run
        /// was started with (same name, request and steps). Completed steps are not run again; a step that was
        /// interrupted runs again (its action re-checks the world first). Resuming a finished run changes nothing.</summary>
        public Task<RunReport> ResumeAsync(string runId, RunbookDefinition runbook, RunContext context, CancellationToken cancellationToken = default) =>
            ResumeAsync(_store.Load(runId), runbook, context, cancellationToken);

        public Task<RunReport> ResumeAsync(string runId, RunbookDefinition runbook, IDrHost host, RunOptions? options = null, CancellationToken cancellationToken = default) =>
            ResumeAsync(runId, runbook, new RunContext(host, options), cancellationToken);

        internal Task<RunReport> ResumeAsync(JournaledRun journaled, RunbookDefinition runbook, RunContext context, CancellationToken cancellationToken)
        {
            var options = context.Options;
            var runId = journaled.RunId;
            var start = journaled.Events[0];
            if (!string.Equals(start.Runbook, runbook.Name, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("RunbookMismatch", DrErrorCategory.InvalidArgument,
                    $"Run '{runId}' is a '{start.Runbook}' run; it cannot be resumed as '{runbook.Name}'.", runId);
            if (start.Request is not { } recorded || !JsonText.SameValue(recorded, runbook.Request))
                throw DrException.Precondition("ResumeInputsDiffer", DrErrorCategory.InvalidArgument,
                    $"Run '{runId}' was started with another request than the one given. Resume it with what it was started with.", runId);
            var declared = new HashSet<string>((start.Steps ?? new List<JournalStep>()).Select(s => s.Id), StringComparer.OrdinalIgnoreCase);
            if (!declared.SetEquals(runbook.Steps.Select(s => s.Id)))
                throw DrException.Precondition("ResumeStepsDiffer", DrErrorCategory.InvalidOperation,
                    $"Run '{runId}' was journaled with different steps than this version of '{runbook.Name}' has; it cannot be resumed safely.", runId);
            if (options.WhatIf)
                return Task.FromResult(RunReportBuilder.Build(journaled.Events, _store.JournalPath(runId), false));
            var resumed = new JournalEvent { Time = options.Clock(), Kind = JournalKinds.RunResumed, RunId = runId };
            return ExecuteAsync(runId, runbook, context, journaled.Events, resumed, cancellationToken);
        }

        private async Task<RunReport> ExecuteAsync(string runId, RunbookDefinition runbook, RunContext context,
            List<JournalEvent> previous, JournalEvent opening, CancellationToken cancellationToken)
        {
            var options = context.Options;
            var journalPath = options.WhatIf ? null : _store.JournalPath(runId);
            using var runLock = options.WhatIf ? null : _store.AcquireLock(runId);
            using var writer = options.WhatIf
                ? JournalWriter.InMemory(options.Redactor)
                : JournalWriter.Open(journalPath!, previous, options.Redactor);
            writer.Append(opening);
            var run = new Execution(runId, runbook, writer, new RunHost(context.Host, options.Redactor, options.WhatIf), context, cancellationToken)
            {
                StartedAt = previous.Count > 0 ? previous[0].Time : opening.Time,
            };
            run.LoadPrevious(previous);
            var status = await run.ExecuteAsync().ConfigureAwait(false);
            run.Append(new JournalEvent { Kind = JournalKinds.RunEnded, Status = status.ToString() });
            run.FinishProgress();
            return RunReportBuilder.Build(writer.Snapshot(), journalPath, false, options.WhatIf);
        }

        /// <summary>The state of one execution of a run.</summary>
        internal sealed class Execution
        {
            private readonly RunbookDefinition _runbook;
            private readonly JournalWriter _writer;
            private readonly RunOptions _options;
            private readonly object _gate = new object();
            private readonly Dictionary<string, string> _outputs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            private readonly Dictionary<string, Dictionary<string, string>> _checkpoints = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
            private readonly Dictionary<string, StepOutcome> _outcomes = new Dictionary<string, StepOutcome>(StringComparer.OrdinalIgnoreCase);
            private readonly Dictionary<string, int> _attempts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

            public Execution(string runId, RunbookDefinition runbook, JournalWriter writer, IDrHost host, RunContext context, CancellationToken token)
            {
                RunId = runId;
                _runbook = runbook;
                _writer = writer;
                _options = context.Options;
                Context = context;
                Host = host;
                CancellationToken = token;
                foreach (var s in runbook.Steps) _outcomes[s.Id] = StepOutcome.Pending;
            }

            public string RunId { get; }
            public RunContext Context { get; }
            /// <summary>When the run first started (before any crash and resume), as its report says.</summary>
            public DateTimeOffset StartedAt { get; init; }
            public IDrHost Host { get; }
            public bool WhatIf => _options.WhatIf;
            public CancellationToken CancellationToken { get; }
            public SecretRedactor Redactor => _options.Redactor;

            private readonly HashSet<string> _changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

            public void Append(JournalEvent e)
            {
                e.Time = _options.Clock();
                _writer.Append(e);
                if (e.Kind == JournalKinds.Output)
                    lock (_gate) _outputs[OutputKey(e.Step!, e.Key!)] = e.Value ?? "";
                if (e.Kind == JournalKinds.Change)
                    lock (_gate) _changed.Add(e.Step!);
            }

            public bool HasChanges(string stepId)
            {
                lock (_gate) return _changed.Contains(stepId);
            }

            /// <summary>A change the step asked for and did not make (-WhatIf, or declined): not journaled.</summary>
            public void NoteIntendedChange(string stepId)
            {
                lock (_gate) _changed.Add(stepId);
            }

            /// <summary>A wait's progress record: a child of its step's record, with an id of its own.</summary>
            public WaitProgress WaitProgressFor(RunbookStep step, string activity) =>
                new WaitProgress(Host, ChildActivityIdOf(step), ActivityIdOf(step), activity);

            /// <summary>The progress bars of a step: its own, and the one for work within it (a wait, a restore).</summary>
            public int ActivityIdOf(RunbookStep step) => 2 + IndexOf(step);
            public int ChildActivityIdOf(RunbookStep step) => 1000 + ActivityIdOf(step);

            public string? GetOutput(string stepId, string key)
            {
                lock (_gate) return _outputs.TryGetValue(OutputKey(stepId, key), out var v) ? v : null;
            }

            private static string OutputKey(string step, string key) => step + "\u0000" + key;

            /// <summary>Replays an earlier journal: outcomes, outputs, checkpoints and attempt counts.</summary>
            public void LoadPrevious(IEnumerable<JournalEvent> events)
            {
                foreach (var e in events)
                {
                    if (e.Step == null || !_outcomes.ContainsKey(e.Step)) continue;
                    switch (e.Kind)
                    {
                        case JournalKinds.StepStarted:
                            _attempts[e.Step] = e.Attempt ?? 1;
                            _outcomes[e.Step] = StepOutcome.Running;
                            break;
                        case JournalKinds.StepEnded:
                            _outcomes[e.Step] = Enum.TryParse<StepOutcome>(e.Outcome, true, out var o) ? o : StepOutcome.Failed;
                            break;
                        case JournalKinds.Output:
                            _outputs[OutputKey(e.Step, e.Key!)] = e.Value ?? "";
                            break;
                        case JournalKinds.Change:
                            _changed.Add(e.Step);
                            break;
                        case JournalKinds.Checkpoint:
                            if (!_checkpoints.TryGetValue(e.Step, out var cp)) _checkpoints[e.Step] = cp = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                            cp[e.Key!] = e.Value ?? "";
                            break;
                    }
                }
                // Only completed steps keep their outcome; anything else runs again.
                foreach (var id in _outcomes.Keys.ToList())
                    if (!IsComplete(_outcomes[id])) _outcomes[id] = StepOutcome.Pending;
            }

            private static bool IsComplete(StepOutcome o) => o == StepOutcome.Succeeded || o == StepOutcome.AlreadyDone;

            /// <summary>A dependency lets its dependents start when it completed, or (in a -WhatIf run) when it
            /// was only planned: the plan of the whole runbook is what -WhatIf shows.</summary>
            private bool Satisfies(StepOutcome o) => IsComplete(o) || (WhatIf && o == StepOutcome.Skipped);

            public async Task<RunStatus> ExecuteAsync()
            {
                var running = new Dictionary<Task<StepOutcome>, RunbookStep>();
                var total = _runbook.Steps.Count;
                ReportRunProgress();
                while (true)
                {
                    // Steps whose dependencies cannot succeed any more are skipped, transitively.
                    bool changed;
                    do
                    {
                        changed = false;
                        foreach (var s in _runbook.Steps.Where(s => _outcomes[s.Id] == StepOutcome.Pending && !s.RunsAfterFailure))
                        {
                            var blocker = s.DependsOn.FirstOrDefault(d => IsFinalFailure(_outcomes[d]));
                            if (blocker == null || s.RunsAfterFailure) continue;
                            _outcomes[s.Id] = StepOutcome.Skipped;
                            Append(new JournalEvent
                            {
                                Kind = JournalKinds.StepEnded, Step = s.Id, Outcome = StepOutcome.Skipped.ToString(), DurationMs = 0,
                                Text = $"Not run: step '{blocker}' did not complete ({_outcomes[blocker]}).",
                            });
                            changed = true;
                        }
                    } while (changed);

                    if (!CancellationToken.IsCancellationRequested)
                    {
                        foreach (var s in _runbook.Steps)
                        {
                            if (running.Count >= Math.Max(1, _options.MaxParallel)) break;
                            if (_outcomes[s.Id] != StepOutcome.Pending) continue;
                            if (!s.DependsOn.All(d => s.RunsAfterFailure ? HasEnded(_outcomes[d]) : Satisfies(_outcomes[d]))) continue;
                            _outcomes[s.Id] = StepOutcome.Running;
                            running.Add(RunStepAsync(s), s);
                        }
                    }
                    if (running.Count == 0) break;
                    var finished = await Task.WhenAny(running.Keys).ConfigureAwait(false);
                    var step = running[finished];
                    running.Remove(finished);
                    _outcomes[step.Id] = await finished.ConfigureAwait(false);
                    ReportRunProgress();
                }

                var outcomes = _outcomes.Values.ToList();
                if (WhatIf) return RunStatus.WhatIf;
                if (outcomes.All(IsComplete)) return RunStatus.Succeeded;
                if (outcomes.Contains(StepOutcome.Failed)) return RunStatus.Failed;
                if (CancellationToken.IsCancellationRequested || outcomes.Contains(StepOutcome.Cancelled)) return RunStatus.Cancelled;
                // Declined by -Confirm: nothing failed, but the runbook did not finish either.
                return RunStatus.Incomplete;
            }

            private static bool HasEnded(StepOutcome o) => o != StepOutcome.Pending && o != StepOutcome.Running;

            private bool IsFinalFailure(StepOutcome o) =>
                o == StepOutcome.Failed || o == StepOutcome.Cancelled || (!WhatIf && o == StepOutcome.Skipped);

            private async Task<StepOutcome> RunStepAsync(RunbookStep step)
            {
                var attempt = (_attempts.TryGetValue(step.Id, out var a) ? a : 0) + 1;
                _attempts[step.Id] = attempt;
                var checkpoints = _checkpoints.TryGetValue(step.Id, out var cp) ? (IReadOnlyDictionary<string, string>)cp : new Dictionary<string, string>();
                var context = new StepContext(this, step, attempt, checkpoints);
                Append(new JournalEvent { Kind = JournalKinds.StepStarted, Step = step.Id, Attempt = attempt });
                Host.Verbose($"[{step.Id}] {step.Plan}");
                var clock = Stopwatch.StartNew();
                StepOutcome outcome;
                string? note = null, error = null, errorId = null;
                DrErrorCategory? category = null;
                try
                {
                    // The action runs off this thread so a synchronous step cannot stall the scheduler.
                    var result = await Task.Run(() => step.Action(context), CancellationToken).ConfigureAwait(false)
                                 ?? throw new InvalidOperationException($"Step '{step.Id}' returned no result.");
                    outcome = result.Outcome;
                    note = result.Outcome == StepOutcome.Skipped ? (result.Note ?? context.DeclinedNote) : result.Note;
                }
                catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
                {
                    outcome = StepOutcome.Cancelled;
                    error = "Cancelled.";
                    errorId = "Cancelled";
                    category = DrErrorCategory.OperationStopped;
                }
                catch (DrException ex)
                {
                    outcome = StepOutcome.Failed;
                    error = ex.Message;
                    errorId = ex.ErrorId;
                    category = ex.Category;
                }
                catch (Exception ex)
                {
                    outcome = StepOutcome.Failed;
                    error = ex.GetType().Name + ": " + ex.Message;
                    errorId = "StepFailed";
                    category = CategoryOf(ex);
                }
                clock.Stop();
                Append(new JournalEvent
                {
                    Kind = JournalKinds.StepEnded, Step = step.Id, Outcome = outcome.ToString(), DurationMs = clock.ElapsedMilliseconds,
                    Text = note, Error = error, ErrorId = errorId, Category = category?.ToString(),
                });
                StepProgress(step, outcome.ToString(), 100, null, completed: true);
                if (outcome == StepOutcome.Failed) Host.Warning($"Step '{step.Id}' failed: {error}");
                else Host.Verbose($"[{step.Id}] {outcome} in {clock.Elapsed.TotalSeconds:0.0} s" + (note != null ? ": " + note : ""));
                return outcome;
            }

            /// <summary>A category for failures that did not come from the engine's own checks.</summary>
            private static DrErrorCategory CategoryOf(Exception ex) => ex switch
            {
                TimeoutException _ => DrErrorCategory.OperationTimeout,
                UnauthorizedAccessException _ => DrErrorCategory.PermissionDenied,
                System.Net.Http.HttpRequestException _ => DrErrorCategory.ConnectionError,
                System.IO.IOException _ => DrErrorCategory.WriteError,
                _ => DrErrorCategory.InvalidOperation,
            };

            private int IndexOf(RunbookStep step)
            {
                for (var i = 0; i < _runbook.Steps.Count; i++) if (ReferenceEquals(_runbook.Steps[i], step)) return i;
                return 0;
            }

            public void StepProgress(RunbookStep step, string status, int percent, string? currentOperation, bool completed = false) =>
                Host.Progress(new DrProgress(ActivityIdOf(step), step.Plan, status)
                {
                    ParentActivityId = 1, PercentComplete = percent, CurrentOperation = currentOperation, Completed = completed,
                });

            private void ReportRunProgress()
            {
                var done = _outcomes.Values.Count(o => o != StepOutcome.Pending && o != StepOutcome.Running);
                var total = Math.Max(1, _outcomes.Count);
                Host.Progress(new DrProgress(1, _runbook.Name + (WhatIf ? " (what if)" : ""), $"{done} of {_outcomes.Count} steps finished")
                {
                    PercentComplete = done * 100 / total,
                });
            }

            public void FinishProgress() =>
                Host.Progress(new DrProgress(1, _runbook.Name, "Finished") { PercentComplete = 100, Completed = true });
        }
    }

    /// <summary>The host a run's steps talk to: every text passes the run's secret redactor, and a -WhatIf run
    /// never gets a yes to ShouldProcess.</summary>
    internal sealed class RunHost : IDrHost
    {
        private readonly IDrHost _inner;
        private readonly SecretRedactor _redactor;
        private readonly bool _whatIf;

        public RunHost(IDrHost inner, SecretRedactor redactor, bool whatIf)
        {
            _inner = inner;
            _redactor = redactor;
            _whatIf = whatIf;
        }

        private string R(string s) => _redactor.Redact(s) ?? "";

        public void Progress(DrProgress p) => _inner.Progress(new DrProgress(p.ActivityId, R(p.Activity), R(p.Status))
        {
            ParentActivityId = p.ParentActivityId,
            CurrentOperation = p.CurrentOperation == null ? null : R(p.CurrentOperation),
            PercentComplete = p.PercentComplete,
            Remaining = p.Remaining,
            Completed = p.Completed,
        });

        public void Verbose(string message) => _inner.Verbose(R(message));
        public void Warning(string message) => _inner.Warning(R(message));
        /// <summary>The outer host is always asked (under -WhatIf that prints the plan line); a -WhatIf run then
        /// declines whatever it answered, so no host can turn a plan into a change.</summary>
        public bool ShouldProcess(string target, string action) => _inner.ShouldProcess(R(target), R(action)) && !_whatIf;
        public bool ShouldContinue(string query, string caption) => _inner.ShouldContinue(R(query), R(caption));
    }
}
