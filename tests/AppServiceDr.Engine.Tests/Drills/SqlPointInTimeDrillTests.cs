using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>
    /// Test-SqlPointInTimeRestore's runbook against the fabric (Resource Manager) and the TDS server (the copy the verify
    /// query runs in): the restore under a drill name with the drill tags, the checks and measured times, and the
    /// cleanup that runs whatever happened before it.
    /// </summary>
    public sealed class SqlPointInTimeDrillTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Drilled = "AppRequestPortal-drill-test";
        private const string Query = "SELECT COUNT(*) FROM dbo.Requests";
        private const string DatabaseToken = "drill-database-token-7a1e";
        private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
        private FabricFixture _fabric = null!;
        private readonly SimSqlServer _tds = new SimSqlServer { Certificate = TestPki.ServerCertificate };
        private readonly TempDirectory _state = new TempDirectory();
        private SimDatabase _copy = null!;
        private DateTimeOffset _newestBackup;

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.DatabaseOnlineMs = 300; o.Timings.OperationMs = 200; });
            _newestBackup = DateTimeOffset.UtcNow.AddMinutes(-3);
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus", fullyQualifiedDomainName: _tds.DataSource);
                SqlProvider.SeedDatabase(s, West, "AppRequestPortal", DateTimeOffset.UtcNow.AddDays(-7), _newestBackup);
            });
            _fabric.Environment.Credential = DrCredential.FromAccessToken(FabricFixture.Token).WithDatabaseAccessToken(TestSecrets.Secure(DatabaseToken));
            _tds.AddAccessToken(DatabaseToken, "drill@contoso.test");
            // What the restored copy holds, as the server the fabric names serves it.
            _copy = _tds.Catalog.AddDatabase(new SimDatabase(Drilled));
            _copy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 42);
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _tds.Dispose();
            _state.Dispose();
        }

        private static SqlPointInTimeDrillRequest Request(string? expected = "42", DateTimeOffset? point = null, string name = Drilled) => new SqlPointInTimeDrillRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseName = "AppRequestPortal",
            DrillDatabaseName = name, PointInTime = point, VerifyQuery = Query, ExpectedResult = expected,
            ServerCertificate = TestPki.ServerCertificateFile, Timeout = TimeSpan.FromSeconds(60),
        };

        private RunContext Context(bool whatIf = false) => new RunContext(new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);

        private async Task<RunReport> RunAsync(SqlPointInTimeDrillRequest request, bool whatIf = false) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlPointInTimeDrillRunbook(), request, Context(whatIf)));

        private bool Exists(string database) => _fabric.Server.Query(s => s.Arm.Find(West + "/databases/" + database) != null);

        private static DrillCheck Check(DrillTestResult result, string name) => result.Checks.Single(c => c.Name == name);

        [Fact]
        public async Task A_drill_restores_a_tagged_copy_to_24_hours_ago_checks_it_measures_rto_and_rpo_and_deletes_it()
        {
            var report = await RunAsync(Request(point: null));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", result.Checks));
            Assert.Equal(new[] { "restore", "verify", "cleanup" }, report.Steps.Select(s => s.StepId));
            Assert.Equal(DrillStatus.Pass, result.Status);
            Assert.Equal("sql-west/AppRequestPortal", result.Target);
            Assert.Equal(Drilled, result.DrillName);
            Assert.True(result.CleanedUp);
            Assert.Empty(result.Leftovers);
            Assert.False(Exists(Drilled));
            Assert.True(Exists("AppRequestPortal"));
            // The copy was created with the drill tags, as of 24 hours before the drill.
            var put = _fabric.Server.Log.Entries.Single(e => e.Method == "PUT" && e.Path.EndsWith("/databases/" + Drilled, StringComparison.Ordinal));
            Assert.Contains("\"" + Drill.Tag + "\":\"" + Drilled + "\"", put.Body);
            Assert.Contains("\"" + Drill.TestTag + "\":\"Test-SqlPointInTimeRestore\"", put.Body);
            var point = ArmText.ParseIso(System.Text.Json.JsonDocument.Parse(put.Body!).RootElement.GetProperty("properties").GetProperty("restorePointInTime").GetString()!);
            Assert.InRange(report.StartedAt - point, TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
            Assert.Equal(DrillStatus.Pass, Check(result, "restore point").Status);
            Assert.Contains("42", Check(result, DrillQuery.CheckName).Detail);
            // RTO: the time until the copy was Online; RPO: the age of the newest backup the service reports.
            Assert.NotNull(result.Rto);
            Assert.True(result.Rto >= TimeSpan.FromMilliseconds(300), result.Rto.ToString());
            Assert.InRange(result.Rpo!.Value, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(10));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("DELETE", "/databases/" + Drilled));
            Assert.Equal(0, _fabric.Server.Log.Entries.Count(e => e.Method != "GET" && e.Path.EndsWith("/databases/AppRequestPortal", StringComparison.Ordinal)));
        }

        [Fact]
        public async Task A_point_older_than_the_backups_reach_is_drilled_at_the_earliest_point_with_a_warning()
        {
            var report = await RunAsync(Request(point: DateTimeOffset.UtcNow.AddDays(-30)));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(DrillStatus.Warn, result.Status);
            Assert.Equal(DrillStatus.Warn, Check(result, "restore point").Status);
            Assert.Contains("earliest point", Check(result, "restore point").Detail);
        }

        [Fact]
        public async Task A_failed_restore_fails_the_drill_and_the_cleanup_still_runs()
        {
            _fabric.Server.Faults.AddOperationFault(new OperationFaultRule { Method = "PUT", PathPattern = "/databases/" + Drilled, Outcome = OperationOutcome.Failed, Code = "RestoreFailed", Message = "The restore failed." });

            var report = await RunAsync(Request());

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Failed, report.Status);
            Assert.Equal(DrillStatus.Fail, result.Status);
            Assert.Equal(StepOutcome.Failed, report.Steps.Single(s => s.StepId == "restore").Outcome);
            Assert.Equal(StepOutcome.Skipped, report.Steps.Single(s => s.StepId == "verify").Outcome);
            var cleanup = report.Steps.Single(s => s.StepId == "cleanup");
            Assert.True(cleanup.Outcome is StepOutcome.AlreadyDone or StepOutcome.Succeeded, cleanup.Outcome + " " + cleanup.Error);
            Assert.Equal(DrillStatus.Pass, Check(result, "cleanup").Status);
            Assert.True(result.CleanedUp);
            Assert.False(Exists(Drilled));
        }

        [Fact]
        public async Task A_verify_query_that_does_not_match_fails_the_drill_and_the_copy_is_still_deleted()
        {
            var report = await RunAsync(Request(expected: "41"));

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Failed, report.Status);
            var verify = report.Steps.Single(s => s.StepId == "verify");
            Assert.Equal("VerifyQueryMismatch", verify.ErrorId);
            var check = Check(result, DrillQuery.CheckName);
            Assert.Equal(DrillStatus.Fail, check.Status);
            Assert.Contains("expected '41'", check.Detail);
            Assert.Equal(StepOutcome.Succeeded, report.Steps.Single(s => s.StepId == "cleanup").Outcome);
            Assert.False(Exists(Drilled));
            Assert.True(result.CleanedUp);
        }

        [Fact]
        public async Task A_delete_the_service_refuses_twice_is_retried_and_the_copy_is_gone()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "DELETE", PathPattern = "/databases/" + Drilled, Kind = FaultKind.InternalError, Count = 2 });

            var report = await RunAsync(Request());

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(3, _fabric.Server.Log.Entries.Count(e => e.Method == "DELETE" && e.Path.EndsWith("/databases/" + Drilled, StringComparison.Ordinal)));
            Assert.False(Exists(Drilled));
            Assert.True(result.CleanedUp);
        }

        [Fact]
        public async Task A_cleanup_that_keeps_failing_is_reported_with_its_leftover_and_resume_removes_it()
        {
            _fabric.Server.Faults.Add(new FaultRule { Method = "DELETE", PathPattern = "/databases/" + Drilled, Kind = FaultKind.InternalError, Count = -1 });

            var report = await RunAsync(Request());

            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.Equal(RunStatus.Failed, report.Status);
            Assert.Equal(DrillStatus.Fail, result.Status);
            Assert.False(result.CleanedUp);
            Assert.Equal(new[] { Drilled }, result.Leftovers);
            var cleanup = Check(result, "cleanup");
            Assert.Equal(DrillStatus.Fail, cleanup.Status);
            Assert.Contains("-Resume " + report.RunId, cleanup.Detail);
            Assert.True(Exists(Drilled));
            // Retried before it was reported: more than one DELETE reached the service.
            Assert.True(_fabric.Server.Log.Entries.Count(e => e.Method == "DELETE" && e.Path.EndsWith("/databases/" + Drilled, StringComparison.Ordinal)) > 1);

            _fabric.Server.Faults.Clear();
            var resumed = await Outcomes.ResumeAsync(new RunStore(_state.Path), report, Context());

            var after = Outcomes.Of<DrillTestResult>(resumed).Single();
            Assert.False(Exists(Drilled));
            Assert.True(after.CleanedUp, string.Join("; ", after.Checks));
            Assert.Empty(after.Leftovers);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/" + Drilled));
        }

        [Fact]
        public async Task WhatIf_plans_the_restore_the_query_and_the_delete_and_changes_nothing()
        {
            var host = new RecordingHost();
            var report = Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlPointInTimeDrillRunbook(), Request(),
                new RunContext(host, new RunOptions { WhatIf = true }, _fabric.Environment)));

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Empty(_fabric.Server.Log.Entries);
            Assert.Empty(_tds.Logins);
            var result = Outcomes.Of<DrillTestResult>(report).Single();
            Assert.All(result.Checks, c => Assert.Equal(DrillStatus.Skipped, c.Status));
            Assert.Contains(host.Questions, q => q.Contains("Delete drill database " + Drilled, StringComparison.Ordinal));
            Assert.Null(result.RunId);
        }

        [Theory]
        [InlineData("AppRequestPortal", "DrillNameNotMarked")]
        [InlineData("AppRequestPortal-drill-old", "DrillNameInUse")]
        public async Task A_drill_name_that_is_not_marked_or_is_taken_is_refused_before_anything_changes(string name, string errorId)
        {
            _fabric.Server.Control(s => SqlProvider.SeedDatabase(s, West, "AppRequestPortal-drill-old"));

            var error = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request(name: name)));

            Assert.Equal(errorId, error.ErrorId);
            Assert.True(error.IsPrecondition);
            Assert.Empty(_fabric.Server.Log.Entries);
        }
    }
}
