using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Base of every cmdlet that performs a runbook: -Resume continues a journaled run, -StateDirectory
    /// says where journals live, and the run report is the output. Each failed step is also written as an
    /// error with the step's error id.
    /// </summary>
    public abstract class RunbookCmdlet : DrCmdlet
    {
        protected const string ResumeSet = "Resume";

        /// <summary>Continue the run with this id from its first step that did not complete.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ResumeSet)]
        [ValidateNotNullOrEmpty]
        public string Resume { get; set; } = "";

        /// <summary>Where run journals are kept. Default: the per-user state directory, or $env:APPSERVICEDR_STATE_DIR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        /// <summary>How many independent steps may run at once.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int MaxParallel { get; set; } = 4;

        protected RunStore OpenStore() => new RunStore(StateDirectory == null ? null : ResolvePath(StateDirectory));

        /// <summary>Runs (or, with -Resume, continues) the runbook and writes its report.</summary>
        protected void Execute(System.Func<RunStore, RunbookDefinition> build, SecretRedactor? redactor = null)
        {
            var store = OpenStore();
            var runbook = build(store);
            var options = new RunOptions { WhatIf = IsWhatIf, MaxParallel = MaxParallel, Redactor = redactor ?? new SecretRedactor() };
            var runner = new RunbookRunner(store);
            var report = RunEngine((host, token) => ParameterSetName == ResumeSet
                ? runner.ResumeAsync(Resume, runbook, host, options, token)
                : runner.RunAsync(runbook, host, options, token));
            if (report == null) return;
            foreach (var step in report.Steps)
                if (step.Outcome == StepOutcome.Failed)
                    WriteDrError(new DrException(step.ErrorId ?? "StepFailed", step.ErrorCategory ?? DrErrorCategory.InvalidOperation,
                        $"Step '{step.StepId}' of run {report.RunId} failed: {step.Error} Fix the cause, then run again with -Resume {report.RunId}.", step.StepId));
            WriteObject(report);
        }

        /// <summary>The inputs a journaled run was started with, for cmdlets that rebuild their runbook on -Resume.</summary>
        protected System.Collections.Generic.IReadOnlyDictionary<string, string?> ResumeInputs(RunStore store)
        {
            try
            {
                return store.GetInputs(Resume);
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
                throw;
            }
        }
    }
}
