using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.AzureSql
{
    /// <summary>
    /// -VerifyQuery between the restore and the swap: the fabric's SQL server reports a TDS server on loopback as
    /// its fullyQualifiedDomainName, the engine logs in there with the environment credential's token and runs
    /// the query against the restored copy; only a passing answer lets the swap rename anything.
    /// </summary>
    public sealed class AzureSqlVerifyTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Restored = "AppRequestPortal-restored";
        private const string Query = "SELECT COUNT(*) FROM dbo.Requests WHERE CreatedAt > DATEADD(day, -1, SYSUTCDATETIME())";
        private const string Principal = "dr-runbook@contoso.test";
        private const string DatabaseToken = "database-audience-token-3c41e0";
        private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
        private FabricFixture _fabric = null!;
        private readonly SimSqlServer _tds = new SimSqlServer { Certificate = TestPki.ServerCertificate };
        private readonly TempDirectory _state = new TempDirectory();
        private SimDatabase _restoredCopy = null!;

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.DatabaseOnlineMs = 300; o.Timings.OperationMs = 200; });
            var seeded = DateTimeOffset.UtcNow;
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus", fullyQualifiedDomainName: _tds.DataSource);
                SqlProvider.SeedDatabase(s, West, "AppRequestPortal", seeded.AddDays(-7), seeded.AddMinutes(-40));
            });
            // As with -AccessToken and -DatabaseAccessToken: one token for Resource Manager, another that the database accepts.
            _fabric.Environment.Credential = DrCredential.FromAccessToken(FabricFixture.Token).WithDatabaseAccessToken(TestSecrets.Secure(DatabaseToken));
            _tds.AddAccessToken(DatabaseToken, Principal);
            _restoredCopy = _tds.Catalog.AddDatabase(new SimDatabase(Restored));
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _tds.Dispose();
            _state.Dispose();
        }

        private static AzureSqlRestoreRequest Request(string? verifyQuery = Query) => new AzureSqlRestoreRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseName = "AppRequestPortal",
            PointInTime = DateTimeOffset.UtcNow.AddMinutes(-30), TargetDatabaseName = Restored, Swap = true,
            VerifyQuery = verifyQuery, ServerCertificate = TestPki.ServerCertificateFile, Timeout = TimeSpan.FromSeconds(60),
        };

        private async Task<RunReport> RunAsync(AzureSqlRestoreRequest request, bool whatIf = false, RecordingHost? host = null)
        {
            var context = new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            return Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new AzureSqlRestoreRunbook(), request, context));
        }

        private bool Exists(string database) => _fabric.Server.Query(s => s.Arm.Find(West + "/databases/" + database) != null);

        private int Moves() => _fabric.Server.Log.CountSucceeded("POST", "/move");

        private string JournalText() => string.Concat(Directory.GetFiles(_state.Path, "*", SearchOption.AllDirectories).Select(File.ReadAllText));

        [Fact]
        public async Task A_passing_verify_query_runs_on_the_restored_copy_with_the_credential_token_then_the_swap_happens()
        {
            _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 42);

            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(new[] { "restore", "verify", "swap" }, report.Steps.Select(s => s.StepId));
            Assert.Contains("42", Outcomes.Of<AzureSqlRestoreResult>(report).Single().Verification);
            var login = Assert.Single(_tds.Logins);
            Assert.True(login.Succeeded);
            // Over TLS for the whole session, the certificate checked against the one the request names (kept for a resume).
            Assert.Equal(SessionEncryption.Session, Assert.Single(_tds.Sessions).Encryption);
            Assert.Equal(TestPki.ServerCertificateFile, new RunStore(_state.Path).Get(report.RunId).Inputs["ServerCertificate"]);
            Assert.Equal(SimAuthentication.AccessToken, login.Authentication);
            Assert.Equal(Principal, login.Principal);
            Assert.Equal(Restored, login.Database);
            var statement = Assert.Single(_tds.Statements);
            Assert.Equal(Query, statement.Text);
            Assert.Equal(StatementOutcome.Completed, statement.Outcome);
            Assert.Equal(2, Moves());
            Assert.True(Exists("AppRequestPortal"));
            Assert.False(Exists(Restored));
            Assert.Equal(Query, report.Inputs["VerifyQuery"]);
            Assert.Equal(Query, new RunStore(_state.Path).Get(report.RunId).Inputs["VerifyQuery"]);
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public async Task A_failing_verify_query_stops_the_run_before_any_rename_and_the_run_resumes_once_the_data_is_right(bool noRows)
        {
            if (noRows) _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int));
            else _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 0);

            var first = await RunAsync(Request());

            Assert.Equal(RunStatus.Failed, first.Status);
            var verify = first.Steps.Single(s => s.StepId == "verify");
            Assert.Equal(StepOutcome.Failed, verify.Outcome);
            Assert.Equal("VerifyQueryFailed", verify.ErrorId);
            Assert.Contains(Restored, verify.Error);
            Assert.Contains(noRows ? "returned no rows" : "the first with 0", verify.Error);
            Assert.Equal(StepOutcome.Skipped, first.Steps.Single(s => s.StepId == "swap").Outcome);
            Assert.Equal(0, Moves());
            Assert.True(Exists(Restored));

            // The copy gets the missing data (say, a late import); the journaled run picks up at the verify step.
            _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 17);
            var store = new RunStore(_state.Path);
            var resumed = await Outcomes.ResumeAsync(store, first, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment));

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(2, Moves());
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/"));
            Assert.Equal(2, _tds.Statements.Count(s => s.Text == Query));
        }

        [Fact]
        public async Task A_token_the_database_does_not_accept_is_LoginFailed_and_appears_nowhere()
        {
            const string other = "fabric-token-of-another-tenant-77ad";
            _fabric.Environment.Credential = DrCredential.FromAccessToken(FabricFixture.Token).WithDatabaseAccessToken(TestSecrets.Secure(other));
            _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 42);
            var host = new RecordingHost();

            var report = await RunAsync(Request(), host: host);

            Assert.Equal(RunStatus.Failed, report.Status);
            var verify = report.Steps.Single(s => s.StepId == "verify");
            Assert.Equal("LoginFailed", verify.ErrorId);
            Assert.Equal(DrErrorCategory.AuthenticationError, verify.ErrorCategory);
            Assert.Contains("18456", verify.Error);
            Assert.Equal(0, Moves());
            Assert.Empty(_tds.Statements);
            Assert.Equal(AccessTokenRefusal.Unknown, Assert.Single(_tds.Logins).TokenRefusal);
            var everything = host.AllText().Concat(report.Steps.Select(s => s.Error ?? "")).Concat(new[] { JournalText() });
            Assert.DoesNotContain(everything, t => t.Contains(other));
        }

        [Fact]
        public async Task With_only_a_resource_manager_token_the_verify_query_is_refused_before_anything_happens()
        {
            _fabric.Environment.Credential = DrCredential.FromAccessToken(FabricFixture.Token);

            var error = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request()));

            Assert.Equal("VerifyQueryNeedsDatabaseToken", error.ErrorId);
            Assert.True(error.IsPrecondition);
            Assert.Contains("-DatabaseAccessToken", error.Message);
            Assert.Empty(_fabric.Server.Log.Entries);
            Assert.Empty(_tds.Logins);
            Assert.False(Directory.Exists(Path.Combine(_state.Path, "runs")));
        }

        [Fact]
        public async Task The_database_gets_the_database_token_even_where_the_resource_manager_token_would_also_log_in()
        {
            _tds.AddAccessToken(FabricFixture.Token, "resource-manager-principal@contoso.test");
            _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 1);

            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(Principal, Assert.Single(_tds.Logins).Principal);
        }

        [Fact]
        public async Task WhatIf_plans_the_verify_query_but_sends_nothing_to_the_database_and_changes_nothing()
        {
            _restoredCopy.Answer(Query, new TdsColumn("", TdsColumnType.Int), 42);
            var before = _fabric.Server.Log.Entries.Count(e => e.Succeeded);
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Request(), whatIf: true, host);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count(e => e.Succeeded));
            Assert.Equal(0, _tds.LoginAttempts);
            Assert.Empty(_tds.Statements);
            Assert.Contains(Query, report.Steps.Single(s => s.StepId == "verify").Plan);
        }

        [Fact]
        public async Task An_empty_verify_query_is_refused_before_anything_happens()
        {
            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request(verifyQuery: "  ")));

            Assert.Equal("VerifyQueryEmpty", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal(0, _fabric.Server.Log.CountSucceeded("PUT", "/databases/"));
        }

        [Theory]
        [InlineData("sql-west.database.windows.net", "sql-west.database.windows.net,1433")]
        [InlineData("127.0.0.1,54321", "127.0.0.1,54321")]
        public void The_data_source_is_the_reported_address_with_the_default_port_only_when_none_is_given(string fqdn, string expected) =>
            Assert.Equal(expected, AzureSqlVerification.DataSource(fqdn));

        [Fact]
        public void The_token_scope_follows_the_cloud()
        {
            Assert.Equal("https://database.windows.net/.default", AzureConnection.Scope(DrEnvironment.AzureCloud().SqlDatabaseAudience));
            Assert.Equal("https://database.usgovcloudapi.net/.default", AzureConnection.Scope(DrEnvironment.AzureUSGovernment().SqlDatabaseAudience));
            Assert.Equal("https://database.chinacloudapi.cn/.default", AzureConnection.Scope(DrEnvironment.AzureChinaCloud().SqlDatabaseAudience));
        }

        [Theory]
        [InlineData(1, 1, true)]
        [InlineData(1, 0, false)]
        [InlineData(1, true, true)]
        [InlineData(1, false, false)]
        [InlineData(1, "ok", true)]
        [InlineData(1, null, false)]
        [InlineData(0, null, false)]
        public void The_first_column_of_the_first_row_decides(int rows, object? first, bool passes) =>
            Assert.Equal(passes, AzureSqlVerification.Passes(rows, first));
    }
}
