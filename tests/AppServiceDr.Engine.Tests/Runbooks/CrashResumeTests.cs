using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Engine.TestHost;

namespace AppServiceDr.Engine.Tests.Runbooks
{
    /// <summary>A real process running a runbook is killed (SIGKILL) mid-step; the run is then resumed and
    /// every side effect must end up applied exactly once.</summary>
    public class CrashResumeTests
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

        [Fact]
        public async Task Killed_before_the_side_effect_resumes_and_applies_each_effect_once()
        {
            using var state = new TempDirectory();
            using var ledger = new TempDirectory();
            File.WriteAllText(ledger.Combine("apply.hold"), "");

            using (var child = TestHostProcess.Start("ledger-runbook", state.Path, ledger.Path))
            {
                await child.WaitUntilAsync(() => File.Exists(ledger.Combine("apply.entered")), Patience, "the apply step to start");
                child.Kill();
            }
            File.Delete(ledger.Combine("apply.hold"));

            var store = new RunStore(state.Path);
            var crashed = store.List().Single();
            Assert.Equal(RunStatus.Incomplete, crashed.Status);
            Assert.Equal(StepOutcome.Succeeded, crashed.Steps.Single(s => s.StepId == "prepare").Outcome);
            Assert.Equal(StepOutcome.Running, crashed.Steps.Single(s => s.StepId == "apply").Outcome);
            Assert.DoesNotContain("apply", LedgerRunbook.Lines(LedgerRunbook.EffectsPath(ledger.Path)));

            var report = await new RunbookRunner(store).ResumeAsync(crashed.RunId, LedgerRunbook.Create(ledger.Path), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(2, report.Attempts);
            var effects = LedgerRunbook.Lines(LedgerRunbook.EffectsPath(ledger.Path));
            foreach (var id in LedgerRunbook.StepIds) Assert.Equal(1, effects.Count(e => e == id));
            var invocations = LedgerRunbook.Lines(LedgerRunbook.InvocationsPath(ledger.Path));
            var evidence = "invocations: " + string.Join(",", invocations) + "\njournal:\n" + File.ReadAllText(report.JournalPath!);
            Assert.True(invocations.Count(i => i == "prepare") == 1, "prepare completed before the crash and must not run again. " + evidence);
            Assert.True(invocations.Count(i => i == "apply") == 2, "apply was interrupted and must run again. " + evidence);
            Assert.Equal(2, report.Steps.Single(s => s.StepId == "apply").Attempts);
        }

        [Fact]
        public async Task Killed_after_the_side_effect_resumes_without_repeating_it()
        {
            using var state = new TempDirectory();
            using var ledger = new TempDirectory();
            File.WriteAllText(ledger.Combine("finish.hold-after"), "");

            using (var child = TestHostProcess.Start("ledger-runbook", state.Path, ledger.Path))
            {
                await child.WaitUntilAsync(() => File.Exists(ledger.Combine("finish.applied")), Patience, "the finish step to apply its change");
                child.Kill();
            }
            File.Delete(ledger.Combine("finish.hold-after"));

            var store = new RunStore(state.Path);
            var runId = store.List().Single().RunId;
            // The journal already holds the change the killed process recorded.
            Assert.Contains("appended 'finish'", store.Get(runId).Steps.Single(s => s.StepId == "finish").Changes);

            // Resume in a second real process, as an administrator would after a reboot.
            using (var again = TestHostProcess.Start("ledger-runbook", state.Path, ledger.Path, runId))
                Assert.Equal(0, await again.WaitForExitAsync(Patience));

            var report = store.Get(runId);
            Assert.Equal(RunStatus.Succeeded, report.Status);
            var effects = LedgerRunbook.Lines(LedgerRunbook.EffectsPath(ledger.Path));
            Assert.Equal(LedgerRunbook.StepIds.OrderBy(x => x), effects.OrderBy(x => x));
            var finish = report.Steps.Single(s => s.StepId == "finish");
            Assert.Equal(StepOutcome.AlreadyDone, finish.Outcome);
            Assert.Equal(2, finish.Attempts);
            Assert.Single(finish.Changes);
        }

        [Fact]
        public async Task Resuming_a_finished_run_changes_nothing()
        {
            using var state = new TempDirectory();
            using var ledger = new TempDirectory();
            var runner = new RunbookRunner(new RunStore(state.Path));
            var first = await runner.RunAsync(LedgerRunbook.Create(ledger.Path), new RecordingHost());
            Assert.Equal(RunStatus.Succeeded, first.Status);
            var invocationsBefore = LedgerRunbook.Lines(LedgerRunbook.InvocationsPath(ledger.Path)).Length;

            var again = await runner.ResumeAsync(first.RunId, LedgerRunbook.Create(ledger.Path), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, again.Status);
            Assert.Equal(invocationsBefore, LedgerRunbook.Lines(LedgerRunbook.InvocationsPath(ledger.Path)).Length);
            Assert.Equal(4, LedgerRunbook.Lines(LedgerRunbook.EffectsPath(ledger.Path)).Length);
        }

        [Fact]
        public async Task A_second_process_cannot_run_the_same_run_at_once()
        {
            using var state = new TempDirectory();
            using var ledger = new TempDirectory();
            File.WriteAllText(ledger.Combine("prepare.hold"), "");
            using var child = TestHostProcess.Start("ledger-runbook", state.Path, ledger.Path);
            await child.WaitUntilAsync(() => File.Exists(ledger.Combine("prepare.entered")), Patience, "the prepare step to start");
            var store = new RunStore(state.Path);
            var live = store.List().Single();
            Assert.Equal(RunStatus.Running, live.Status);

            var ex = await Assert.ThrowsAsync<DrException>(() =>
                new RunbookRunner(store).ResumeAsync(live.RunId, LedgerRunbook.Create(ledger.Path), new RecordingHost()));

            Assert.Equal("RunInProgress", ex.ErrorId);
            Assert.Empty(LedgerRunbook.Lines(LedgerRunbook.EffectsPath(ledger.Path)));
            child.Kill();
        }
    }
}
