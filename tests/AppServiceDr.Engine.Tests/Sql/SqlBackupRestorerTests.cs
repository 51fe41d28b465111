using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>The restore engine against the TDS server: what it sends, what it reports, what state it leaves.</summary>
    public sealed class SqlBackupRestorerTests : IDisposable
    {
        private const string Hosting = "appservice_hosting";
        private const string Metering = "appservice_metering";
        private static readonly string HostingBak = SimServerFixture.BackupFolder + @"\hosting_full.bak";

        private readonly SimServerFixture _f = new SimServerFixture();
        private readonly RecordingHost _host = new RecordingHost();
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "asdr-sql-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            _f.Dispose();
            if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
        }

        private SqlRestoreRequest FileRequest(string file, string? database = Hosting, bool replace = false) => new SqlRestoreRequest
        {
            Server = _f.Connection(),
            BackupFile = file,
            DatabaseNames = database == null ? null : new[] { database },
            WithReplace = replace,
        };

        private async Task<SqlRestoreResult> RestoreOneAsync(SqlRestoreRequest request, CancellationToken cancel = default) =>
            (await RestoreAsync(request, _host, cancel)).Single();

        private async Task<IReadOnlyList<SqlRestoreResult>> RestoreAsync(SqlRestoreRequest request, IDrHost? host = null, CancellationToken cancel = default)
        {
            var outcome = await SqlRuns.RunAsync(request, host ?? _host, cancel);
            _reports[request] = outcome.Report;
            return outcome.TypedResults;
        }

        private readonly Dictionary<SqlRestoreRequest, RunReport> _reports = new Dictionary<SqlRestoreRequest, RunReport>();

        /// <summary>The category of the failure the runbook recorded for a result's database.</summary>
        private DrErrorCategory? CategoryOf(SqlRestoreResult result) =>
            _reports.Values.SelectMany(r => r.Steps).Last(s => s.StepId == "database:" + result.Database).ErrorCategory;

        /// <summary>A .bak file in the local folder, also known to the server under the same path.</summary>
        private string LocalBackup(string fileName, string database, DateTime writtenUtc)
        {
            Directory.CreateDirectory(_folder);
            var path = Path.Combine(_folder, fileName);
            File.WriteAllText(path, "backup of " + database);
            File.SetLastWriteTimeUtc(path, writtenUtc);
            _f.Server.Catalog.AddBackup(SimBackup.Typical(path, database));
            return path;
        }

        private IReadOnlyList<string> ChangingStatements() => _f.Server.Statements
            .Where(s => s.Text.StartsWith("ALTER", StringComparison.OrdinalIgnoreCase) || s.Text.StartsWith("RESTORE DATABASE", StringComparison.OrdinalIgnoreCase)
                || s.Text.StartsWith("DBCC", StringComparison.OrdinalIgnoreCase))
            .Select(s => s.Text).ToList();

        [Fact]
        public async Task Both_App_Service_databases_restore_in_parallel_from_the_newest_backups()
        {
            var old = LocalBackup("appservice_hosting_20240101.bak", Hosting, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            var newest = LocalBackup("appservice_hosting_20240301.bak", Hosting, new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc));
            var metering = LocalBackup("appservice_metering_20240301.bak", Metering, new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc));
            LocalBackup("other_20240301.bak", "other", new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc));

            // Each restore waits until the other one has started too: they only finish if they run side by side.
            var started = 0;
            var both = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _f.Server.RestoreStarted = _ =>
            {
                if (Interlocked.Increment(ref started) == 2) both.TrySetResult(true);
                return both.Task.WaitAsync(TimeSpan.FromSeconds(60));
            };

            var results = await RestoreAsync(new SqlRestoreRequest { Server = _f.Connection(), BackupPath = _folder });

            Assert.Equal(new[] { Hosting, Metering }, results.Select(r => r.Database));
            Assert.All(results, r =>
            {
                Assert.Null(r.Error);
                Assert.Equal(SqlRestoreAction.Restored, r.Action);
                Assert.Equal("ONLINE", r.FinalState);
                Assert.Equal("MULTI_USER", r.UserAccess);
                Assert.Equal(_f.Server.DataSource, r.Server);
                Assert.Contains("RESTORE DATABASE @database FROM DISK = @backupFile", r.Script);
            });
            Assert.Equal(newest, results[0].BackupFile);
            Assert.Equal(metering, results[1].BackupFile);
            Assert.Equal(newest, _f.Server.Catalog.FindDatabase(Hosting)!.RestoredFrom);
            Assert.Equal(metering, _f.Server.Catalog.FindDatabase(Metering)!.RestoredFrom);
            Assert.DoesNotContain(_f.Server.Statements, s => Equals(s.Parameter("@backupFile"), old));
            var restores = _f.StatementsStartingWith("RESTORE DATABASE");
            Assert.Equal(2, restores.Count);
            Assert.Equal(2, restores.Select(s => s.ConnectionId).Distinct().Count());
            Assert.All(restores, s => Assert.Equal(StatementOutcome.Completed, s.Outcome));

            // Progress per database: its own activity, percentages only going up.
            var byActivity = RestoreProgress().Where(p => !p.Completed).GroupBy(p => p.ActivityId).ToList();
            Assert.Equal(2, byActivity.Count);
            Assert.All(byActivity, g =>
            {
                var percents = g.Select(p => p.PercentComplete).ToList();
                Assert.Equal(percents.OrderBy(p => p), percents);
                Assert.Equal(100, percents.Last());
            });
        }

        [Fact]
        public async Task File_used_by_another_database_is_DatabaseFileConflict()
        {
            _f.Server.Catalog.AddDatabase(new SimDatabase("squatter", new SimFile("squatter", @"D:\SqlData\appservice_hosting.mdf", 'D')));
            _f.AddBackup("hosting_full.bak", Hosting);

            var result = await RestoreOneAsync(FileRequest(HostingBak));

            Assert.Equal("DatabaseFileConflict", result.ErrorId);
            Assert.Contains("squatter", result.Error);
            Assert.Equal(StatementOutcome.Failed, _f.StatementsStartingWith("RESTORE DATABASE").Single().Outcome);
            Assert.Null(_f.Server.Catalog.FindDatabase(Hosting));
        }

        [Fact]
        public void Access_token_goes_to_the_connection_and_not_into_the_connection_string()
        {
            const string token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part";
            var info = new SqlServerConnectionInfo { ServerInstance = "sql01.example", Authentication = SqlAuthenticationKind.AccessToken, AccessToken = token };
            using var factory = new SqlConnectionFactory(info);
            using var connection = factory.Create("master");
            Assert.Equal(token, connection.AccessToken);
            Assert.DoesNotContain(token, connection.ConnectionString);
            Assert.False(new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(connection.ConnectionString).IntegratedSecurity);
        }

        [Fact]
        public async Task Restore_statements_are_parameterised_and_files_go_to_the_default_paths()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            var result = await RestoreOneAsync(FileRequest(HostingBak));

            Assert.Null(result.Error);
            var restore = _f.StatementsStartingWith("RESTORE DATABASE").Single();
            Assert.Equal("RESTORE DATABASE @database FROM DISK = @backupFile WITH MOVE @logical1 TO @physical1, MOVE @logical2 TO @physical2, STATS = 5", restore.Text);
            Assert.Equal(Hosting, restore.Parameter("@database"));
            Assert.Equal(HostingBak, restore.Parameter("@backupFile"));
            Assert.Equal(Hosting, restore.Parameter("@logical1"));
            Assert.Equal(@"D:\SqlData\appservice_hosting.mdf", restore.Parameter("@physical1"));
            Assert.Equal(Hosting + "_log", restore.Parameter("@logical2"));
            Assert.Equal(@"L:\SqlLogs\appservice_hosting_log.ldf", restore.Parameter("@physical2"));
            Assert.All(restore.Parameters.Where(p => p.Name.Length > 0), p => Assert.StartsWith("nvarchar(", p.TypeName));
            Assert.DoesNotContain(_f.Server.Statements, s => s.Text.Contains(HostingBak) || s.Text.Contains("appservice_hosting"));
            Assert.Equal(new[] { @"D:\SqlData\appservice_hosting.mdf", @"L:\SqlLogs\appservice_hosting_log.ldf" },
                _f.Server.Catalog.FindDatabase(Hosting)!.Files.Select(x => x.PhysicalName));

            // The script declares every value and runs the same statement.
            Assert.Contains("DECLARE @backupFile nvarchar(4000) = N'" + HostingBak + "';", result.Script);
            Assert.Contains("DECLARE @physical1 nvarchar(4000) = N'D:\\SqlData\\appservice_hosting.mdf';", result.Script);
            Assert.Contains(restore.Text, result.Script);
            Assert.True(result.Duration > TimeSpan.Zero);
            Assert.True(result.Started <= DateTimeOffset.UtcNow);
        }

        [Fact]
        public async Task Data_and_log_directories_and_file_mapping_relocate_files()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            var request = FileRequest(HostingBak);
            var result = await RestoreOneAsync(new SqlRestoreRequest
            {
                Server = request.Server,
                BackupFile = request.BackupFile,
                DatabaseNames = request.DatabaseNames,
                DataDirectory = "/var/opt/mssql/data",
                FileMapping = new Dictionary<string, string> { [Hosting + "_log"] = @"G:\logs\hosting.ldf" },
            });
            Assert.Null(result.Error);
            var restore = _f.StatementsStartingWith("RESTORE DATABASE").Single();
            Assert.Equal("/var/opt/mssql/data/appservice_hosting.mdf", restore.Parameter("@physical1"));
            Assert.Equal(@"G:\logs\hosting.ldf", restore.Parameter("@physical2"));
            Assert.Empty(_f.StatementsStartingWith("SELECT CAST(SERVERPROPERTY"));
        }

        [Fact]
        public async Task Existing_database_without_WithReplace_is_DatabaseExists_and_nothing_changes()
        {
            var existing = _f.AddDatabase(Hosting);
            _f.AddBackup("hosting_full.bak", Hosting);

            var result = await RestoreOneAsync(FileRequest(HostingBak));

            Assert.Equal(SqlRestoreAction.Failed, result.Action);
            Assert.Equal("DatabaseExists", result.ErrorId);
            Assert.Equal(DrErrorCategory.ResourceExists, CategoryOf(result));
            Assert.Contains(Hosting, result.Error);
            Assert.Contains("WithReplace", result.Error);
            Assert.Empty(ChangingStatements());
            Assert.All(_f.Server.Statements, s => Assert.Matches("^(SELECT|RESTORE HEADERONLY)", s.Text));
            Assert.Empty(_host.Questions);
            Assert.Same(existing, _f.Server.Catalog.FindDatabase(Hosting));
            Assert.Null(existing.RestoredFrom);
            Assert.Equal("ONLINE", result.FinalState);
        }

        [Fact]
        public async Task WithReplace_asks_then_goes_single_user_restores_and_returns_to_multi_user()
        {
            var existing = _f.AddDatabase(Hosting);
            existing.OtherSessions = 4; // applications still connected: only ROLLBACK IMMEDIATE gets them out
            _f.AddBackup("hosting_full.bak", Hosting);

            var result = await RestoreOneAsync(FileRequest(HostingBak, replace: true));

            Assert.Null(result.Error);
            Assert.Equal(new[]
            {
                "ALTER DATABASE [appservice_hosting] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
                "RESTORE DATABASE @database FROM DISK = @backupFile WITH MOVE @logical1 TO @physical1, MOVE @logical2 TO @physical2, REPLACE, STATS = 5",
                "ALTER DATABASE [appservice_hosting] SET MULTI_USER",
            }, ChangingStatements());
            Assert.Equal(2, _host.Questions.Count);
            Assert.StartsWith(Hosting + ": Overwrite database 'appservice_hosting'", _host.Questions.First());
            Assert.Contains(HostingBak, _host.Questions.First());
            Assert.StartsWith("continue? Overwrite database", _host.Questions.Last());
            var db = _f.Server.Catalog.FindDatabase(Hosting)!;
            Assert.Equal(SimUserAccess.MultiUser, db.UserAccess);
            Assert.Equal(SimDatabaseState.Online, db.State);
            Assert.Equal(HostingBak, db.RestoredFrom);
            Assert.Equal("ONLINE", result.FinalState);
            Assert.Contains("SET SINGLE_USER WITH ROLLBACK IMMEDIATE", result.Script);
            Assert.Contains("SET MULTI_USER", result.Script);
        }

        [Fact]
        public async Task Restore_failing_midway_still_returns_the_database_to_multi_user()
        {
            _f.AddDatabase(Hosting);
            _f.AddBackup("hosting_full.bak", Hosting).FailAtPercent = 40;

            var result = await RestoreOneAsync(FileRequest(HostingBak, replace: true));

            Assert.Equal("BackupFileCorrupt", result.ErrorId);
            Assert.Equal(DrErrorCategory.InvalidData, CategoryOf(result));
            Assert.Contains("3203", result.Error);
            Assert.Equal(new[] { "SINGLE_USER", "RESTORE", "MULTI_USER" },
                ChangingStatements().Select(s => s.Contains("SINGLE_USER") ? "SINGLE_USER" : s.Contains("MULTI_USER") ? "MULTI_USER" : "RESTORE"));
            Assert.Equal(StatementOutcome.Failed, _f.StatementsStartingWith("RESTORE DATABASE").Single().Outcome);
            Assert.Equal(SimUserAccess.MultiUser, _f.Server.Catalog.FindDatabase(Hosting)!.UserAccess);
            Assert.Equal("MULTI_USER", result.UserAccess);
        }

        [Fact]
        public async Task Connection_lost_during_restore_returns_to_multi_user_on_a_new_connection()
        {
            _f.AddDatabase(Hosting);
            _f.AddBackup("hosting_full.bak", Hosting).DropConnectionAtPercent = 30;

            var result = await RestoreOneAsync(FileRequest(HostingBak, replace: true));

            Assert.Equal(DrErrorCategory.ConnectionError, CategoryOf(result));
            var restore = _f.StatementsStartingWith("RESTORE DATABASE").Single();
            var multi = _f.StatementsStartingWith("ALTER DATABASE [appservice_hosting] SET MULTI_USER").Single();
            Assert.NotEqual(restore.ConnectionId, multi.ConnectionId);
            Assert.Equal(StatementOutcome.Completed, multi.Outcome);
            Assert.Equal(SimUserAccess.MultiUser, _f.Server.Catalog.FindDatabase(Hosting)!.UserAccess);
        }

        [Fact]
        public async Task Declining_the_overwrite_changes_nothing()
        {
            _f.AddDatabase(Hosting);
            _f.AddBackup("hosting_full.bak", Hosting);
            var host = new RecordingHost(shouldContinue: (_, _) => false);

            var result = (await RestoreAsync(FileRequest(HostingBak, replace: true), host)).Single();

            Assert.Equal(SqlRestoreAction.Skipped, result.Action);
            Assert.Empty(ChangingStatements());
            Assert.Contains("RESTORE DATABASE", result.Script);
        }

        [Fact]
        public async Task Missing_backup_file_is_BackupFileNotFound_naming_the_file()
        {
            var missing = SimServerFixture.BackupFolder + @"\nope.bak";
            var result = await RestoreOneAsync(FileRequest(missing));

            Assert.Equal("BackupFileNotFound", result.ErrorId);
            Assert.Equal(DrErrorCategory.ObjectNotFound, CategoryOf(result));
            Assert.Contains(missing, result.Error);
            Assert.Contains(missing, result.Error);
            Assert.Empty(ChangingStatements());
        }

        [Fact]
        public async Task Backup_of_another_database_is_refused_even_with_WithReplace()
        {
            _f.AddDatabase(Hosting);
            _f.AddBackup("metering_full.bak", Metering);

            var result = await RestoreOneAsync(FileRequest(SimServerFixture.BackupFolder + @"\metering_full.bak", replace: true));

            Assert.Equal("BackupOfDifferentDatabase", result.ErrorId);
            Assert.Equal(DrErrorCategory.InvalidData, CategoryOf(result));
            Assert.Contains(Metering, result.Error);
            Assert.Empty(ChangingStatements());
            Assert.Empty(_host.Questions);
        }

        [Fact]
        public async Task Login_failure_is_LoginFailed_without_the_password_anywhere()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            var request = FileRequest(HostingBak);
            var e = await Assert.ThrowsAsync<DrException>(() => RestoreAsync(new SqlRestoreRequest
            {
                Server = _f.Connection(password: "Wrong'Secret-991"),
                BackupFile = request.BackupFile,
                DatabaseNames = request.DatabaseNames,
            }));

            Assert.Equal("LoginFailed", e.ErrorId);
            Assert.Equal(DrErrorCategory.AuthenticationError, e.Category);
            Assert.True(e.IsPrecondition);
            Assert.Contains("18456", e.Message);
            Assert.Contains(SimServerFixture.User, e.Message);
            Assert.Equal(1, _f.Server.LoginAttempts);
            Assert.Empty(_f.Server.Statements);
            var everything = _host.AllText().Concat(new[] { e.ToString() }).ToList();
            Assert.DoesNotContain(everything, t => t.Contains("Wrong'Secret-991") || t.Contains(SimServerFixture.Password));
        }

        [Fact]
        public async Task Cancellation_mid_restore_sends_an_attention_and_leaves_the_database_multi_user()
        {
            _f.AddDatabase(Hosting);
            // 5% steps of 40 s: the first progress report (which cancels) comes after 2 s, the end would take 40 s.
            _f.AddBackup("hosting_full.bak", Hosting, TimeSpan.FromSeconds(40));
            using var cts = new CancellationTokenSource();
            var host = new CancellingHost(cts);

            var cancelled = await SqlRuns.RunAsync(FileRequest(HostingBak, replace: true), host, cts.Token);

            Assert.Equal(RunStatus.Cancelled, cancelled.Report.Status);
            Assert.Equal("Cancelled", cancelled.Report.Steps.Single().ErrorId);

            var restore = _f.StatementsStartingWith("RESTORE DATABASE").Single();
            Assert.Equal(StatementOutcome.Cancelled, restore.Outcome);
            Assert.Equal("ALTER DATABASE [appservice_hosting] SET MULTI_USER", ChangingStatements().Last());
            Assert.Equal(StatementOutcome.Completed, _f.Server.Statements.Last(s => s.Text.Contains("MULTI_USER")).Outcome);
            var db = _f.Server.Catalog.FindDatabase(Hosting)!;
            Assert.Equal(SimUserAccess.MultiUser, db.UserAccess);
            Assert.Equal(SimDatabaseState.Online, db.State);
            Assert.Null(db.RestoredFrom);
        }

        /// <summary>Cancels the run when the first progress report arrives.</summary>
        private sealed class CancellingHost : IDrHost
        {
            private readonly CancellationTokenSource _cts;

            public CancellingHost(CancellationTokenSource cts) => _cts = cts;

            public void Progress(DrProgress progress)
            {
                if (progress.PercentComplete > 0 && !progress.Completed && progress.Activity.StartsWith("Restoring database", StringComparison.Ordinal)) _cts.Cancel();
            }

            public void Verbose(string message) { }
            public void Warning(string message) { }
            public bool ShouldProcess(string target, string action) => true;
            public bool ShouldContinue(string query, string caption) => true;
        }

        [Fact]
        public async Task OutputScriptOnly_sends_nothing_and_returns_the_script()
        {
            var request = FileRequest(HostingBak, replace: true);
            var result = await RestoreOneAsync(new SqlRestoreRequest
            {
                Server = request.Server,
                BackupFile = request.BackupFile,
                DatabaseNames = request.DatabaseNames,
                WithReplace = true,
                CheckDb = true,
                OutputScriptOnly = true,
                FileMapping = new Dictionary<string, string> { [Hosting] = @"E:\data\h.mdf" },
            });

            Assert.Equal(0, _f.Server.LoginAttempts);
            Assert.Empty(_f.Server.Statements);
            Assert.Equal(SqlRestoreAction.ScriptOnly, result.Action);
            Assert.Equal(
                "USE [master];\r\nGO\r\n"
                + "ALTER DATABASE [appservice_hosting] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;\r\nGO\r\n"
                + "DECLARE @database sysname = N'appservice_hosting';\r\n"
                + "DECLARE @backupFile nvarchar(4000) = N'" + HostingBak + "';\r\n"
                + "DECLARE @logical1 sysname = N'appservice_hosting';\r\n"
                + "DECLARE @physical1 nvarchar(4000) = N'E:\\data\\h.mdf';\r\n"
                + "RESTORE DATABASE @database FROM DISK = @backupFile WITH MOVE @logical1 TO @physical1, REPLACE, STATS = 5;\r\nGO\r\n"
                + "ALTER DATABASE [appservice_hosting] SET MULTI_USER;\r\nGO\r\n"
                + "DECLARE @database sysname = N'appservice_hosting';\r\n"
                + "DBCC CHECKDB (@database);\r\nGO\r\n",
                result.Script);
        }

        [Fact]
        public async Task A_name_with_a_bracket_and_a_quote_works_and_does_not_inject()
        {
            const string name = "dr]; DROP DATABASE x; --'o";
            var db = _f.Server.Catalog.AddDatabase(new SimDatabase(name, new SimFile("weird", @"D:\SqlData\weird.mdf", 'D')));
            db.OtherSessions = 1;
            _f.Server.Catalog.AddBackup(new SimBackup(SimServerFixture.BackupFolder + @"\weird.bak", name,
                new SimFile("weird", @"C:\old\weird.mdf", 'D'), new SimFile("weird_log", @"C:\old\weird_log.ldf", 'L')));

            var result = await RestoreOneAsync(FileRequest(SimServerFixture.BackupFolder + @"\weird.bak", name, replace: true));

            Assert.Null(result.Error);
            Assert.Equal(name, result.Database);
            Assert.Contains("ALTER DATABASE [dr]]; DROP DATABASE x; --'o] SET SINGLE_USER WITH ROLLBACK IMMEDIATE", ChangingStatements());
            Assert.Equal(name, _f.StatementsStartingWith("RESTORE DATABASE").Single().Parameter("@database"));
            Assert.DoesNotContain(_f.Server.Statements, s => s.Outcome == StatementOutcome.Failed);
            Assert.Equal(SimDatabaseState.Online, _f.Server.Catalog.FindDatabase(name)!.State);
            Assert.Equal(SimUserAccess.MultiUser, _f.Server.Catalog.FindDatabase(name)!.UserAccess);
            Assert.Contains("DECLARE @database sysname = N'dr]; DROP DATABASE x; --''o';", result.Script);
        }

        /// <summary>The progress records of the restores themselves (the run and its steps have bars of their own).</summary>
        private List<DrProgress> RestoreProgress() =>
            _host.ProgressRecords.Where(p => p.Activity.StartsWith("Restoring database", StringComparison.Ordinal)).ToList();

        [Fact]
        public async Task Progress_arrives_per_database_in_increasing_order()
        {
            _f.AddBackup("hosting_full.bak", Hosting, TimeSpan.FromMilliseconds(400));
            var result = await RestoreOneAsync(FileRequest(HostingBak));

            Assert.Null(result.Error);
            var records = RestoreProgress();
            var percents = records.Where(p => !p.Completed).Select(p => p.PercentComplete).ToList();
            Assert.Equal(Enumerable.Range(1, 20).Select(i => i * 5), percents);
            Assert.All(records, p => Assert.Equal("Restoring database 'appservice_hosting'", p.Activity));
            Assert.True(records.Last().Completed);
            Assert.Equal("100 percent processed.", records[records.Count - 2].Status);
        }

        [Fact]
        public async Task VerifyOnly_checks_the_backup_and_restores_nothing()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            _f.AddBackup("broken.bak", Hosting).Condition = SimBackupCondition.Corrupt;
            var request = FileRequest(HostingBak);
            SqlRestoreRequest Verify(string file) => new SqlRestoreRequest { Server = request.Server, BackupFile = file, DatabaseNames = request.DatabaseNames, VerifyOnly = true };

            var ok = await RestoreOneAsync(Verify(HostingBak));
            var bad = await RestoreOneAsync(Verify(SimServerFixture.BackupFolder + @"\broken.bak"));

            Assert.Equal(SqlRestoreAction.Verified, ok.Action);
            Assert.Null(ok.Error);
            Assert.Equal("BackupFileCorrupt", bad.ErrorId);
            Assert.Equal(2, _f.StatementsStartingWith("RESTORE VERIFYONLY FROM DISK = @backupFile WITH CHECKSUM").Count);
            Assert.Empty(_f.StatementsStartingWith("RESTORE DATABASE"));
            Assert.Null(_f.Server.Catalog.FindDatabase(Hosting));
            Assert.Empty(_host.Questions);
        }

        [Fact]
        public async Task CheckDb_outcome_is_part_of_the_result()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            _f.AddBackup("metering_full.bak", Metering).ConsistencyErrors = 3;
            SqlRestoreRequest Check(string file, string db) => new SqlRestoreRequest { Server = _f.Connection(), BackupFile = file, DatabaseNames = new[] { db }, CheckDb = true };

            var clean = await RestoreOneAsync(Check(HostingBak, Hosting));
            var broken = await RestoreOneAsync(Check(SimServerFixture.BackupFolder + @"\metering_full.bak", Metering));

            Assert.True(clean.CheckDb!.Clean);
            Assert.Contains("0 consistency errors", clean.CheckDb.Summary);
            Assert.False(broken.CheckDb!.Clean);
            Assert.Equal(3, broken.CheckDb.ConsistencyErrors);
            Assert.Null(broken.Error);
            Assert.Equal("ONLINE", broken.FinalState);
            Assert.Contains(_host.Warnings, w => w.Contains("3 consistency errors"));
            Assert.Equal(2, _f.StatementsStartingWith("DBCC CHECKDB (@database)").Count);
        }

        [Fact]
        public async Task Done_means_a_new_connection_into_the_database_answered()
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            await RestoreOneAsync(FileRequest(HostingBak));
            var probe = _f.StatementsStartingWith("SELECT DB_NAME()").Single();
            Assert.Equal(Hosting, probe.Database);
            Assert.NotEqual(_f.StatementsStartingWith("RESTORE DATABASE").Single().ConnectionId, probe.ConnectionId);
        }

        [Fact]
        public async Task Statement_timeout_applies_when_set()
        {
            _f.AddBackup("hosting_full.bak", Hosting, TimeSpan.FromMinutes(10));
            var request = FileRequest(HostingBak);
            var result = await RestoreOneAsync(new SqlRestoreRequest
            {
                Server = request.Server,
                BackupFile = request.BackupFile,
                DatabaseNames = request.DatabaseNames,
                StatementTimeout = TimeSpan.FromSeconds(2),
            });
            Assert.Equal("StatementTimeout", result.ErrorId);
            Assert.Equal(DrErrorCategory.OperationTimeout, CategoryOf(result));
            Assert.Equal(StatementOutcome.Cancelled, _f.StatementsStartingWith("RESTORE DATABASE").Single().Outcome);
            Assert.Null(_f.Server.Catalog.FindDatabase(Hosting));
        }

        [Fact]
        public async Task Missing_backup_folder_fails_before_anything_is_sent()
        {
            var e = await Assert.ThrowsAsync<DrException>(() => RestoreAsync(
                new SqlRestoreRequest { Server = _f.Connection(), BackupPath = Path.Combine(_folder, "absent") }));
            Assert.Equal("BackupPathNotFound", e.ErrorId);
            Assert.True(e.IsPrecondition);
            Assert.Equal(0, _f.Server.LoginAttempts);
        }

        [Fact]
        public async Task Folder_without_a_backup_for_a_database_names_the_pattern()
        {
            LocalBackup("appservice_hosting_1.bak", Hosting, DateTime.UtcNow);
            var e = await Assert.ThrowsAsync<DrException>(() => RestoreAsync(
                new SqlRestoreRequest { Server = _f.Connection(), BackupPath = _folder }));
            Assert.Equal("NoBackupForDatabase", e.ErrorId);
            Assert.Equal(DrErrorCategory.ObjectNotFound, e.Category);
            Assert.Equal(Path.Combine(_folder, Metering + "*.bak"), e.Target);
            Assert.Equal(0, _f.Server.LoginAttempts);
        }

        [Theory]
        [InlineData("", "ServerInstanceMissing")]
        [InlineData(" ", "DatabaseNameInvalid")]
        [InlineData("dup", "DatabaseNameDuplicate")]
        [InlineData("two-sources", "BackupSourceInvalid")]
        [InlineData("script-no-name", "DatabaseNameRequired")]
        [InlineData("no-password", "CredentialMissing")]
        public async Task Bad_input_is_a_precondition_error(string variant, string errorId)
        {
            var request = variant switch
            {
                "" => new SqlRestoreRequest { BackupFile = HostingBak },
                " " => new SqlRestoreRequest { Server = _f.Connection(), BackupFile = HostingBak, DatabaseNames = new[] { " " } },
                "dup" => new SqlRestoreRequest { Server = _f.Connection(), BackupPath = _folder, DatabaseNames = new[] { "a", "A" } },
                "two-sources" => new SqlRestoreRequest { Server = _f.Connection(), BackupPath = _folder, BackupFile = HostingBak },
                "script-no-name" => new SqlRestoreRequest { Server = _f.Connection(), BackupFile = HostingBak, OutputScriptOnly = true },
                _ => new SqlRestoreRequest
                {
                    Server = new SqlServerConnectionInfo { ServerInstance = _f.Server.DataSource, Authentication = SqlAuthenticationKind.SqlLogin, UserName = "u" },
                    BackupFile = HostingBak,
                },
            };
            var e = await Assert.ThrowsAsync<DrException>(() => RestoreAsync(request));
            Assert.Equal(errorId, e.ErrorId);
            Assert.True(e.IsPrecondition);
            Assert.Equal(0, _f.Server.LoginAttempts);
        }

        [Fact]
        public void Connection_encrypts_by_default_and_holds_no_secret()
        {
            var text = SqlConnectionFactory.BuildConnectionString(new SqlServerConnectionInfo { ServerInstance = "sql01", Authentication = SqlAuthenticationKind.SqlLogin, UserName = "sa" }, "master");
            var builder = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(text);
            Assert.True(builder.Encrypt);
            Assert.False(builder.TrustServerCertificate);
            Assert.False(builder.IntegratedSecurity);
            Assert.False(builder.Pooling);
            Assert.Equal(string.Empty, builder.Password);
            Assert.Equal(string.Empty, builder.UserID);
            Assert.Equal(string.Empty, builder.ServerCertificate);
            var trusting = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(SqlConnectionFactory.BuildConnectionString(
                new SqlServerConnectionInfo { ServerInstance = "sql01", TrustServerCertificate = true }, "master"));
            Assert.True(trusting.TrustServerCertificate);
            Assert.True(trusting.IntegratedSecurity);
            var pinning = new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(SqlConnectionFactory.BuildConnectionString(
                new SqlServerConnectionInfo { ServerInstance = "sql01", ServerCertificate = "/etc/sql/server.cer" }, "master"));
            Assert.True(pinning.Encrypt);
            Assert.False(pinning.TrustServerCertificate);
            Assert.Equal("/etc/sql/server.cer", pinning.ServerCertificate);
        }
    }
}
