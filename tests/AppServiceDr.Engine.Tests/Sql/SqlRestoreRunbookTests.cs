using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>Seed 000's database restore as a journaled runbook, against the TDS server.</summary>
    public sealed class SqlRestoreRunbookTests : IDisposable
    {
        private const string Hosting = "appservice_hosting";
        private const string Metering = "appservice_metering";
        private readonly SimServerFixture _f = new SimServerFixture();
        private readonly TempDirectory _backups = new TempDirectory();
        private readonly TempDirectory _state = new TempDirectory();

        public void Dispose()
        {
            _f.Dispose();
            _backups.Dispose();
            _state.Dispose();
        }

        private SimBackup Backup(string database)
        {
            var path = _backups.Combine(database + "_20261121.bak");
            File.WriteAllText(path, "backup of " + database);
            return _f.Server.Catalog.AddBackup(SimBackup.Typical(path, database));
        }

        private SqlRestoreRequest Request(bool replace = false) => new SqlRestoreRequest
        {
            Server = _f.Connection(),
            BackupPath = _backups.Path,
            WithReplace = replace,
            CheckDb = true,
        };

        private int Restores(string database) =>
            _f.StatementsStartingWith("RESTORE DATABASE").Count(s => s.Parameters.Any(p => string.Equals(p.Value as string, database, StringComparison.Ordinal)));

        [Fact]
        public async Task Both_databases_are_restored_as_one_journaled_run_with_a_result_each()
        {
            Backup(Hosting);
            Backup(Metering);

            var report = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(SqlRestoreRunbook.Create(Request()), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(new[] { "database:" + Hosting, "database:" + Metering }, report.Steps.Select(s => s.StepId));
            var results = SqlRestoreRunbook.Results(report);
            Assert.All(results, r => Assert.Equal(SqlRestoreAction.Restored, r.Action));
            Assert.All(results, r => Assert.Equal("ONLINE", r.FinalState));
            Assert.All(results, r => Assert.True(r.CheckDb!.Clean));
            Assert.All(results, r => Assert.Contains("RESTORE DATABASE", r.Script));
            Assert.DoesNotContain(SimServerFixture.Password, File.ReadAllText(report.JournalPath!));
            Assert.Null(report.Inputs["Password"]);
            // The certificate to trust is journaled with the run, so a resume connects the same way.
            Assert.Equal(TestPki.ServerCertificateFile, report.Inputs["ServerCertificate"]);
        }

        [Fact]
        public async Task A_failed_database_is_retried_on_resume_and_the_restored_one_is_not_touched_again()
        {
            Backup(Hosting);
            var metering = Backup(Metering);
            metering.FailAtPercent = 40;
            var runner = new RunbookRunner(new RunStore(_state.Path));

            var first = await runner.RunAsync(SqlRestoreRunbook.Create(Request()), new RecordingHost());
            Assert.Equal(RunStatus.Failed, first.Status);
            Assert.Equal(StepOutcome.Failed, first.Steps.Single(s => s.StepId == "database:" + Metering).Outcome);
            Assert.Equal(1, Restores(Hosting));

            metering.FailAtPercent = null;
            var resumed = await runner.ResumeAsync(first.RunId, SqlRestoreRunbook.Create(Request()), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(1, Restores(Hosting));
            Assert.Equal(2, Restores(Metering));
            Assert.All(SqlRestoreRunbook.Results(resumed), r => Assert.Equal("ONLINE", r.FinalState));
        }

        [Fact]
        public async Task WhatIf_sends_nothing_that_changes_the_server_and_writes_no_journal()
        {
            Backup(Hosting);
            Backup(Metering);
            _f.AddDatabase(Hosting);
            var host = RecordingHost.WhatIf();

            var report = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(SqlRestoreRunbook.Create(Request(replace: true)), host, new RunOptions { WhatIf = true });

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Empty(_f.StatementsStartingWith("RESTORE DATABASE"));
            Assert.Empty(_f.StatementsStartingWith("ALTER DATABASE"));
            Assert.Contains(host.Questions, q => q.StartsWith(Hosting + ": Overwrite database"));
            Assert.Null(report.JournalPath);
        }

        [Fact]
        public void A_missing_backup_is_refused_when_the_runbook_is_built()
        {
            Backup(Hosting);
            var e = Assert.Throws<DrException>(() => SqlRestoreRunbook.Create(Request()));
            Assert.Equal("NoBackupForDatabase", e.ErrorId);
            Assert.Empty(_f.Server.Statements);
        }
    }
}
