using System.Management.Automation;
using AppServiceDr.Engine.Inventory;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 004's emergency record: discovers the names of what makes up the app from its resource group and writes
    /// them as JSON or a PowerShell data file, with a printable Markdown page beside it. No secret goes in.
    /// </summary>
    [Cmdlet(VerbsData.Export, "DrInventory", DefaultParameterSetName = ExportSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(DrInventory))]
    public sealed class ExportDrInventoryCommand : AzureRunbookCmdlet
    {
        private const string ExportSet = "Export";

        /// <summary>Subscription of the resource group.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ExportSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>The resource group the app was deployed to.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ExportSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The record file, .json or .psd1; the printable page is written beside it with the extension .md.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ExportSet)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>Replace the record and its page when they exist.</summary>
        [Parameter(ParameterSetName = ExportSet)]
        public SwitchParameter Force { get; set; }

        protected override void EndProcessing() =>
            Run(new InventoryExportRunbook(), () => new InventoryExportRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                Path = ResolvePath(Path),
                Force = Force,
            });
    }
}
