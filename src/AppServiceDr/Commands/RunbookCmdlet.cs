using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Base of every cmdlet that performs a runbook: -Resume continues a journaled run, -StateDirectory
    /// says where journals live. Each failed step is written as an error with the step's error id.
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

        protected bool IsResume => ParameterSetName == ResumeSet;

        /// <summary>Builds the runbook (fresh, or from the journal of the run named by -Resume: the builder
        /// gets that run's recorded inputs), runs it, and writes what <paramref name="output"/> makes of the
        /// report (the report itself by default).</summary>
        protected void Execute(
            Func<IReadOnlyDictionary<string, string?>?, IDrHost, CancellationToken, Task<RunbookDefinition>> build,
            SecretRedactor redactor,
            Func<RunReport, IEnumerable<object>>? output = null)
        {
            var store = OpenStore(StateDirectory);
            var runner = new RunbookRunner(store);
            var options = new RunOptions { WhatIf = IsWhatIf, MaxParallel = MaxParallel, Redactor = redactor };
            var report = RunEngine(async (host, token) =>
            {
                var inputs = IsResume ? store.GetInputs(Resume) : null;
                var runbook = await build(inputs, host, token).ConfigureAwait(false);
                return IsResume
                    ? await runner.ResumeAsync(Resume, runbook, host, options, token).ConfigureAwait(false)
                    : await runner.RunAsync(runbook, host, options, token).ConfigureAwait(false);
            });
            if (report == null) return;
            foreach (var step in report.Steps)
                if (step.Outcome == StepOutcome.Failed)
                    WriteDrError(new DrException(step.ErrorId ?? "StepFailed", step.ErrorCategory ?? DrErrorCategory.InvalidOperation,
                        $"Step '{step.StepId}' of run {report.RunId} failed: {step.Error} When the cause is fixed, continue with -Resume {report.RunId}.", step.StepId));
            if (output == null) WriteObject(report);
            else foreach (var item in output(report)) WriteObject(item);
        }
    }
}
