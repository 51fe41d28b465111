using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.TestHost;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Engine.Tests.Failover
{
    /// <summary>The region failover run by a real process that is killed (SIGKILL) while the failover-group
    /// operation it started is still running; the run is then resumed and every change happens exactly once.</summary>
    public sealed class FailoverCrashTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync()
        {
            // Long operations, so the process can be caught while it polls one.
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.OperationMs = 4000; o.Timings.SiteWarmupMs = 200; });
            _fabric.Server.Control(s => HighAvailabilitySetup.Seed(s, Sub, DateTimeOffset.UtcNow.AddMinutes(-3)));
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private int Succeeded(string method, string pathPart) => _fabric.Server.Log.CountSucceeded(method, pathPart);

        [Fact]
        public async Task Killed_while_the_failover_operation_runs_the_resumed_run_follows_it_instead_of_starting_another()
        {
            var certificate = _state.Combine("fabric.cer");
            File.WriteAllBytes(certificate, _fabric.Server.Certificate.Export(X509ContentType.Cert));
            var journalHasOperation = new Func<bool>(() =>
            {
                var runs = Path.Combine(_state.Path, "runs");
                if (!Directory.Exists(runs)) return false;
                var journal = Directory.EnumerateFiles(runs, "*.jsonl").SingleOrDefault();
                if (journal == null) return false;
                using var reader = new StreamReader(new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
                var text = reader.ReadToEnd();
                return text.Contains("\"kind\":\"Checkpoint\"") && text.Contains("\"key\":\"operation\"");
            });

            using (var child = TestHostProcess.Start("failover-runbook", _state.Path, _fabric.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), certificate, Sub))
            {
                await child.WaitUntilAsync(journalHasOperation, TimeSpan.FromSeconds(90), "a failover operation to be started and checkpointed");
                child.Kill();
            }
            var store = new RunStore(_state.Path);
            var crashed = store.List().Single();
            Assert.Equal(RunStatus.Incomplete, crashed.Status);
            var startedBeforeCrash = Succeeded("POST", "/failover");

            var environment = FailoverRunbookCommand.Environment(_fabric.Server.Port, _fabric.Server.Certificate);
            var outcome = await new RunbookRunner(store).ResumeAsync(crashed.RunId, new RegionFailoverRunbook().Command,
                new System.Collections.Generic.Dictionary<string, object?>(), new RunContext(new RecordingHost(), new RunOptions(), environment));
            var resumed = outcome.Report;

            var evidence = string.Join("\n", _fabric.Server.Log.Entries.Select(e => $"{e.Method} {e.Path} {e.Status} {e.Fault}"));
            Assert.True(resumed.Status == RunStatus.Succeeded, string.Join("; ", resumed.Steps.Select(s => $"{s.StepId} {s.Outcome} {s.Error}")) + "\n" + evidence);
            Assert.Equal(2, resumed.Attempts);
            Assert.True(startedBeforeCrash >= 1, evidence);
            // Every change exactly once, across the killed process and the resumed run.
            Assert.True(Succeeded("POST", "/failoverGroups/apprequest-fog/failover") == 1, evidence);
            Assert.True(Succeeded("POST", "/storageAccounts/stapprequest/failover") == 1, evidence);
            Assert.True(Succeeded("POST", "/sites/app-east/restart") == 1, evidence);
            Assert.DoesNotContain(_fabric.Server.Log.Entries, e => e.Path.Contains("forceFailoverAllowDataLoss"));
        }
    }
}
