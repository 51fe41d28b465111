using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// The one adapter between PowerShell and the engine: engine work runs on worker threads while its
    /// progress, messages and questions are answered here on the pipeline thread; Ctrl+C cancels the token
    /// every engine call receives; engine failures become ErrorRecords with their stable error id.
    /// </summary>
    public abstract class DrCmdlet : PSCmdlet, IDisposable
    {
        private CancellationTokenSource? _cancellation;
        private int _pipelineThread = -1;

        /// <summary>Cancelled when the pipeline stops (Ctrl+C, Select-Object -First, a closed host).</summary>
        protected CancellationToken CancellationToken => _cancellation?.Token ?? CancellationToken.None;

        /// <summary>True when data-loss prompts (ShouldContinue) are to be skipped: cmdlets with a -Force parameter
        /// for dangerous actions override this with it.</summary>
        protected virtual bool SkipDataLossPrompt => false;

        /// <summary>True under -WhatIf (or $WhatIfPreference).</summary>
        protected bool IsWhatIf
        {
            get
            {
                if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var value) && value is SwitchParameter sw) return sw.IsPresent;
                var preference = SessionState.PSVariable.GetValue("WhatIfPreference");
                return preference is bool b ? b : preference is SwitchParameter s && s.IsPresent;
            }
        }

        /// <summary>True when this session cannot answer a prompt: PowerShell was started with -NonInteractive
        /// (a scheduled task, a CI job, Azure Automation).</summary>
        protected static bool IsNonInteractiveSession { get; } = HasNonInteractiveSwitch(Environment.GetCommandLineArgs());

        internal static bool HasNonInteractiveSwitch(string[] arguments)
        {
            foreach (var argument in arguments)
            {
                var name = argument.TrimStart('-', '/').ToLowerInvariant();
                if (argument.Length == 0 || (argument[0] != '-' && argument[0] != '/')) continue;
                // Whatever follows the command or script is theirs, not the shell's.
                if (name == "c" || name.StartsWith("com", StringComparison.Ordinal) || name == "f" || name.StartsWith("fi", StringComparison.Ordinal)
                    || name.StartsWith("e", StringComparison.Ordinal) && "encodedcommand".StartsWith(name, StringComparison.Ordinal)) return false;
                if (name.Length >= 4 && "noninteractive".StartsWith(name, StringComparison.Ordinal)) return true;
            }
            return false;
        }

        /// <summary>True when a data-loss question (ShouldContinue) may be asked during the run: a cmdlet with
        /// such a step and no -Force overrides this.</summary>
        protected virtual bool MayAskDataLossQuestion => false;

        /// <summary>
        /// In a session that cannot answer, a run that would ask fails here, before anything starts or is
        /// journaled, and says how to approve it up front. Asked when -Confirm is given, or when the cmdlet's
        /// impact reaches $ConfirmPreference without -Confirm:$false; and for data-loss questions without -Force.
        /// </summary>
        protected void EnsureQuestionsCanBeAnswered()
        {
            if (!IsNonInteractiveSession || IsWhatIf) return;
            var needs = new System.Collections.Generic.List<string>();
            if (WouldConfirm()) needs.Add("-Confirm:$false");
            if (MayAskDataLossQuestion) needs.Add("-Force");
            if (needs.Count == 0) return;
            ThrowTerminatingError(ToErrorRecord(DrException.Precondition("ConfirmationNeeded", DrErrorCategory.InvalidOperation,
                $"{MyInvocation.MyCommand.Name} would ask for confirmation, but this session is non-interactive. Approve the run up front with {string.Join(" and ", needs)}; nothing was changed.",
                MyInvocation.MyCommand.Name)));
        }

        private bool WouldConfirm()
        {
            if (MyInvocation.BoundParameters.TryGetValue("Confirm", out var value) && value is SwitchParameter confirm) return confirm.IsPresent;
            var attribute = (CmdletAttribute?)Attribute.GetCustomAttribute(GetType(), typeof(CmdletAttribute));
            if (attribute == null || !attribute.SupportsShouldProcess) return false;
            var preference = SessionState.PSVariable.GetValue("ConfirmPreference");
            var threshold = preference is ConfirmImpact impact ? impact
                : preference != null && Enum.TryParse<ConfirmImpact>(preference.ToString(), true, out var parsed) ? parsed : ConfirmImpact.High;
            return threshold != ConfirmImpact.None && attribute.ConfirmImpact >= threshold;
        }

        protected override void BeginProcessing()
        {
            _cancellation = new CancellationTokenSource();
            _pipelineThread = Environment.CurrentManagedThreadId;
        }

        protected override void StopProcessing()
        {
            _cancellation?.Cancel();
        }

        public void Dispose()
        {
            _cancellation?.Dispose();
            _cancellation = null;
            GC.SuppressFinalize(this);
        }

        /// <summary>Resolves a path the way PowerShell users expect: relative to the current PowerShell
        /// location, not the process's working directory.</summary>
        protected string ResolvePath(string path)
        {
            // The session state belongs to the pipeline thread; PowerShell does not support it elsewhere.
            if (_pipelineThread != -1 && Environment.CurrentManagedThreadId != _pipelineThread)
                throw new InvalidOperationException("A path was resolved off the pipeline thread; resolve it before the engine starts.");
            return SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }

        /// <summary>The run journals in <paramref name="stateDirectory"/> (a PowerShell path), or in the default state directory.</summary>
        protected Engine.Runbooks.RunStore OpenStore(string? stateDirectory) =>
            new Engine.Runbooks.RunStore(stateDirectory == null ? null : ResolvePath(stateDirectory));

        /// <summary>Runs engine work. Its host calls are executed here, on the pipeline thread. A DrException
        /// found before anything changed terminates the command; other DrExceptions are written as errors
        /// and null is returned.</summary>
        protected T? RunEngine<T>(Func<IDrHost, CancellationToken, Task<T>> work) where T : class
        {
            try
            {
                return HostBridge.Run(new CmdletHost(this), host => work(host, CancellationToken));
            }
            catch (DrException ex) when (!ex.IsPrecondition)
            {
                WriteError(ToErrorRecord(ex));
                return null;
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
                return null;
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>Writes one engine failure as a non-terminating error (one failed item among others).</summary>
        protected void WriteDrError(DrException ex) => WriteError(ToErrorRecord(ex));

        internal static ErrorRecord ToErrorRecord(DrException ex) =>
            new ErrorRecord(ex, ex.ErrorId, ToCategory(ex.Category), ex.Target);

        /// <summary>The engine's categories carry PowerShell's names, so the mapping is by name.</summary>
        internal static ErrorCategory ToCategory(DrErrorCategory category) =>
            (ErrorCategory)Enum.Parse(typeof(ErrorCategory), category.ToString());

        /// <summary>The engine's view of this cmdlet. Only ever called on the pipeline thread (HostBridge sees to it).</summary>
        private sealed class CmdletHost : IDrHost
        {
            private readonly DrCmdlet _cmdlet;

            public CmdletHost(DrCmdlet cmdlet)
            {
                _cmdlet = cmdlet;
            }

            public void Progress(DrProgress p)
            {
                var record = new ProgressRecord(p.ActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? " " : p.Status)
                {
                    ParentActivityId = p.ParentActivityId,
                    PercentComplete = Math.Max(-1, Math.Min(100, p.PercentComplete)),
                    RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                };
                if (p.CurrentOperation != null) record.CurrentOperation = p.CurrentOperation;
                if (p.Remaining.HasValue) record.SecondsRemaining = (int)Math.Max(0, p.Remaining.Value.TotalSeconds);
                _cmdlet.WriteProgress(record);
            }

            public void Verbose(string message) => _cmdlet.WriteVerbose(message);
            public void Warning(string message) => _cmdlet.WriteWarning(message);
            public bool ShouldProcess(string target, string action) => Ask(() => _cmdlet.ShouldProcess(target, action));
            public bool ShouldContinue(string query, string caption) => _cmdlet.SkipDataLossPrompt || Ask(() => _cmdlet.ShouldContinue(query, caption));

            /// <summary>A host that cannot prompt refuses the question; the step that asked fails with advice
            /// instead of the host's own error.</summary>
            private bool Ask(Func<bool> question)
            {
                try
                {
                    return question();
                }
                catch (PSInvalidOperationException ex)
                {
                    throw new DrException("ConfirmationNeeded", DrErrorCategory.InvalidOperation,
                        $"{_cmdlet.MyInvocation.MyCommand.Name} asked for confirmation and this host cannot answer. Run it with -Confirm:$false (and -Force for data-loss steps).",
                        _cmdlet.MyInvocation.MyCommand.Name, ex);
                }
            }
        }
    }
}
