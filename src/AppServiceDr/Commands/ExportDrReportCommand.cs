using System.IO;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>Writes a run's report (steps, durations, time to recovery, data-loss window) as Markdown or JSON.
    /// A run report piped in binds to -InputObject (the default set), so it is written as it is, wherever its journal
    /// lives; any other object with a RunId (a runbook cmdlet's result) binds to -RunId.</summary>
    [Cmdlet(VerbsData.Export, "DrReport", DefaultParameterSetName = InputObjectSet, SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportDrReportCommand : DrCmdlet
    {
        private const string ByIdSet = "ById";
        private const string InputObjectSet = "InputObject";

        /// <summary>The run to report on.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByIdSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RunIdCompleter))]
        public string RunId { get; set; } = "";

        /// <summary>A run report, as output by Get-DrRun or a runbook cmdlet.</summary>
        [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
        [ValidateNotNull]
        public RunReport? InputObject { get; set; }

        /// <summary>The file to write.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter]
        public ReportFormat Format { get; set; } = ReportFormat.Markdown;

        /// <summary>Replace the file if it exists.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Emit the written file.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Where run journals are kept. Default: the per-user state directory, or $env:APPSERVICEDR_STATE_DIR.</summary>
        [Parameter(ParameterSetName = ByIdSet)]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        protected override void ProcessRecord()
        {
            RunReport report;
            try
            {
                report = InputObject ?? OpenStore(StateDirectory).Get(RunId);
            }
            catch (DrException ex)
            {
                WriteDrError(ex);
                return;
            }
            var path = ResolvePath(Path);
            if (!ShouldProcess(path, $"Write the {Format} report of run {report.RunId}")) return;
            try
            {
                var file = ReportExporter.Write(report, Format, path, overwrite: Force);
                if (PassThru) WriteObject(file);
            }
            catch (DrException ex)
            {
                WriteDrError(ex);
            }
            catch (IOException ex)
            {
                WriteError(new ErrorRecord(ex, "ReportWriteFailed", ErrorCategory.WriteError, path));
            }
            catch (System.UnauthorizedAccessException ex)
            {
                WriteError(new ErrorRecord(ex, "ReportWriteDenied", ErrorCategory.PermissionDenied, path));
            }
        }
    }
}
