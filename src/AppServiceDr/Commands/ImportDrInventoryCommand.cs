using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Inventory;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Reads an emergency record written by Export-DrInventory, refusing one of another subscription or one changed
    /// after it was written. The record's properties are named as the recovery cmdlets' parameters, so it pipes into
    /// them (and into Invoke-DrTriage) by property name.
    /// </summary>
    [Cmdlet(VerbsData.Import, "DrInventory")]
    [OutputType(typeof(DrInventory))]
    public sealed class ImportDrInventoryCommand : DrCmdlet
    {
        /// <summary>The record: a .json or .psd1 file written by Export-DrInventory.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>The subscription being recovered: a record of another subscription is refused.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; } = "";

        protected override void ProcessRecord()
        {
            var path = ResolvePath(Path);
            try
            {
                if (!File.Exists(path))
                    throw DrException.Precondition("InventoryFileNotFound", DrErrorCategory.ObjectNotFound, $"The record '{path}' does not exist.", path);
                var record = string.Equals(System.IO.Path.GetExtension(path), ".psd1", StringComparison.OrdinalIgnoreCase)
                    ? InventoryRecord.FromValues(ReadDataFile(path), path)
                    : InventoryRecord.FromJson(File.ReadAllText(path), path);
                InventoryRecord.Verify(record, path, SubscriptionId);
                WriteObject(record);
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
            }
        }

        /// <summary>A PowerShell data file's hashtable of constants, read without running anything in it.</summary>
        private static IReadOnlyDictionary<string, string?> ReadDataFile(string path)
        {
            var ast = Parser.ParseFile(path, out _, out var errors);
            var table = errors.Length == 0 ? ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst : null;
            Hashtable? values = null;
            try
            {
                values = table?.SafeGetValue() as Hashtable;
            }
            catch (InvalidOperationException)
            {
                values = null;
            }
            if (values == null)
                throw DrException.Precondition("InventoryNotReadable", DrErrorCategory.InvalidData, $"The record '{path}' is not a PowerShell data file of constants.", path);
            return values.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => values[k] switch
            {
                null => null,
                bool b => b ? "true" : "false",
                var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
            }, StringComparer.OrdinalIgnoreCase);
        }
    }
}
