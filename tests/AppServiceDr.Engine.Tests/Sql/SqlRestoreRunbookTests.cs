using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
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

            var outcome = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlRestoreRunbook(), Request(), new RunContext(new RecordingHost()));
            var report = outcome.Report;

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(new[] { "database:" + Hosting, "database:" + Metering }, report.Steps.Select(s => s.StepId));
            var results = outcome.TypedResults;
            Assert.All(results, r => Assert.Equal(SqlRestoreAction.Restored, r.Action));
            Assert.All(results, r => Assert.Equal("ONLINE", r.FinalState));
            Assert.All(results, r => Assert.True(r.CheckDb!.Clean));
            Assert.All(results, r => Assert.Contains("RESTORE DATABASE", r.Script));
            Assert.DoesNotContain(SimServerFixture.Password, File.ReadAllText(report.JournalPath!));
            // The credential is named as given but never recorded; -Resume asks for it again.
            Assert.True(report.Inputs.ContainsKey("Credential"));
            Assert.Null(report.Inputs["Credential"]);
            // The certificate to trust is journaled with the run, so a resume connects the same way.
            Assert.Equal(TestPki.ServerCertificateFile, report.Inputs["Server.ServerCertificate"]);
        }

        [Fact]
        public async Task A_failed_database_is_retried_on_resume_and_the_restored_one_is_not_touched_again()
        {
            Backup(Hosting);
            var metering = Backup(Metering);
            metering.FailAtPercent = 40;
            var runner = new RunbookRunner(new RunStore(_state.Path));

            var first = (await runner.RunAsync(new SqlRestoreRunbook(), Request(), new RunContext(new RecordingHost()))).Report;
            Assert.Equal(RunStatus.Failed, first.Status);
            Assert.Equal(StepOutcome.Failed, first.Steps.Single(s => s.StepId == "database:" + Metering).Outcome);
            Assert.Equal(1, Restores(Hosting));

            metering.FailAtPercent = null;
            var resumed = await runner.ResumeAsync(first.RunId, "Restore-AppServiceDatabase",
                new Dictionary<string, object?> { ["Credential"] = TestSecrets.Secure(SimServerFixture.Password) }, new RunContext(new RecordingHost()));

            Assert.Equal(RunStatus.Succeeded, resumed.Report.Status);
            Assert.Equal(1, Restores(Hosting));
            Assert.Equal(2, Restores(Metering));
            Assert.Equal(2, resumed.Results.Count);
            Assert.All(resumed.Results.Cast<SqlRestoreResult>(), r => Assert.Equal("ONLINE", r.FinalState));
        }

        [Fact]
        public async Task WhatIf_sends_nothing_that_changes_the_server_and_writes_no_journal()
        {
            Backup(Hosting);
            Backup(Metering);
            _f.AddDatabase(Hosting);
            var host = RecordingHost.WhatIf();

            var report = (await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlRestoreRunbook(), Request(replace: true), new RunContext(host, new RunOptions { WhatIf = true }))).Report;

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Empty(_f.StatementsStartingWith("RESTORE DATABASE"));
            Assert.Empty(_f.StatementsStartingWith("ALTER DATABASE"));
            Assert.Contains(host.Questions, q => q.StartsWith(Hosting + ": Overwrite database"));
            Assert.Null(report.JournalPath);
        }

        [Fact]
        public async Task A_missing_backup_is_refused_before_the_server_is_contacted()
        {
            Backup(Hosting);
            var e = await Assert.ThrowsAsync<DrException>(() => new RunbookRunner(new RunStore(_state.Path)).RunAsync(new SqlRestoreRunbook(), Request(), new RunContext(new RecordingHost())));
            Assert.Equal("NoBackupForDatabase", e.ErrorId);
            Assert.Empty(_f.Server.Statements);
        }
    }
}
