using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>Measured times held against seed 004's tier targets or the plan's own, and the reports a plan writes.</summary>
    public sealed class DrillGradingTests
    {
        private static DrillTestResult Result(string test, TimeSpan? rto, TimeSpan? rpo, DrillStatus status = DrillStatus.Pass) => new DrillTestResult
        {
            Test = test, Target = "t", Status = status, Rto = rto, Rpo = rpo, RunId = "20260101-000000-abcd", CleanedUp = true,
            Checks = new[] { new DrillCheck { Name = "c", Status = status, Detail = "seen" } },
        };

        private static DrillTargetGrade Grade(DrillTestResult r, string measure, int tier = 2, TimeSpan? rto = null, TimeSpan? rpo = null) =>
            DrillTargets.Grade(r, new DrillPlanEntry { Test = r.Test, Rto = rto, Rpo = rpo }, tier).Single(g => g.Measure == measure);

        [Theory]
        [InlineData(30, 2, DrillStatus.Pass)]
        [InlineData(90, 2, DrillStatus.Warn)]
        [InlineData(150, 2, DrillStatus.Fail)]
        [InlineData(10, 3, DrillStatus.Pass)]
        [InlineData(20, 3, DrillStatus.Warn)]
        [InlineData(45, 3, DrillStatus.Fail)]
        public void The_recovery_time_is_graded_against_the_tier_range(int minutes, int tier, DrillStatus expected)
        {
            var grade = Grade(Result(SqlPointInTimeDrillRunbook.CommandName, TimeSpan.FromMinutes(minutes), TimeSpan.Zero), "RTO", tier);
            Assert.Equal(expected, grade.Status);
            Assert.StartsWith("seed 004 tier " + tier, grade.Source, StringComparison.Ordinal);
        }

        [Fact]
        public void Tier_2_holds_sql_to_5_minutes_and_geo_redundant_storage_to_none_and_a_plan_target_replaces_them()
        {
            Assert.Equal(DrillStatus.Fail, Grade(Result(SqlPointInTimeDrillRunbook.CommandName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(6)), "RPO").Status);
            Assert.Equal(TimeSpan.Zero, Grade(Result(StorageReadinessDrillRunbook.CommandName, null, TimeSpan.FromSeconds(30)), "RPO").Goal);
            var planned = Grade(Result(StorageReadinessDrillRunbook.CommandName, null, TimeSpan.FromSeconds(30)), "RPO", rpo: TimeSpan.FromMinutes(15));
            Assert.Equal(DrillStatus.Pass, planned.Status);
            Assert.Equal("plan", planned.Source);
            Assert.Empty(DrillTargets.Grade(Result(KeyVaultDrillRunbook.CommandName, null, null), new DrillPlanEntry { Test = KeyVaultDrillRunbook.CommandName }, 2));
        }

        [Fact]
        public void An_unmeasured_time_fails_and_a_drill_that_did_not_run_is_skipped()
        {
            Assert.Equal(DrillStatus.Fail, Grade(Result(ArmTemplateDrillRunbook.CommandName, null, null), "RTO").Status);
            var whatIf = Result(ArmTemplateDrillRunbook.CommandName, null, null, DrillStatus.Skipped);
            whatIf.RunId = null;
            Assert.Equal(DrillStatus.Skipped, Grade(whatIf, "RTO").Status);
        }

        [Fact]
        public void The_reports_count_a_missed_target_and_a_leftover_as_failures()
        {
            var ok = Result(StorageReadinessDrillRunbook.CommandName, null, TimeSpan.FromSeconds(10));
            var missed = Result(SqlPointInTimeDrillRunbook.CommandName, TimeSpan.FromHours(3), TimeSpan.FromMinutes(1));
            missed.CleanedUp = false;
            missed.Leftovers = new[] { "db-drill-1" };
            var grades = new[] { ok, missed }.SelectMany(r => DrillTargets.Grade(r, new DrillPlanEntry { Test = r.Test, Rpo = TimeSpan.FromMinutes(15) }, 2)).ToList();
            var plan = DrillTargets.Summarize("p", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1), new[] { ok, missed }, grades);

            Assert.Equal(DrillStatus.Fail, plan.Status);
            using var dir = new TempDirectory();
            var paths = DrillReports.Write(plan, dir.Path);
            Assert.Equal(4, paths.Count);
            var junit = XDocument.Load(paths.Single(p => p.EndsWith(".junit.xml", StringComparison.Ordinal)));
            Assert.Equal("2", junit.Root!.Attribute("failures")!.Value);
            var nunit = XDocument.Load(paths.Single(p => p.EndsWith(".nunit.xml", StringComparison.Ordinal)));
            Assert.Equal("test-results", nunit.Root!.Name.LocalName);
            Assert.Equal("2", nunit.Root.Attribute("failures")!.Value);
            var markdown = File.ReadAllText(paths.Single(p => p.EndsWith(".md", StringComparison.Ordinal)));
            Assert.Contains("left behind: db-drill-1", markdown);
        }
    }
}
