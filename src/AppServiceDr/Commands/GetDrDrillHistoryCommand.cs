using System;
using System.Management.Automation;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>Shows the measured recovery times and points of every drill target across its runs, with their trend.</summary>
    [Cmdlet(VerbsCommon.Get, "DrDrillHistory")]
    [OutputType(typeof(DrillHistoryEntry))]
    public sealed class GetDrDrillHistoryCommand : DrCmdlet
    {
        /// <summary>Only drills of these cmdlets (wildcards allowed), for example Test-Sql*.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Test { get; set; }

        /// <summary>Only these targets (wildcards allowed), for example sql-portal/*.</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[]? Target { get; set; }

        /// <summary>Only drills started at or after this time.</summary>
        [Parameter]
        public DateTimeOffset Since { get; set; }

        /// <summary>Where run journals are kept. Default: the per-user state directory, or $env:APPSERVICEDR_STATE_DIR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        protected override void EndProcessing()
        {
            bool Matches(string[]? patterns, string value) => patterns == null || Array.Exists(patterns, p => PowerShellWildcards.Instance.IsMatch(p, value));
            var entries = DrillHistory.Read(OpenStore(StateDirectory), t => Matches(Test, t), t => Matches(Target, t),
                MyInvocation.BoundParameters.ContainsKey(nameof(Since)) ? Since : (DateTimeOffset?)null);
            foreach (var entry in entries) WriteObject(entry);
        }
    }
}
