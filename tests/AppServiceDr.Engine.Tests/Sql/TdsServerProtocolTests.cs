using System;
using System.Collections.Generic;
using System.Data;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.TdsServer;
using Microsoft.Data.SqlClient;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>The TDS server itself, driven by Microsoft.Data.SqlClient over loopback.</summary>
    public sealed class TdsServerProtocolTests : IDisposable
    {
        private readonly SimServerFixture _f = new SimServerFixture();

        public void Dispose() => _f.Dispose();

        [Fact]
        public void Login_with_the_right_password_opens_a_session_in_master()
        {
            using var c = _f.Open();
            Assert.Equal(ConnectionState.Open, c.State);
            Assert.Equal("master", c.Database);
            using var cmd = new SqlCommand("SELECT 1 AS one", c);
            Assert.Equal(1, cmd.ExecuteScalar());
        }

        [Fact]
        public void Wrong_password_is_error_18456_naming_the_user()
        {
            using var c = new SqlConnection(_f.ConnectionString(password: "not-it"));
            var e = Assert.Throws<SqlException>(() => c.Open());
            Assert.Equal(18456, e.Number);
            Assert.Contains("Login failed for user '" + SimServerFixture.User + "'", e.Message);
            Assert.Empty(_f.Server.Statements);
        }

        [Fact]
        public void Database_that_is_not_online_refuses_the_login_with_4060()
        {
            _f.AddDatabase("appservice_hosting").State = SimDatabaseState.Restoring;
            using var c = new SqlConnection(_f.ConnectionString("appservice_hosting"));
            var e = Assert.Throws<SqlException>(() => c.Open());
            Assert.Equal(4060, e.Number);
        }

        [Fact]
        public void Sp_executesql_parameters_arrive_typed_and_are_recorded()
        {
            using var c = _f.Open();
            using var cmd = new SqlCommand("SELECT name, state_desc FROM sys.databases WHERE name = @n", c);
            cmd.Parameters.Add("@n", SqlDbType.NVarChar, 128).Value = "x]y'z";
            cmd.Parameters.Add("@v", SqlDbType.VarChar, 20).Value = "ascii";
            cmd.Parameters.Add("@i", SqlDbType.Int).Value = 42;
            cmd.Parameters.Add("@b", SqlDbType.BigInt).Value = 5_000_000_000L;
            cmd.Parameters.Add("@f", SqlDbType.Bit).Value = true;
            cmd.Parameters.Add("@d", SqlDbType.DateTime2).Value = new DateTime(2024, 2, 29, 13, 45, 10, 123);
            cmd.Parameters.Add("@null", SqlDbType.NVarChar, 10).Value = DBNull.Value;
            using (var r = cmd.ExecuteReader())
            {
                Assert.False(r.Read());
            }
            var s = _f.Server.Statements.Single();
            Assert.Equal("SELECT name, state_desc FROM sys.databases WHERE name = @n", s.Text);
            Assert.Equal("x]y'z", s.Parameter("@n"));
            Assert.Equal("nvarchar(128)", s.Parameters.Single(p => p.Name == "@n").TypeName);
            Assert.Equal("ascii", s.Parameter("@v"));
            Assert.Equal("varchar(20)", s.Parameters.Single(p => p.Name == "@v").TypeName);
            Assert.Equal(42, s.Parameter("@i"));
            Assert.Equal(5_000_000_000L, s.Parameter("@b"));
            Assert.Equal(true, s.Parameter("@f"));
            Assert.Equal(new DateTime(2024, 2, 29, 13, 45, 10, 123), s.Parameter("@d"));
            Assert.StartsWith("datetime2", s.Parameters.Single(p => p.Name == "@d").TypeName);
            Assert.Null(s.Parameter("@null"));
        }

        [Fact]
        public void Catalog_query_returns_the_modelled_databases()
        {
            _f.AddDatabase("appservice_hosting").UserAccess = SimUserAccess.SingleUser;
            _f.AddDatabase("appservice_metering");
            using var c = _f.Open();
            using var cmd = new SqlCommand("SELECT name, state_desc, user_access_desc FROM sys.databases ORDER BY name", c);
            var rows = new List<string>();
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read()) rows.Add(r.GetString(0) + "/" + r.GetString(1) + "/" + r.GetString(2));
            }
            Assert.Equal(new[] { "appservice_hosting/ONLINE/SINGLE_USER", "appservice_metering/ONLINE/MULTI_USER" }, rows);
        }

        [Fact]
        public void Unknown_statement_is_a_syntax_error()
        {
            using var c = _f.Open();
            using var cmd = new SqlCommand("TRUNCATE TABLE dbo.Sites", c);
            var e = Assert.Throws<SqlException>(() => cmd.ExecuteNonQuery());
            Assert.Equal(102, e.Number);
            Assert.Equal(StatementOutcome.Failed, _f.Server.Statements.Single().Outcome);
        }

        [Fact]
        public void DROP_DATABASE_removes_a_database_no_session_uses_and_refuses_a_missing_or_used_one()
        {
            _f.Server.Catalog.AddDatabase(new SimDatabase("scratch_drill_1"));
            _f.Server.Catalog.AddDatabase(new SimDatabase("held") { OtherSessions = 1 });
            using var c = _f.Open();
            new SqlCommand("DROP DATABASE [scratch_drill_1]", c).ExecuteNonQuery();
            Assert.Null(_f.Server.Catalog.FindDatabase("scratch_drill_1"));
            Assert.Equal(3701, Assert.Throws<SqlException>(() => new SqlCommand("DROP DATABASE [scratch_drill_1]", c).ExecuteNonQuery()).Number);
            new SqlCommand("DROP DATABASE IF EXISTS [scratch_drill_1]", c).ExecuteNonQuery();
            Assert.Equal(3702, Assert.Throws<SqlException>(() => new SqlCommand("DROP DATABASE [held]", c).ExecuteNonQuery()).Number);
            Assert.NotNull(_f.Server.Catalog.FindDatabase("held"));
        }

        [Fact]
        public void File_list_reports_logical_files_with_sizes()
        {
            _f.AddBackup("hosting.bak", "appservice_hosting");
            using var c = _f.Open();
            using var cmd = new SqlCommand("RESTORE FILELISTONLY FROM DISK = @f", c);
            cmd.Parameters.Add("@f", SqlDbType.NVarChar, 4000).Value = SimServerFixture.BackupFolder + @"\hosting.bak";
            var files = new List<(string, string, decimal)>();
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read()) files.Add(((string)r["LogicalName"], (string)r["Type"], (decimal)r["Size"]));
            }
            Assert.Equal(new[] { ("appservice_hosting", "D", 64m * 1024 * 1024), ("appservice_hosting_log", "L", 16m * 1024 * 1024) }, files);
        }

        [Theory]
        [InlineData("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\missing.bak'", 3201)]
        [InlineData("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\metering.bak'", 3154)]
        [InlineData("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\hosting.bak'", 3159)]
        [InlineData("RESTORE DATABASE [copy] FROM DISK = N'\\\\backupshare\\sql\\hosting2.bak'", 1834)]
        [InlineData("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\hosting.bak' WITH REPLACE", 3101)]
        [InlineData("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\hosting.bak' WITH MOVE N'nope' TO N'D:\\x.mdf', REPLACE", 3234)]
        public void Restore_errors_carry_the_real_numbers_followed_by_3013(string sql, int number)
        {
            var existing = _f.AddDatabase("appservice_hosting");
            existing.OtherSessions = 1;
            _f.AddBackup("hosting.bak", "appservice_hosting");
            _f.AddBackup("metering.bak", "appservice_metering");
            _f.Server.Catalog.AddBackup(new SimBackup(SimServerFixture.BackupFolder + @"\hosting2.bak", "appservice_hosting",
                new SimFile("appservice_hosting", _f.Server.Catalog.DefaultDataPath + "appservice_hosting.mdf", 'D')));
            using var c = _f.Open();
            using var cmd = new SqlCommand(sql, c);
            var e = Assert.Throws<SqlException>(() => cmd.ExecuteNonQuery());
            Assert.Equal(number, e.Errors[0].Number);
            Assert.Equal(16, e.Errors[0].Class);
            Assert.Equal(3013, e.Errors[e.Errors.Count - 1].Number);
            Assert.Equal(SimDatabaseState.Online, _f.Server.Catalog.FindDatabase("appservice_hosting")!.State);
            Assert.Null(_f.Server.Catalog.FindDatabase("appservice_hosting")!.RestoredFrom);
        }

        [Fact]
        public void Restore_with_stats_streams_percent_messages_then_completes()
        {
            _f.AddBackup("hosting.bak", "appservice_hosting", TimeSpan.FromMilliseconds(300));
            using var c = _f.Open();
            c.FireInfoMessageEventOnUserErrors = true;
            var messages = new List<SqlError>();
            c.InfoMessage += (_, e) => messages.AddRange(e.Errors.Cast<SqlError>());
            using var cmd = new SqlCommand("RESTORE DATABASE @d FROM DISK = @f WITH STATS = 25", c);
            cmd.Parameters.Add("@d", SqlDbType.NVarChar, 128).Value = "appservice_hosting";
            cmd.Parameters.Add("@f", SqlDbType.NVarChar, 4000).Value = SimServerFixture.BackupFolder + @"\hosting.bak";
            cmd.ExecuteNonQuery();
            Assert.Equal(new[] { "25 percent processed.", "50 percent processed.", "75 percent processed.", "100 percent processed." },
                messages.Where(m => m.Number == 3211).Select(m => m.Message));
            Assert.Contains(messages, m => m.Number == 3014 && m.Message.StartsWith("RESTORE DATABASE successfully processed", StringComparison.Ordinal));
            var db = _f.Server.Catalog.FindDatabase("appservice_hosting")!;
            Assert.Equal(SimDatabaseState.Online, db.State);
            Assert.EndsWith("hosting.bak", db.RestoredFrom);
        }

        [Fact]
        public async Task Attention_stops_a_running_restore_and_the_connection_stays_usable()
        {
            _f.AddDatabase("appservice_hosting");
            _f.AddBackup("hosting.bak", "appservice_hosting", TimeSpan.FromMinutes(5));
            using var c = _f.Open();
            c.FireInfoMessageEventOnUserErrors = true;
            using var firstProgress = new SemaphoreSlim(0);
            c.InfoMessage += (_, e) => { if (e.Errors.Cast<SqlError>().Any(x => x.Number == 3211)) firstProgress.Release(); };
            using var cmd = new SqlCommand("RESTORE DATABASE [appservice_hosting] FROM DISK = N'\\\\backupshare\\sql\\hosting.bak' WITH REPLACE, STATS = 1", c);
            var running = Task.Run(() => cmd.ExecuteNonQuery());
            Assert.True(await firstProgress.WaitAsync(TimeSpan.FromSeconds(60)));
            cmd.Cancel();
            var e = await Assert.ThrowsAsync<SqlException>(() => running);
            Assert.DoesNotContain(e.Errors.Cast<SqlError>(), x => x.Number == -2); // not a timeout: the attention was answered
            Assert.Equal(StatementOutcome.Cancelled, _f.Server.Statements.Single().Outcome);
            Assert.Equal(SimDatabaseState.Online, _f.Server.Catalog.FindDatabase("appservice_hosting")!.State);
            using var again = new SqlCommand("SELECT DB_NAME() AS d", c);
            Assert.Equal("master", again.ExecuteScalar());
        }

        [Fact]
        public void Large_replies_and_requests_span_several_packets()
        {
            for (var i = 0; i < 300; i++) _f.AddDatabase("database_with_a_rather_long_name_" + i.ToString("D3"));
            using var c = _f.Open();
            var big = new string('p', 3000);
            using var cmd = new SqlCommand("SELECT name FROM sys.databases WHERE name = @n", c);
            cmd.Parameters.Add("@n", SqlDbType.NVarChar, -1).Value = big + big + big;
            using (var r = cmd.ExecuteReader()) Assert.False(r.Read());
            Assert.Equal(9000, ((string)_f.Server.Statements.Single().Parameter("@n")!).Length);
            using var all = new SqlCommand("SELECT name FROM sys.databases", c);
            var count = 0;
            using (var r = all.ExecuteReader()) while (r.Read()) count++;
            Assert.Equal(300, count);
        }

        [Fact]
        public async Task Several_connections_are_served_at_once()
        {
            _f.AddBackup("a.bak", "a", TimeSpan.FromMilliseconds(500));
            _f.AddBackup("b.bak", "b", TimeSpan.FromMilliseconds(500));
            async Task RestoreAsync(string name)
            {
                using var c = new SqlConnection(_f.ConnectionString());
                await c.OpenAsync();
                using var cmd = new SqlCommand("RESTORE DATABASE @d FROM DISK = @f", c);
                cmd.Parameters.Add("@d", SqlDbType.NVarChar, 128).Value = name;
                cmd.Parameters.Add("@f", SqlDbType.NVarChar, 4000).Value = SimServerFixture.BackupFolder + @"\" + name + ".bak";
                await cmd.ExecuteNonQueryAsync();
            }
            await Task.WhenAll(RestoreAsync("a"), RestoreAsync("b"));
            Assert.Equal(2, _f.Server.Statements.Select(s => s.ConnectionId).Distinct().Count());
            Assert.All(new[] { "a", "b" }, n => Assert.Equal(SimDatabaseState.Online, _f.Server.Catalog.FindDatabase(n)!.State));
        }

        [Fact]
        public void Single_user_with_rollback_immediate_throws_other_sessions_out()
        {
            var db = _f.AddDatabase("appservice_hosting");
            db.OtherSessions = 3;
            using var inside = _f.Open("appservice_hosting");
            using var c = _f.Open();
            using (var cmd = new SqlCommand("ALTER DATABASE [appservice_hosting] SET SINGLE_USER", c))
            {
                Assert.Equal(5061, Assert.Throws<SqlException>(() => cmd.ExecuteNonQuery()).Number);
            }
            using (var cmd = new SqlCommand("ALTER DATABASE [appservice_hosting] SET SINGLE_USER WITH ROLLBACK IMMEDIATE", c)) cmd.ExecuteNonQuery();
            Assert.Equal(SimUserAccess.SingleUser, db.UserAccess);
            Assert.Equal(0, db.OtherSessions);
            using var probe = new SqlCommand("SELECT 1", inside);
            Assert.ThrowsAny<Exception>(() => probe.ExecuteScalar());
        }

        [Fact]
        public void Checkdb_reports_the_summary_line()
        {
            _f.AddDatabase("clean");
            _f.AddDatabase("broken").ConsistencyErrors = 2;
            using var c = _f.Open();
            using (var cmd = new SqlCommand("DBCC CHECKDB ([clean])", c))
            {
                var messages = new List<string>();
                c.InfoMessage += (_, e) => messages.Add(e.Message);
                cmd.ExecuteNonQuery();
                Assert.Contains(messages, m => m.Contains("CHECKDB found 0 allocation errors and 0 consistency errors in database 'clean'."));
            }
            using (var cmd = new SqlCommand("DBCC CHECKDB (N'broken')", c))
            {
                var e = Assert.Throws<SqlException>(() => cmd.ExecuteNonQuery());
                Assert.Contains(e.Errors.Cast<SqlError>(), x => x.Number == 8989 && x.Message.Contains("2 consistency errors"));
            }
        }
    }
}
