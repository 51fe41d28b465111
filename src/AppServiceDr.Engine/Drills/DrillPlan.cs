using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>One entry of a drill plan as the engine grades it: which test, and the targets it declares (null: the tier's).</summary>
    public sealed class DrillPlanEntry
    {
        public string Test { get; set; } = "";
        public int? Tier { get; set; }
        public TimeSpan? Rto { get; set; }
        public TimeSpan? Rpo { get; set; }
    }

    /// <summary>
    /// The targets a drill is graded against. Seed 004 declares them per tier: tier 2 (the default deployment) recovers
    /// in 1–2 hours and loses at most 5 minutes of SQL data and none of geo-redundant storage; tier 3 (geo-replication,
    /// failover group, Traffic Manager) recovers in 15–30 minutes with a near-zero loss, read here as 1 minute. The lower
    /// end of a recovery-time range is where a Warn starts, the upper end where a Fail does. A target the plan gives
    /// replaces the tier's and has no warning band.
    /// </summary>
    public static class DrillTargets
    {
        public const int DefaultTier = 2;

        /// <summary>The tests that measure a recovery time, and those that measure a recovery point.</summary>
        private static readonly string[] MeasuresRto = { SqlPointInTimeDrillRunbook.CommandName, SqlBackupDrillRunbook.CommandName, ArmTemplateDrillRunbook.CommandName };
        private static readonly string[] MeasuresRpo = { SqlPointInTimeDrillRunbook.CommandName, SqlBackupDrillRunbook.CommandName, StorageReadinessDrillRunbook.CommandName, FileShareDrillRunbook.CommandName };
        private static readonly string[] Sql = { SqlPointInTimeDrillRunbook.CommandName, SqlBackupDrillRunbook.CommandName };

        public static void RequireTier(int tier)
        {
            if (tier != 2 && tier != 3)
                throw DrException.Precondition("DrillTierInvalid", DrErrorCategory.InvalidArgument, $"Tier {tier} is not one of seed 004's tiers (2 or 3).", tier);
        }

        /// <summary>(warn from, fail beyond, where it comes from) for a test's RTO, or null when the test measures none.</summary>
        public static (TimeSpan? Warn, TimeSpan Goal, string Source)? Rto(DrillPlanEntry entry, int planTier)
        {
            if (!MeasuresRto.Contains(entry.Test, StringComparer.OrdinalIgnoreCase)) return null;
            if (entry.Rto is { } given) return (null, given, "plan");
            var tier = entry.Tier ?? planTier;
            return tier == 3 ? (TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), "seed 004 tier 3") : (TimeSpan.FromHours(1), TimeSpan.FromHours(2), "seed 004 tier 2");
        }

        /// <summary>The RPO goal for a test, or null when it measures none or its tier declares none for it.</summary>
        public static (TimeSpan Goal, string Source)? Rpo(DrillPlanEntry entry, int planTier)
        {
            if (!MeasuresRpo.Contains(entry.Test, StringComparer.OrdinalIgnoreCase)) return null;
            if (entry.Rpo is { } given) return (given, "plan");
            var tier = entry.Tier ?? planTier;
            if (tier == 3) return (TimeSpan.FromMinutes(1), "seed 004 tier 3");
            if (Sql.Contains(entry.Test, StringComparer.OrdinalIgnoreCase)) return (TimeSpan.FromMinutes(5), "seed 004 tier 2 (SQL)");
            if (string.Equals(entry.Test, StorageReadinessDrillRunbook.CommandName, StringComparison.OrdinalIgnoreCase)) return (TimeSpan.Zero, "seed 004 tier 2 (GRS storage)");
            return null;
        }

        /// <summary>Every grade of one drill result against its entry's targets.</summary>
        public static IEnumerable<DrillTargetGrade> Grade(DrillTestResult result, DrillPlanEntry entry, int planTier)
        {
            var ran = result.Status != DrillStatus.Skipped && result.RunId != null;
            if (Rto(entry, planTier) is { } rto)
                yield return Grade(result, "RTO", result.Rto, rto.Warn, rto.Goal, rto.Source, ran);
            if (Rpo(entry, planTier) is { } rpo)
                yield return Grade(result, "RPO", result.Rpo, null, rpo.Goal, rpo.Source, ran);
        }

        private static DrillTargetGrade Grade(DrillTestResult result, string measure, TimeSpan? measured, TimeSpan? warn, TimeSpan goal, string source, bool ran) => new DrillTargetGrade
        {
            Test = result.Test,
            Target = result.Target,
            Measure = measure,
            Measured = measured,
            Goal = goal,
            Source = source,
            Status = !ran ? DrillStatus.Skipped
                : measured is not { } m ? DrillStatus.Fail
                : m > goal ? DrillStatus.Fail
                : warn is { } w && m > w ? DrillStatus.Warn
                : DrillStatus.Pass,
        };

        /// <summary>The plan's result: its drills and grades, counted, with the worst status of all.</summary>
        public static DrillPlanResult Summarize(string plan, DateTimeOffset started, TimeSpan duration, IReadOnlyList<DrillTestResult> results, IReadOnlyList<DrillTargetGrade> grades)
        {
            var statuses = results.Select(r => r.Status).Concat(grades.Select(g => g.Status)).ToList();
            return new DrillPlanResult
            {
                Plan = plan,
                StartedAt = started,
                Duration = duration,
                Results = results,
                Grades = grades,
                Status = Drill.Worst(statuses.Concat(results.Where(r => !r.CleanedUp).Select(_ => DrillStatus.Fail))),
                Passed = results.Count(r => r.Status == DrillStatus.Pass),
                Warned = results.Count(r => r.Status == DrillStatus.Warn),
                Failed = results.Count(r => r.Status == DrillStatus.Fail),
            };
        }
    }

    /// <summary>
    /// A drill plan's reports: Markdown for people, JSON for scripts, JUnit and NUnit XML for CI and test dashboards.
    /// Each drill is a test suite; each of its checks and each graded target is a test case (a Warn passes with its
    /// note, a Skipped is skipped, a Fail fails). Nothing a drill reports carries a secret value.
    /// </summary>
    public static class DrillReports
    {
        private static readonly JsonSerializerOptions Json = new JsonSerializerOptions
        {
            WriteIndented = true,
            Converters = { new JsonStringEnumConverter() },
        };

        /// <summary>Writes the four reports into <paramref name="directory"/> (created when missing) and returns their paths.</summary>
        public static IReadOnlyList<string> Write(DrillPlanResult plan, string directory)
        {
            Directory.CreateDirectory(directory);
            var stem = "drill-" + plan.StartedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var paths = new[] { stem + ".md", stem + ".json", stem + ".junit.xml", stem + ".nunit.xml" }.Select(f => Path.Combine(directory, f)).ToList();
            File.WriteAllText(paths[0], Markdown(plan), new UTF8Encoding(false));
            File.WriteAllText(paths[1], JsonSerializer.Serialize(plan, Json), new UTF8Encoding(false));
            JUnit(plan).Save(paths[2]);
            NUnit(plan).Save(paths[3]);
            return paths;
        }

        private static string D(TimeSpan? t) => t == null ? "–" : DurationText.Format(t);

        private static string Cell(string? text) => (text ?? "").Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

        public static string Markdown(DrillPlanResult plan)
        {
            var b = new StringBuilder();
            b.Append("# Drill: ").Append(plan.Plan).Append("\n\n");
            b.Append("- Status: **").Append(plan.Status).Append("** (").Append(plan.Passed).Append(" passed, ").Append(plan.Warned).Append(" warned, ").Append(plan.Failed).Append(" failed)\n");
            b.Append("- Started: ").Append(plan.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append(", took ").Append(D(plan.Duration)).Append("\n\n");
            b.Append("## Targets\n\n| Test | Target | Measure | Measured | Goal | Status | Goal from |\n| --- | --- | --- | ---: | ---: | --- | --- |\n");
            foreach (var g in plan.Grades)
                b.Append("| ").Append(g.Test).Append(" | ").Append(Cell(g.Target)).Append(" | ").Append(g.Measure).Append(" | ").Append(D(g.Measured)).Append(" | ").Append(D(g.Goal))
                 .Append(" | ").Append(g.Status).Append(" | ").Append(g.Source).Append(" |\n");
            foreach (var r in plan.Results)
            {
                b.Append("\n## ").Append(r.Test).Append(": ").Append(Cell(r.Target)).Append("\n\n");
                b.Append("Status **").Append(r.Status).Append("**, RTO ").Append(D(r.Rto)).Append(", RPO ").Append(D(r.Rpo)).Append(", took ").Append(D(r.Duration));
                if (r.RunId != null) b.Append(", run `").Append(r.RunId).Append('`');
                b.Append(r.CleanedUp ? ", nothing left behind.\n\n" : ", **left behind: " + Cell(string.Join(", ", r.Leftovers)) + "**.\n\n");
                b.Append("| Check | Status | Detail |\n| --- | --- | --- |\n");
                foreach (var c in r.Checks) b.Append("| ").Append(Cell(c.Name)).Append(" | ").Append(c.Status).Append(" | ").Append(Cell(c.Detail)).Append(" |\n");
                b.Append("\n| Step | Outcome | Duration |\n| --- | --- | ---: |\n");
                foreach (var s in r.Steps) b.Append("| ").Append(Cell(s.Step)).Append(" | ").Append(s.Outcome).Append(" | ").Append(D(s.Duration)).Append(" |\n");
            }
            return b.ToString();
        }

        /// <summary>A test case per check and per grade, by drill.</summary>
        private static IEnumerable<(DrillTestResult Result, string Name, DrillStatus Status, string Detail)> Cases(DrillPlanResult plan, DrillTestResult result)
        {
            foreach (var c in result.Checks) yield return (result, c.Name, c.Status, c.Detail);
            foreach (var g in plan.Grades.Where(g => g.Test == result.Test && g.Target == result.Target))
                yield return (result, g.Measure + " target", g.Status, $"{g.Measure} {D(g.Measured)} against {D(g.Goal)} ({g.Source}).");
            if (!result.CleanedUp)
                yield return (result, "left nothing behind", DrillStatus.Fail, "Left behind: " + string.Join(", ", result.Leftovers) + ".");
        }

        private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

        public static XDocument JUnit(DrillPlanResult plan)
        {
            var suites = new XElement("testsuites", new XAttribute("name", plan.Plan), new XAttribute("time", Seconds(plan.Duration)));
            int total = 0, failures = 0;
            foreach (var r in plan.Results)
            {
                var cases = Cases(plan, r).ToList();
                var suite = new XElement("testsuite",
                    new XAttribute("name", r.Test + " " + r.Target),
                    new XAttribute("tests", cases.Count),
                    new XAttribute("failures", cases.Count(c => c.Status == DrillStatus.Fail)),
                    new XAttribute("skipped", cases.Count(c => c.Status == DrillStatus.Skipped)),
                    new XAttribute("errors", 0),
                    new XAttribute("time", Seconds(r.Duration)),
                    new XAttribute("timestamp", r.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)));
                foreach (var c in cases)
                {
                    var test = new XElement("testcase", new XAttribute("classname", r.Test), new XAttribute("name", r.Target + ": " + c.Name));
                    if (c.Status == DrillStatus.Fail) test.Add(new XElement("failure", new XAttribute("message", c.Detail), c.Detail));
                    else if (c.Status == DrillStatus.Skipped) test.Add(new XElement("skipped", new XAttribute("message", c.Detail)));
                    else test.Add(new XElement("system-out", c.Status + ": " + c.Detail));
                    suite.Add(test);
                }
                total += cases.Count;
                failures += cases.Count(c => c.Status == DrillStatus.Fail);
                suites.Add(suite);
            }
            suites.Add(new XAttribute("tests", total), new XAttribute("failures", failures));
            return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
        }

        /// <summary>NUnit 2.5's results format, the one Pester writes and CI systems read.</summary>
        public static XDocument NUnit(DrillPlanResult plan)
        {
            var all = plan.Results.SelectMany(r => Cases(plan, r)).ToList();
            var started = plan.StartedAt.UtcDateTime;
            var suites = new XElement("results");
            foreach (var r in plan.Results)
            {
                var cases = Cases(plan, r).ToList();
                var results = new XElement("results");
                foreach (var c in cases)
                {
                    var test = new XElement("test-case",
                        new XAttribute("name", r.Test + "." + r.Target + ": " + c.Name),
                        new XAttribute("executed", c.Status == DrillStatus.Skipped ? "False" : "True"),
                        new XAttribute("result", c.Status == DrillStatus.Fail ? "Failure" : c.Status == DrillStatus.Skipped ? "Ignored" : "Success"),
                        new XAttribute("success", c.Status == DrillStatus.Fail ? "False" : "True"),
                        new XAttribute("asserts", 0));
                    if (c.Status == DrillStatus.Fail) test.Add(new XElement("failure", new XElement("message", c.Detail)));
                    else if (c.Status == DrillStatus.Skipped) test.Add(new XElement("reason", new XElement("message", c.Detail)));
                    results.Add(test);
                }
                var failed = cases.Any(c => c.Status == DrillStatus.Fail);
                suites.Add(new XElement("test-suite",
                    new XAttribute("type", "TestFixture"),
                    new XAttribute("name", r.Test + " " + r.Target),
                    new XAttribute("executed", "True"),
                    new XAttribute("result", failed ? "Failure" : "Success"),
                    new XAttribute("success", failed ? "False" : "True"),
                    new XAttribute("time", Seconds(r.Duration)),
                    new XAttribute("asserts", 0),
                    results));
            }
            var anyFailed = all.Any(c => c.Status == DrillStatus.Fail);
            var root = new XElement("test-results",
                new XAttribute("name", plan.Plan),
                new XAttribute("total", all.Count),
                new XAttribute("errors", 0),
                new XAttribute("failures", all.Count(c => c.Status == DrillStatus.Fail)),
                new XAttribute("not-run", all.Count(c => c.Status == DrillStatus.Skipped)),
                new XAttribute("inconclusive", 0),
                new XAttribute("ignored", all.Count(c => c.Status == DrillStatus.Skipped)),
                new XAttribute("skipped", 0),
                new XAttribute("invalid", 0),
                new XAttribute("date", started.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                new XAttribute("time", started.ToString("HH:mm:ss", CultureInfo.InvariantCulture)),
                new XElement("environment", new XAttribute("nunit-version", "2.5.8.0"), new XAttribute("platform", Environment.OSVersion.Platform.ToString()), new XAttribute("cwd", Environment.CurrentDirectory),
                    new XAttribute("machine-name", Environment.MachineName), new XAttribute("user", Environment.UserName), new XAttribute("user-domain", Environment.UserDomainName),
                    new XAttribute("os-version", Environment.OSVersion.Version.ToString()), new XAttribute("clr-version", Environment.Version.ToString())),
                new XElement("culture-info", new XAttribute("current-culture", CultureInfo.CurrentCulture.Name), new XAttribute("current-uiculture", CultureInfo.CurrentUICulture.Name)),
                new XElement("test-suite",
                    new XAttribute("type", "TestFixture"), new XAttribute("name", plan.Plan), new XAttribute("executed", "True"),
                    new XAttribute("result", anyFailed ? "Failure" : "Success"), new XAttribute("success", anyFailed ? "False" : "True"),
                    new XAttribute("time", Seconds(plan.Duration)), new XAttribute("asserts", 0), suites));
            return new XDocument(new XDeclaration("1.0", "utf-8", "no"), root);
        }
    }

    /// <summary>
    /// The measured times of every drill the state directory holds, by test and target, oldest first: what "update the
    /// estimates" needs. Read from the run journals, so every drill counts, whether run alone or by a plan.
    /// </summary>
    public static class DrillHistory
    {
        private static readonly string[] Commands =
        {
            SqlPointInTimeDrillRunbook.CommandName, SqlBackupDrillRunbook.CommandName, KeyVaultDrillRunbook.CommandName,
            ArmTemplateDrillRunbook.CommandName, StorageReadinessDrillRunbook.CommandName, FileShareDrillRunbook.CommandName,
        };

        public static IReadOnlyList<DrillHistoryEntry> Read(Runbooks.RunStore store, Func<string, bool>? testFilter = null, Func<string, bool>? targetFilter = null, DateTimeOffset? since = null)
        {
            var results = new List<DrillTestResult>();
            foreach (var report in store.List())
            {
                var runbook = Runbooks.RunbookCatalog.Find(report.Runbook);
                if (runbook == null || !Commands.Contains(runbook.Command, StringComparer.OrdinalIgnoreCase)) continue;
                if (since is { } s && report.StartedAt < s) continue;
                if (report.Status == RunStatus.Running) continue;
                try
                {
                    results.AddRange(runbook.ResultsOf(store.Load(report.RunId), report).OfType<DrillTestResult>());
                }
                catch (Exception ex) when (ex is DrException || ex is JsonException || ex is NotSupportedException)
                {
                    // A journal of another format or version is reported by Get-DrRun; it is left out here.
                }
            }
            return results
                .Where(r => testFilter == null || testFilter(r.Test))
                .Where(r => targetFilter == null || targetFilter(r.Target))
                .GroupBy(r => (r.Test, r.Target))
                .Select(g => Entry(g.OrderBy(r => r.StartedAt).ToList()))
                .OrderBy(e => e.Test, StringComparer.Ordinal).ThenBy(e => e.Target, StringComparer.Ordinal)
                .ToList();
        }

        private static DrillHistoryEntry Entry(List<DrillTestResult> runs)
        {
            var last = runs[runs.Count - 1];
            var rtos = runs.Where(r => r.Rto != null).Select(r => r.Rto!.Value).ToList();
            var rpos = runs.Where(r => r.Rpo != null).Select(r => r.Rpo!.Value).ToList();
            var before = runs.Take(runs.Count - 1).Where(r => r.Rto != null).Select(r => r.Rto!.Value).ToList();
            return new DrillHistoryEntry
            {
                Test = last.Test,
                Target = last.Target,
                Runs = runs.Count,
                FirstRun = runs[0].StartedAt,
                LastRun = last.StartedAt,
                LastStatus = last.Status,
                LastRto = last.Rto,
                MedianRto = Median(rtos),
                MaxRto = rtos.Count == 0 ? (TimeSpan?)null : rtos.Max(),
                LastRpo = last.Rpo,
                MedianRpo = Median(rpos),
                MaxRpo = rpos.Count == 0 ? (TimeSpan?)null : rpos.Max(),
                RtoTrend = Trend(last.Rto, Median(before)),
                History = runs,
            };
        }

        /// <summary>Faster or Slower when the last time is more than a tenth away from the median before it, else Steady.</summary>
        private static string Trend(TimeSpan? last, TimeSpan? median)
        {
            if (last is not { } l) return "";
            if (median is not { } m) return "New";
            if (l.Ticks < m.Ticks * 0.9) return "Faster";
            if (l.Ticks > m.Ticks * 1.1) return "Slower";
            return "Steady";
        }

        private static TimeSpan? Median(List<TimeSpan> values)
        {
            if (values.Count == 0) return null;
            var sorted = values.OrderBy(v => v).ToList();
            var mid = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[mid] : TimeSpan.FromTicks((sorted[mid - 1].Ticks + sorted[mid].Ticks) / 2);
        }
    }
}
