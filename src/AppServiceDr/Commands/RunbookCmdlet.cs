using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Base of every cmdlet that performs a runbook: -Resume continues a journaled run, -StateDirectory says
    /// where journals live, -MaxParallel bounds the steps that run at once. Each failed step is written as an
    /// error with the step's error id; the runbook's typed results are written as they come.
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

        /// <summary>How a cmdlet reaches SQL Server: with a SQL login when a credential is given, else with an access
        /// token when one is given, else with Windows (integrated) authentication; a certificate file to pin is
        /// resolved against the PowerShell location.</summary>
        protected Engine.Sql.SqlServerConnectionInfo SqlServer(string serverInstance, PSCredential? credential, System.Security.SecureString? accessToken,
            string? serverCertificate, bool trustServerCertificate = false) => new Engine.Sql.SqlServerConnectionInfo
            {
                ServerInstance = serverInstance,
                Authentication = credential != null ? Engine.Sql.SqlAuthenticationKind.SqlLogin
                    : accessToken != null ? Engine.Sql.SqlAuthenticationKind.AccessToken : Engine.Sql.SqlAuthenticationKind.Integrated,
                UserName = credential?.UserName,
                Password = credential?.Password,
                AccessToken = accessToken == null ? null : new System.Net.NetworkCredential("", accessToken).Password,
                TrustServerCertificate = trustServerCertificate,
                ServerCertificate = serverCertificate == null ? null : ResolvePath(serverCertificate),
            };

        /// <summary>Where the run's Azure calls go; null for runbooks that do not call Azure.</summary>
        protected virtual Engine.Azure.DrEnvironment? RunEnvironment() => null;

        /// <summary>The values a resumed run may need again (its secrets are never journaled), by parameter name. The
        /// engine takes only those its request marks secret. Default: every parameter given.</summary>
        protected virtual IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            MyInvocation.BoundParameters.ToDictionary(p => p.Key, p => p.Value is PSObject wrapped ? wrapped.BaseObject : p.Value, StringComparer.OrdinalIgnoreCase)!;

        /// <summary>True when the run only plans (nothing is changed or journaled) although -WhatIf was not given.</summary>
        protected virtual bool PlanOnly => false;

        /// <summary>The ports to hosts besides Azure the run reaches (the App Service controller's commands), made with the
        /// run's host (the bridge to the pipeline thread). Default: none.</summary>
        protected virtual IReadOnlyList<object> RunPorts(IDrHost host) => Array.Empty<object>();

        /// <summary>What is written for one result (a cmdlet may give it a view of its own).</summary>
        protected virtual object Shape(object result) => result;

        /// <summary>
        /// The one way a cmdlet runs its runbook. The request is built here, on the pipeline thread (paths resolve
        /// against the session), unless -Resume names a run: then the engine finds the runbook by the journal, refuses
        /// a run another cmdlet started, and rebuilds the request from the journal.
        /// </summary>
        protected void Run<TRequest, TResult>(Runbook<TRequest, TResult> runbook, Func<TRequest> request, SecretRedactor? redactor = null)
            where TRequest : class
            where TResult : class
        {
            if (!PlanOnly) EnsureQuestionsCanBeAnswered();
            var fresh = IsResume ? null : request();
            var environment = RunEnvironment();
            var runner = new RunbookRunner(OpenStore(StateDirectory));
            var options = new RunOptions { WhatIf = IsWhatIf || PlanOnly, MaxParallel = MaxParallel, Redactor = redactor ?? new SecretRedactor() };
            var secrets = IsResume ? ResumeSecrets() : null;
            var command = MyInvocation.MyCommand.Name;
            var outcome = RunEngine<RunOutcome>(async (host, token) =>
            {
                var context = new RunContext(host, options, environment) { Ports = RunPorts(host) };
                return fresh != null
                    ? await runner.RunAsync(runbook, fresh, context, token).ConfigureAwait(false)
                    : await runner.ResumeAsync(Resume, command, secrets!, context, token).ConfigureAwait(false);
            });
            if (outcome == null) return;
            foreach (var step in outcome.Report.Steps.Where(s => s.Outcome == StepOutcome.Failed))
                WriteDrError(new DrException(step.ErrorId ?? "StepFailed", step.ErrorCategory ?? DrErrorCategory.InvalidOperation,
                    outcome.Report.JournalPath == null
                        ? $"Step '{step.StepId}' failed: {step.Error}"
                        : $"Step '{step.StepId}' of run {outcome.Report.RunId} failed: {step.Error} When the cause is fixed, continue with -Resume {outcome.Report.RunId}.",
                    step.StepId));
            foreach (var result in outcome.Results) WriteObject(Shape(result));
        }
    }
}
