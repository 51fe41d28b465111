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

        protected override void BeginProcessing()
        {
            _cancellation = new CancellationTokenSource();
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
        protected string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

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
            public bool ShouldProcess(string target, string action) => _cmdlet.ShouldProcess(target, action);
            public bool ShouldContinue(string query, string caption) => _cmdlet.SkipDataLossPrompt || _cmdlet.ShouldContinue(query, caption);
        }
    }
}
