using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>
    /// Test-SqlBackupFile's runbook against the TDS server over TLS: each App Service backup verified, restored under a
    /// scratch drill name with its files relocated, CHECKDB, the verify query, and the scratch copy dropped whatever
    /// happened; production databases and files are never touched.
    /// </summary>
    public sealed class SqlBackupDrillTests : IDisposable
    {
        private const string Hosting = "appservice_hosting";
        private const string Metering = "appservice_metering";
        private const string Query = "SELECT COUNT(*) FROM dbo.Sites";
        private readonly SimServerFixture _f = new SimServerFixture();
        private readonly TempDirectory _backups = new TempDirectory();
        private readonly TempDirectory _state = new TempDirectory();

        public SqlBackupDrillTests()
        {
            // Production is there and in use: the drill must leave it as it is.
            _f.Server.Catalog.AddDatabase(new SimDatabase(Hosting, new SimFile(Hosting, @"D:\SqlData\appservice_hosting.mdf", 'D'), new SimFile(Hosting + "_log", @"L:\SqlLogs\appservice_hosting_log.ldf", 'L')) { OtherSessions = 3 });
        }

        public void Dispose()
        {
            _f.Dispose();
            _backups.Dispose();
            _state.Dispose();
        }

        private SimBackup Backup(string database, TimeSpan age, int sites = 12)
        {
            var path = _backups.Combine(database + "_full.bak");
            File.WriteAllText(path, "backup of " + database);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
            var backup = _f.Server.Catalog.AddBackup(SimBackup.Typical(path, database, @"D:\SqlData"));
            backup.Content.Answer(Query, new TdsColumn("", TdsColumnType.Int), sites);
            return backup;
        }

        private SqlBackupDrillRequest Request(string? expected = null) => new SqlBackupDrillRequest
        {
            Server = _f.Connection(),
            BackupPath = _backups.Path,
            VerifyQuery = Query,
            ExpectedResult = expected,
        };

        private RunContext Context(bool whatIf = false, RecordingHost? host = null) => new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf });

        private async Task<RunReport> RunAsync(SqlBackupDrillRequest request, bool whatIf = false, RecordingHost? host = null) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlBackupDrillRunbook(), request, Context(whatIf, host)));

        private string[] Drills() => _f.Server.Catalog.Databases.Select(d => d.Name).Where(Drill.IsSqlServerDrillName).ToArray();

        [Fact]
        public async Task Both_backups_are_verified_restored_under_scratch_names_checked_queried_and_dropped()
        {
            Backup(Hosting, TimeSpan.FromHours(5));
            Backup(Metering, TimeSpan.FromHours(2));

            var report = await RunAsync(Request(expected: "12"));

            var results = Outcomes.Of<DrillTestResult>(report);
            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", results.SelectMany(r => r.Checks)));
            Assert.Equal(new[] { Hosting, Metering }, results.Select(r => r.Target.Split('/').Last()));
            Assert.All(results, r =>
            {
                Assert.Equal(DrillStatus.Pass, r.Status);
                Assert.True(r.CleanedUp);
                Assert.Matches("_drill_[0-9]{14}$", r.DrillName);
                Assert.NotNull(r.Rto);
                Assert.Equal(new[] { "backup verifies", "backup age", "restore", "CHECKDB", DrillQuery.CheckName, "cleanup" }, r.Checks.Select(c => c.Name));
            });
            Assert.InRange(results[0].Rpo!.Value, TimeSpan.FromHours(5) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(5) + TimeSpan.FromMinutes(5));
            Assert.InRange(results[1].Rpo!.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5));
            Assert.Empty(Drills());
            // Production untouched: still there with its own files and its sessions; the copy's files were relocated.
            var production = _f.Server.Catalog.FindDatabase(Hosting)!;
            Assert.Equal(3, production.OtherSessions);
            Assert.Equal(@"D:\SqlData\appservice_hosting.mdf", production.Files[0].PhysicalName);
            var restore = _f.StatementsStartingWith("RESTORE DATABASE").First(s => (s.Parameter("@database") as string)!.StartsWith(Hosting + "_drill_", StringComparison.Ordinal));
            Assert.Contains(restore.Parameters, p => (p.Value as string ?? "").StartsWith(@"D:\SqlData\appservice_hosting_drill_", StringComparison.Ordinal));
            Assert.DoesNotContain(_f.Server.Statements, s => s.Text.Contains("[" + Hosting + "]", StringComparison.Ordinal) || Equals(s.Parameter("@database"), Hosting) && s.Text.StartsWith("RESTORE DATABASE", StringComparison.Ordinal));
            Assert.All(_f.Server.Sessions, s => Assert.Equal(SessionEncryption.Session, s.Encryption));
        }

        [Fact]
        public async Task A_backup_that_fails_to_restore_fails_its_drill_and_leaves_no_scratch_database()
        {
            Backup(Hosting, TimeSpan.FromHours(1)).FailAtPercent = 40;
            Backup(Metering, TimeSpan.FromHours(1));

            var report = await RunAsync(Request());

            var results = Outcomes.Of<DrillTestResult>(report);
            Assert.Equal(RunStatus.Failed, report.Status);
            var hosting = results.Single(r => r.Target.EndsWith(Hosting, StringComparison.Ordinal));
            Assert.Equal(DrillStatus.Fail, hosting.Status);
            Assert.Equal(DrillStatus.Fail, hosting.Checks.Single(c => c.Name == "restore").Status);
            Assert.Contains(hosting.Checks, c => c.Name == "query:" + Hosting && c.Status == DrillStatus.Skipped);
            Assert.True(hosting.CleanedUp);
            Assert.Equal(DrillStatus.Pass, results.Single(r => r.Target.EndsWith(Metering, StringComparison.Ordinal)).Status);
            Assert.Empty(Drills());
        }

        [Fact]
        public async Task A_copy_whose_query_does_not_match_fails_and_is_dropped_all_the_same()
        {
            Backup(Hosting, TimeSpan.FromHours(1), sites: 0);
            Backup(Metering, TimeSpan.FromHours(1));

            var report = await RunAsync(Request());

            var hosting = Outcomes.Of<DrillTestResult>(report).Single(r => r.Target.EndsWith(Hosting, StringComparison.Ordinal));
            Assert.Equal(DrillStatus.Fail, hosting.Status);
            Assert.Equal("VerifyQueryMismatch", report.Steps.Single(s => s.StepId == "query:" + Hosting).ErrorId);
            Assert.True(hosting.CleanedUp);
            Assert.Empty(Drills());
        }

        [Fact]
        public async Task CHECKDB_errors_fail_the_drill()
        {
            Backup(Hosting, TimeSpan.FromHours(1)).ConsistencyErrors = 2;
            Backup(Metering, TimeSpan.FromHours(1));

            var report = await RunAsync(Request());

            var hosting = Outcomes.Of<DrillTestResult>(report).Single(r => r.Target.EndsWith(Hosting, StringComparison.Ordinal));
            Assert.Equal(DrillStatus.Fail, hosting.Checks.Single(c => c.Name == "CHECKDB").Status);
            Assert.Empty(Drills());
        }

        [Fact]
        public async Task WhatIf_reads_and_verifies_but_restores_and_drops_nothing()
        {
            Backup(Hosting, TimeSpan.FromHours(1));
            Backup(Metering, TimeSpan.FromHours(1));
            var host = new RecordingHost();

            var report = await RunAsync(Request(), whatIf: true, host: host);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.DoesNotContain(_f.Server.Statements, s => s.Text.StartsWith("RESTORE DATABASE", StringComparison.Ordinal) || s.Text.StartsWith("DROP", StringComparison.Ordinal) || s.Text.StartsWith("ALTER", StringComparison.Ordinal) || s.Text.StartsWith("DBCC", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.Contains("Drop drill database " + Hosting + "_drill_", StringComparison.Ordinal));
            Assert.Empty(Directory.GetFiles(_state.Path, "*", SearchOption.AllDirectories));
        }
    }
}
