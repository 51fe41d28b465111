using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>
    /// What every drill shares: the names and tags of the resources a drill creates (so nothing it makes can be taken
    /// for production, and a cleanup finds what a killed drill left), the checks a step publishes, and the one way a
    /// drill's typed result is read from its run's report.
    /// </summary>
    public static class Drill
    {
        /// <summary>The tag every Azure resource a drill creates carries; its value is the drill's name.</summary>
        public const string Tag = "AppServiceDr-Drill";
        /// <summary>The tag naming the cmdlet whose drill created the resource.</summary>
        public const string TestTag = "AppServiceDr-DrillTest";
        /// <summary>What every drill name holds between its prefix and its time stamp.</summary>
        public const string Marker = "drill";

        private static readonly Regex SqlServerDrillName = new Regex(@"_drill_\d{14}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        /// <summary>A drill name: the production name it stands in for, "-drill-" and the UTC time to the second
        /// (Azure resource names take dashes; SQL Server names take "_" so they stay plain identifiers).</summary>
        public static string NewName(string prefix, DateTimeOffset now, char separator = '-') =>
            prefix + separator + Marker + separator + now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

        /// <summary>True for a SQL Server database name made by <see cref="NewName"/> with '_'.</summary>
        public static bool IsSqlServerDrillName(string name) => SqlServerDrillName.IsMatch(name);

        /// <summary>A drill name must say it is one, so it can never be a production name typed by mistake.</summary>
        public static void RequireDrillName(string name, string parameter)
        {
            if (name.IndexOf(Marker, StringComparison.OrdinalIgnoreCase) < 0)
                throw DrException.Precondition("DrillNameNotMarked", DrErrorCategory.InvalidArgument,
                    $"-{parameter} '{name}' does not contain '{Marker}'. A drill only creates resources whose names say they belong to a drill, so they are never taken for production ones.", name);
        }

        /// <summary>Refuses a drill name that an existing resource already has: a drill touches no production name.</summary>
        public static DrException NameTaken(string kind, string name, string where) =>
            DrException.Precondition("DrillNameInUse", DrErrorCategory.ResourceExists,
                $"{kind} '{name}' already exists {where}. A drill never works on an existing resource: choose another drill name, or finish the earlier drill that left it with -Resume <RunId> (Get-DrRun lists the runs).", name);

        /// <summary>The tags a drill's Azure resources carry.</summary>
        internal static void WriteTags(Utf8JsonWriter w, string drillName, string test)
        {
            w.WriteStartObject("tags");
            w.WriteString(Tag, drillName);
            w.WriteString(TestTag, test);
            w.WriteEndObject();
        }

        /// <summary>The drill name an Azure resource's tags carry, or null for a resource that is not a drill's.</summary>
        internal static string? TagOf(JsonElement resource)
        {
            if (resource.ValueKind != JsonValueKind.Object || !resource.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Object) return null;
            foreach (var t in tags.EnumerateObject())
                if (string.Equals(t.Name, Tag, StringComparison.OrdinalIgnoreCase) && t.Value.ValueKind == JsonValueKind.String) return t.Value.GetString();
            return null;
        }

        /// <summary>The worse of two statuses (Pass &lt; Skipped &lt; Warn &lt; Fail).</summary>
        public static DrillStatus Worst(IEnumerable<DrillStatus> statuses) =>
            statuses.DefaultIfEmpty(DrillStatus.Pass).Max();

        public static DrillCheck Pass(string name, string detail, TimeSpan? measured = null, TimeSpan? target = null) =>
            new DrillCheck { Name = name, Status = DrillStatus.Pass, Detail = detail, Measured = measured, Target = target };

        public static DrillCheck Warn(string name, string detail, TimeSpan? measured = null, TimeSpan? target = null) =>
            new DrillCheck { Name = name, Status = DrillStatus.Warn, Detail = detail, Measured = measured, Target = target };

        public static DrillCheck Fail(string name, string detail, TimeSpan? measured = null, TimeSpan? target = null) =>
            new DrillCheck { Name = name, Status = DrillStatus.Fail, Detail = detail, Measured = measured, Target = target };

        /// <summary>A measured time held against a target: Pass within it, Fail beyond it; Pass when there is no target.</summary>
        public static DrillCheck Within(string name, TimeSpan measured, TimeSpan? target, string what)
        {
            var detail = $"{what}: {DurationText.Format(measured)}" + (target is { } t ? $" (target {DurationText.Format(t)})" : "");
            return target is { } goal && measured > goal ? Fail(name, detail, measured, target) : Pass(name, detail, measured, target);
        }

        /// <summary>Reads a drill's result from its run's report: the checks each step published (in step order), a Fail
        /// for each step that failed without publishing, a Skipped for each step that did not run, and the leftovers
        /// the cleanup step reported.</summary>
        internal static DrillTestResult Result(string test, string target, string? drillName, RunReport report, bool createsResources)
        {
            var checks = new List<DrillCheck>();
            var leftovers = new List<string>();
            TimeSpan? rto = null, rpo = null;
            var cleanupRan = false;
            foreach (var step in report.Steps)
            {
                var published = step.Published<DrillStepOutcome>();
                if (published != null)
                {
                    checks.AddRange(published.Checks);
                    if (published.Rto is { } r) rto = rto is { } a && a > r ? a : r;
                    if (published.Rpo is { } p) rpo = rpo is { } b && b > p ? b : p;
                    leftovers.AddRange(published.Leftovers);
                    cleanupRan |= published.Cleanup && (step.Outcome == StepOutcome.Succeeded || step.Outcome == StepOutcome.AlreadyDone);
                }
                var failed = step.Outcome == StepOutcome.Failed || step.Outcome == StepOutcome.Cancelled;
                if (failed && (published == null || !published.Checks.Any(c => c.Status == DrillStatus.Fail)))
                    checks.Add(Fail(step.StepId, step.Error ?? step.Outcome.ToString()));
                else if (published == null && step.Outcome == StepOutcome.Skipped)
                    checks.Add(new DrillCheck { Name = step.StepId, Status = DrillStatus.Skipped, Detail = step.Note ?? "Not run." });
                else if (published == null && step.Outcome != StepOutcome.Succeeded && step.Outcome != StepOutcome.AlreadyDone)
                    checks.Add(new DrillCheck { Name = step.StepId, Status = DrillStatus.Skipped, Detail = "Not finished (" + step.Outcome + "): continue with -Resume." });
            }
            var whatIf = report.Status == RunStatus.WhatIf;
            var cleanedUp = !createsResources || whatIf || (cleanupRan && leftovers.Count == 0);
            return new DrillTestResult
            {
                Test = test,
                Target = target,
                DrillName = drillName,
                Status = Worst(checks.Select(c => c.Status)),
                Checks = checks,
                Rto = rto,
                Rpo = rpo,
                Steps = report.Steps.Select(s => new DrillStepTime { Step = s.StepId, Outcome = s.Outcome, Duration = s.Duration }).ToList(),
                CleanedUp = cleanedUp,
                Leftovers = leftovers.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                StartedAt = report.StartedAt,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                RunId = report.RunIdOrNull(),
            };
        }
    }

    /// <summary>What one step of a drill publishes: its checks, the times it measured, and (for a cleanup step) what it
    /// could not remove.</summary>
    public sealed class DrillStepOutcome
    {
        public List<DrillCheck> Checks { get; set; } = new List<DrillCheck>();
        public TimeSpan? Rto { get; set; }
        public TimeSpan? Rpo { get; set; }
        public bool Cleanup { get; set; }
        public List<string> Leftovers { get; set; } = new List<string>();

        public static DrillStepOutcome Of(params DrillCheck[] checks) => new DrillStepOutcome { Checks = checks.ToList() };
    }
}
