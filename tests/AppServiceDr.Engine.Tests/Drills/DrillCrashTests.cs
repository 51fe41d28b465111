using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.TestHost;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Sql;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>A point-in-time drill run by a real process that is killed (SIGKILL) while the restore of its copy runs;
    /// -Resume follows the restore it started, finishes the drill and deletes the copy: nothing is left behind and
    /// nothing was restored twice.</summary>
    public sealed class DrillCrashTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync()
        {
            // A slow restore, so the process can be caught while it follows the operation.
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.DatabaseOnlineMs = 6000; o.Timings.OperationMs = 300; });
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
                SqlProvider.SeedDatabase(s, West, "AppRequestPortal", DateTimeOffset.UtcNow.AddDays(-7), DateTimeOffset.UtcNow.AddMinutes(-4));
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private bool JournalHas(string text)
        {
            var runs = Path.Combine(_state.Path, "runs");
            if (!Directory.Exists(runs)) return false;
            var journal = Directory.EnumerateFiles(runs, "*.jsonl").SingleOrDefault();
            if (journal == null) return false;
            using var reader = new StreamReader(new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return reader.ReadToEnd().Contains(text, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Killed_while_the_copy_is_restored_the_resumed_drill_follows_the_restore_and_leaves_nothing_behind()
        {
            var certificate = _state.Combine("fabric.cer");
            File.WriteAllBytes(certificate, _fabric.Server.Certificate.Export(X509ContentType.Cert));
            var copy = West + "/databases/" + SqlDrillCommand.DrillDatabase;

            using (var child = TestHostProcess.Start("sql-drill", _state.Path, _fabric.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), certificate, Sub))
            {
                await child.WaitUntilAsync(() => JournalHas("\"key\":\"operation\""), TimeSpan.FromSeconds(90), "the restore of the drill copy to be started and checkpointed");
                child.Kill();
            }
            var store = new RunStore(_state.Path);
            var crashed = store.List().Single();
            Assert.Equal(RunStatus.Incomplete, crashed.Status);
            Assert.True(_fabric.Server.Query(s => s.Arm.Find(copy) != null), "the killed drill left its copy");

            var outcome = await new RunbookRunner(store).ResumeAsync(crashed.RunId, SqlPointInTimeDrillRunbook.CommandName,
                new Dictionary<string, object?>(), new RunContext(new RecordingHost(), new RunOptions(), FailoverRunbookCommand.Environment(_fabric.Server.Port, _fabric.Server.Certificate)));

            var evidence = string.Join("\n", _fabric.Server.Log.Entries.Select(e => $"{e.Method} {e.Path} {e.Status}"));
            var result = outcome.Results.OfType<DrillTestResult>().Single();
            Assert.True(outcome.Report.Status == RunStatus.Succeeded, string.Join("; ", result.Checks) + "\n" + evidence);
            Assert.Equal(2, outcome.Report.Attempts);
            Assert.True(result.CleanedUp);
            Assert.Empty(result.Leftovers);
            Assert.False(_fabric.Server.Query(s => s.Arm.Find(copy) != null), evidence);
            // Restored once across the killed process and the resumed drill; deleted once.
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/" + SqlDrillCommand.DrillDatabase));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("DELETE", "/databases/" + SqlDrillCommand.DrillDatabase));
            Assert.Equal(DrillStatus.Pass, result.Status);
        }
    }
}
