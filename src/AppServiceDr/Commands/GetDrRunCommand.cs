using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>Lists journaled runs, or shows one run (or its steps).</summary>
    [Cmdlet(VerbsCommon.Get, "DrRun", DefaultParameterSetName = ListSet)]
    [OutputType(typeof(RunReport), ParameterSetName = new[] { ListSet, ByIdSet })]
    [OutputType(typeof(StepReport), ParameterSetName = new[] { ByIdSet })]
    public sealed class GetDrRunCommand : DrCmdlet
    {
        private const string ListSet = "List";
        private const string ByIdSet = "ById";

        /// <summary>Only runs of this runbook (wildcards allowed).</summary>
        [Parameter(ParameterSetName = ListSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RunbookNameCompleter))]
        public string? Runbook { get; set; }

        /// <summary>Only the newest N runs.</summary>
        [Parameter(ParameterSetName = ListSet)]
        [ValidateRange(1, int.MaxValue)]
        public int Last { get; set; }

        /// <summary>The run(s) to show.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByIdSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RunIdCompleter))]
        public string[] RunId { get; set; } = new string[0];

        /// <summary>Emit the run's steps instead of the run.</summary>
        [Parameter(ParameterSetName = ByIdSet)]
        public SwitchParameter Step { get; set; }

        /// <summary>Where run journals are kept. Default: the per-user state directory, or $env:APPSERVICEDR_STATE_DIR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        private readonly HashSet<string> _written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        protected override void ProcessRecord()
        {
            var store = OpenStore(StateDirectory);
            if (ParameterSetName == ListSet)
            {
                var runs = store.List(ex => WriteDrError(ex)).Where(r => Runbook == null || PowerShellWildcards.Instance.IsMatch(Runbook, r.Runbook));
                if (Last > 0) runs = runs.Take(Last);
                foreach (var run in runs) WriteObject(run);
                return;
            }
            foreach (var id in RunId)
            {
                // Several results of one run piped in name it once.
                if (!_written.Add(id)) continue;
                RunReport report;
                try
                {
                    report = store.Get(id);
                }
                catch (DrException ex)
                {
                    WriteDrError(ex);
                    continue;
                }
                if (Step) WriteObject(report.Steps, enumerateCollection: true);
                else WriteObject(report);
            }
        }
    }
}
