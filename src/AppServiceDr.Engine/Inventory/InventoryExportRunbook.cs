using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Inventory
{
    /// <summary>Where the emergency record comes from and where it goes.</summary>
    public sealed class InventoryExportRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        /// <summary>The record file: .json or .psd1. The printable page is written beside it (.md).</summary>
        public string Path { get; set; } = "";
        /// <summary>Replace files that exist.</summary>
        public bool Force { get; set; }

        internal string MarkdownPath => System.IO.Path.ChangeExtension(Path, ".md");
        internal bool IsPsd1 => string.Equals(System.IO.Path.GetExtension(Path), ".psd1", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Seed 004's emergency record: <c>discover</c> reads the resource group (its SQL server, database and failover
    /// group, storage account, Key Vault, app and its package and app registrations, Traffic Manager profile, DNS zone
    /// and the template it was deployed from), <c>write</c> writes the record and its printable page. Under -WhatIf the
    /// record is discovered and returned, and no file is written.
    /// </summary>
    public sealed class InventoryExportRunbook : Runbook<InventoryExportRequest, DrInventory>
    {
        private const string DiscoverStep = "discover";
        private const string WriteStep = "write";

        public override string Name => "InventoryExport";
        public override string Command => "Export-DrInventory";

        protected internal override Task PreflightAsync(RunContext run, InventoryExportRequest request, CancellationToken ct)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName);
            var extension = System.IO.Path.GetExtension(request.Path);
            if (!string.Equals(extension, ".json", StringComparison.OrdinalIgnoreCase) && !string.Equals(extension, ".psd1", StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("InventoryFormatNotSupported", DrErrorCategory.InvalidArgument, $"Write the record as .json or .psd1, not '{extension}'.", request.Path);
            var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(request.Path));
            if (folder == null || !Directory.Exists(folder))
                throw DrException.Precondition("InventoryFolderNotFound", DrErrorCategory.ObjectNotFound, $"The folder '{folder}' does not exist.", request.Path);
            foreach (var file in new[] { request.Path, request.MarkdownPath })
                if (File.Exists(file) && !request.Force)
                    throw DrException.Precondition("InventoryFileExists", DrErrorCategory.ResourceExists, $"'{file}' exists; give -Force to replace it.", file);
            return Task.CompletedTask;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, InventoryExportRequest request)
        {
            yield return new RunbookStep(DiscoverStep, $"Read what resource group {request.ResourceGroupName} holds", async ctx =>
            {
                var record = await InventoryRecord.DiscoverAsync(ctx.Azure, request.SubscriptionId, request.ResourceGroupName, ctx.Run.Now, ctx.CancellationToken).ConfigureAwait(false);
                ctx.Publish(record);
                return StepResult.Done($"{Count(record)} resources recorded.");
            });
            yield return new RunbookStep(WriteStep, $"Write the record to {request.Path} and its page to {request.MarkdownPath}", ctx =>
            {
                var record = ctx.Published<DrInventory>(DiscoverStep)!;
                if (!ctx.ShouldProcess(request.Path, ctx.Step.Plan)) return Task.FromResult(StepResult.Declined("No file written."));
                File.WriteAllText(request.Path, request.IsPsd1 ? InventoryRecord.ToPsd1(record) : InventoryRecord.ToJson(record));
                File.WriteAllText(request.MarkdownPath, InventoryRecord.ToMarkdown(record));
                ctx.RecordChange($"record written to {request.Path} and {request.MarkdownPath}");
                return Task.FromResult(StepResult.Done($"Record written to {request.Path}."));
            }, DiscoverStep);
        }

        private static int Count(DrInventory r) =>
            new object?[] { r.ServerName, r.StorageAccountName, r.VaultName, r.WebAppName, r.TrafficManagerProfileName, r.DnsZoneName, r.FailoverGroupName }.Count(x => x != null);

        protected internal override IEnumerable<DrInventory> Results(InventoryExportRequest request, RunReport report)
        {
            var record = report.Steps.FirstOrDefault(s => s.StepId == DiscoverStep)?.Published<DrInventory>();
            if (record == null) yield break;
            var written = report.Steps.FirstOrDefault(s => s.StepId == WriteStep)?.Outcome == StepOutcome.Succeeded;
            record.Path = written ? request.Path : null;
            record.RunId = report.RunIdOrNull();
            yield return record;
        }
    }
}
