using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Collections.ObjectModel;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Runs a drill plan (a .psd1 file naming Test-* drills, their parameters and targets): each drill runs as its own
    /// journaled run, every measured RTO and RPO is graded against its target (seed 004's by default), and Markdown,
    /// JSON, JUnit and NUnit reports are written.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DrDrill", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DrillPlanResult))]
    public sealed class InvokeDrDrillCommand : DrCmdlet
    {
        private static readonly string[] Tests =
        {
            SqlPointInTimeDrillRunbook.CommandName, SqlBackupDrillRunbook.CommandName, KeyVaultDrillRunbook.CommandName,
            ArmTemplateDrillRunbook.CommandName, StorageReadinessDrillRunbook.CommandName, FileShareDrillRunbook.CommandName,
        };

        /// <summary>The drill plan: a .psd1 file.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>Parameters given to every drill that declares them (sign-in, for example), under those of the plan.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable? Parameter { get; set; }

        /// <summary>Where the reports go. Default: a DrillReports folder beside the plan.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OutputDirectory { get; set; }

        /// <summary>Where run journals are kept. Default: the per-user state directory, or $env:APPSERVICEDR_STATE_DIR.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        private sealed class Entry
        {
            public DrillPlanEntry Plan { get; set; } = new DrillPlanEntry();
            public Hashtable Parameters { get; set; } = new Hashtable(StringComparer.OrdinalIgnoreCase);
        }

        private DrException Invalid(string message) =>
            DrException.Precondition("DrillPlanInvalid", DrErrorCategory.InvalidData, $"The drill plan '{Path}' {message}", Path);

        protected override void EndProcessing()
        {
            var planPath = ResolvePath(Path);
            if (!System.IO.File.Exists(planPath))
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("DrillPlanNotFound", DrErrorCategory.ObjectNotFound, $"The drill plan '{planPath}' does not exist.", Path)));
            var (name, tier, defaults, entries) = Load(planPath);
            var reports = OutputDirectory != null ? ResolvePath(OutputDirectory) : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(planPath)!, "DrillReports");
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var results = new List<DrillTestResult>();
            var grades = new List<DrillTargetGrade>();
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                WriteProgress(new ProgressRecord(1, "Drill plan " + name, $"{entry.Plan.Test} ({i + 1} of {entries.Count})") { PercentComplete = i * 100 / entries.Count });
                foreach (var result in RunOne(entry, defaults))
                {
                    results.Add(result);
                    grades.AddRange(DrillTargets.Grade(result, entry.Plan, tier));
                }
            }
            WriteProgress(new ProgressRecord(1, "Drill plan " + name, "Finished") { RecordType = ProgressRecordType.Completed });
            var plan = DrillTargets.Summarize(name, started, clock.Elapsed, results, grades);
            // A -WhatIf run writes nothing, reports included.
            if (!IsWhatIf) plan.Reports = DrillReports.Write(plan, reports);
            WriteObject(plan);
        }

        /// <summary>The plan's name, tier, shared parameters and drills; anything malformed is refused before a drill runs.</summary>
        private (string Name, int Tier, Hashtable Defaults, List<Entry> Entries) Load(string planPath)
        {
            Hashtable data;
            try
            {
                data = InvokeCommand.InvokeScript("param($p) Import-PowerShellDataFile -LiteralPath $p", false, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, planPath)
                    .Select(o => o.BaseObject).OfType<Hashtable>().FirstOrDefault() ?? throw Invalid("is empty.");
            }
            catch (RuntimeException ex)
            {
                ThrowTerminatingError(ToErrorRecord(Invalid("cannot be read: " + ex.Message)));
                throw;
            }
            try
            {
                var name = data["Name"] as string ?? System.IO.Path.GetFileNameWithoutExtension(planPath);
                var tier = data["Tier"] == null ? DrillTargets.DefaultTier : Convert.ToInt32(data["Tier"], CultureInfo.InvariantCulture);
                DrillTargets.RequireTier(tier);
                var defaults = data["Parameters"] as Hashtable ?? new Hashtable();
                var tests = (data["Tests"] as object[] ?? (data["Tests"] is Hashtable single ? new object[] { single } : null)) ?? throw Invalid("has no Tests.");
                var entries = new List<Entry>();
                foreach (var item in tests)
                {
                    if (!(item is Hashtable t)) throw Invalid("has a Tests entry that is not a hashtable.");
                    var test = t["Test"] as string ?? throw Invalid("has a Tests entry without Test.");
                    var known = Tests.FirstOrDefault(k => string.Equals(k, test, StringComparison.OrdinalIgnoreCase))
                        ?? throw Invalid($"names '{test}', which is not a drill ({string.Join(", ", Tests)}).");
                    var entryTier = t["Tier"] == null ? (int?)null : Convert.ToInt32(t["Tier"], CultureInfo.InvariantCulture);
                    if (entryTier is int et) DrillTargets.RequireTier(et);
                    entries.Add(new Entry
                    {
                        Plan = new DrillPlanEntry { Test = known, Tier = entryTier, Rto = Time(t["Rto"], test, "Rto"), Rpo = Time(t["Rpo"], test, "Rpo") },
                        Parameters = t["Parameters"] as Hashtable ?? new Hashtable(),
                    });
                }
                if (entries.Count == 0) throw Invalid("has no Tests.");
                return (name, tier, defaults, entries);
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
                throw;
            }
        }

        private TimeSpan? Time(object? value, string test, string key) => value switch
        {
            null => null,
            TimeSpan t => t,
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t) && t >= TimeSpan.Zero => t,
            _ => throw Invalid($"gives {test} the {key} '{value}', which is not a duration such as '01:00:00'."),
        };

        /// <summary>Runs one drill cmdlet in this session with its parameters: the plan's entry over the plan's shared ones
        /// over -Parameter, each only when the cmdlet declares it. Its errors are passed on; a drill that could not start
        /// becomes a failed result, so the plan still reports it.</summary>
        private IEnumerable<DrillTestResult> RunOne(Entry entry, Hashtable defaults)
        {
            var command = InvokeCommand.GetCmdlet(entry.Plan.Test);
            var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var source in new[] { Parameter ?? new Hashtable(), defaults, entry.Parameters })
                foreach (DictionaryEntry p in source)
                    if (command.Parameters.ContainsKey(p.Key.ToString()!)) parameters[p.Key.ToString()!] = p.Value;
            foreach (DictionaryEntry p in entry.Parameters)
                if (!command.Parameters.ContainsKey(p.Key.ToString()!))
                    WriteWarning($"{entry.Plan.Test} has no parameter -{p.Key}; the plan's value is not used.");
            if (StateDirectory != null) parameters["StateDirectory"] = ResolvePath(StateDirectory);
            if (IsWhatIf) parameters["WhatIf"] = true;
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand(command).AddParameters(parameters);
            Collection<PSObject>? output = null;
            string? failure = null;
            try
            {
                output = ps.Invoke();
            }
            catch (RuntimeException ex)
            {
                failure = ex.Message;
                WriteError(new ErrorRecord(ex.ErrorRecord, ex));
            }
            foreach (var error in ps.Streams.Error) WriteError(error);
            var results = (output ?? new Collection<PSObject>()).Select(o => o.BaseObject).OfType<DrillTestResult>().ToList();
            if (results.Count == 0)
                results.Add(new DrillTestResult
                {
                    Test = entry.Plan.Test,
                    Target = string.Join(" ", entry.Parameters.Values.Cast<object?>().Take(1).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))),
                    Status = DrillStatus.Fail,
                    Checks = new[] { new DrillCheck { Name = "start", Status = DrillStatus.Fail, Detail = "The drill did not run: " + (failure ?? ps.Streams.Error.FirstOrDefault()?.ToString() ?? "it returned no result.") } },
                    CleanedUp = true,
                    StartedAt = DateTimeOffset.UtcNow,
                });
            return results;
        }
    }
}
