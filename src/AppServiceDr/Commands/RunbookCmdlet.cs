using System;
using System.Collections.Generic;
using System.Linq;
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
        [ArgumentCompleter(typeof(RunIdCompleter))]
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

        /// <summary>The runbooks this cmdlet runs and resumes (the names their journals record).</summary>
        protected abstract string[] Runbooks { get; }

        /// <summary>The runbook of the run named by -Resume, read on the pipeline thread; a run that does not exist,
        /// or that another cmdlet started, stops the command before anything runs.</summary>
        protected string ResumedRunbook(RunStore store)
        {
            try
            {
                return store.Get(Resume).Runbook;
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex.AsPrecondition()));
                throw;
            }
        }

        private void EnsureResumable(RunStore store)
        {
            var runbook = ResumedRunbook(store);
            if (Array.IndexOf(Runbooks, runbook) >= 0) return;
            var owner = CommandFor(runbook);
            ThrowTerminatingError(ToErrorRecord(DrException.Precondition("RunOfAnotherCommand", DrErrorCategory.InvalidArgument,
                $"Run {Resume} is a {runbook} run, which {MyInvocation.MyCommand.Name} does not resume. " +
                (owner == null ? "This version of the module has no command for it." : $"Resume it with {owner} -Resume {Resume}."), Resume)));
        }

        /// <summary>The cmdlet of this module that runs <paramref name="runbook"/>, or null.</summary>
        internal static string? CommandFor(string runbook) =>
            Catalogue().Where(c => Array.IndexOf(c.Runbooks, runbook) >= 0).Select(c => c.Command).FirstOrDefault();

        /// <summary>The runbooks the cmdlet named <paramref name="command"/> runs and resumes (none for other commands).</summary>
        internal static string[] RunbooksOf(string command) =>
            Catalogue().Where(c => string.Equals(c.Command, command, StringComparison.OrdinalIgnoreCase)).Select(c => c.Runbooks).FirstOrDefault() ?? new string[0];

        private static IEnumerable<(string Command, string[] Runbooks)> Catalogue()
        {
            foreach (var type in typeof(RunbookCmdlet).Assembly.GetTypes())
            {
                if (type.IsAbstract || !typeof(RunbookCmdlet).IsAssignableFrom(type)) continue;
                var cmdlet = (CmdletAttribute?)Attribute.GetCustomAttribute(type, typeof(CmdletAttribute));
                if (cmdlet != null) yield return (cmdlet.VerbName + "-" + cmdlet.NounName, ((RunbookCmdlet)Activator.CreateInstance(type)!).Runbooks);
            }
        }

        /// <summary>Builds the runbook (fresh, or from the journal of the run named by -Resume: the builder
        /// gets that run's recorded inputs), runs it, and writes what <paramref name="output"/> makes of the
        /// report (the report itself by default).</summary>
        protected void Execute(
            Func<IReadOnlyDictionary<string, string?>?, IDrHost, CancellationToken, Task<RunbookDefinition>> build,
            SecretRedactor redactor,
            Func<RunReport, IEnumerable<object>>? output = null)
        {
            EnsureQuestionsCanBeAnswered();
            var store = OpenStore(StateDirectory);
            if (IsResume) EnsureResumable(store);
            var runner = new RunbookRunner(store);
            var options = new RunOptions { WhatIf = IsWhatIf, MaxParallel = MaxParallel, Redactor = redactor };
            var report = RunEngine(async (host, token) =>
            {
                var inputs = IsResume ? store.GetInputs(Resume) : null;
                RunbookDefinition runbook;
                try
                {
                    runbook = await build(inputs, host, token).ConfigureAwait(false);
                }
                catch (DrException ex)
                {
                    // Nothing has started yet, so whatever went wrong, nothing was changed.
                    throw ex.AsPrecondition();
                }
                return IsResume
                    ? await runner.ResumeAsync(Resume, runbook, host, options, token).ConfigureAwait(false)
                    : await runner.RunAsync(runbook, host, options, token).ConfigureAwait(false);
            });
            if (report == null) return;
            foreach (var step in report.Steps)
                if (step.Outcome == StepOutcome.Failed)
                    WriteDrError(new DrException(step.ErrorId ?? "StepFailed", step.ErrorCategory ?? DrErrorCategory.InvalidOperation,
                        report.JournalPath == null
                            ? $"Step '{step.StepId}' failed: {step.Error}"
                            : $"Step '{step.StepId}' of run {report.RunId} failed: {step.Error} When the cause is fixed, continue with -Resume {report.RunId}.",
                        step.StepId));
            if (output == null) WriteObject(report);
            else foreach (var item in output(report)) WriteObject(item);
        }
    }
}
