using System;
using System.Management.Automation;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves the backup of the App Service file share: compares it with the live share by content hash, reports the
    /// drift (changes not in the backup) as the RPO, and checks that the secrets file (SystemSecrets.json) exists and
    /// parses. Reads only; secret values are never shown.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "FileShareBackup", DefaultParameterSetName = DrillSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestFileShareBackupCommand : RunbookCmdlet
    {
        private const string DrillSet = "Drill";

        /// <summary>The live share (a UNC path or a folder).</summary>
        [Parameter(Mandatory = true, ParameterSetName = DrillSet, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The backup copy of the share.</summary>
        [Parameter(Mandatory = true, ParameterSetName = DrillSet, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string BackupPath { get; set; } = "";

        /// <summary>The exported App Service secrets. Default: SystemSecrets.json in -BackupPath.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        [ValidateNotNullOrEmpty]
        public string? SecretsFile { get; set; }

        /// <summary>Drift older than this fails the drill; without it, drift is a warning.</summary>
        [Parameter(ParameterSetName = DrillSet)]
        public TimeSpan RpoTarget { get; set; }

        protected override void EndProcessing() =>
            Run(new FileShareDrillRunbook(), () => new FileShareDrillRequest
            {
                Path = ResolvePath(Path),
                BackupPath = ResolvePath(BackupPath),
                SecretsFile = SecretsFile == null ? null : ResolvePath(SecretsFile),
                RpoTarget = MyInvocation.BoundParameters.ContainsKey(nameof(RpoTarget)) ? RpoTarget : (TimeSpan?)null,
            });
    }
}
