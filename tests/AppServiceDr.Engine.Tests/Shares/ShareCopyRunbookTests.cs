using AppServiceDr.Testing;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Shares
{
    /// <summary>The file share restore as a journaled runbook: evidence in the journal, repeat runs that only compare.</summary>
    public sealed class ShareCopyRunbookTests : System.IDisposable
    {
        private readonly ShareTree _tree = new ShareTree();
        private readonly TempDirectory _state = new TempDirectory();

        public void Dispose()
        {
            _tree.Dispose();
            _state.Dispose();
        }

        private ShareCopyRequest Request() => new ShareCopyRequest { Source = _tree.Source, Destination = _tree.Destination, Verify = ShareVerifyMode.Copied };

        private Task<RunOutcome<ShareCopyResult>> RunAsync(ShareCopyRequest request, bool whatIf = false) =>
            new RunbookRunner(new RunStore(_state.Path)).RunAsync(new ShareCopyRunbook(), request,
                new RunContext(whatIf ? RecordingHost.WhatIf() : new RecordingHost(), new RunOptions { WhatIf = whatIf }));

        [Fact]
        public async Task The_copy_is_journaled_and_a_second_run_only_compares()
        {
            _tree.AddFile("site1/wwwroot/index.html", 2000);
            _tree.AddFile("site2/wwwroot/app.dll", 70_000, seed: 3);
            _tree.AddDir("site3/empty");
            var outcome = await RunAsync(Request());
            var first = outcome.Report;
            var result = outcome.TypedResults.Single();

            Assert.Equal(RunStatus.Succeeded, first.Status);
            _tree.AssertIdentical();
            Assert.Equal(2, result!.Files.Copied);
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("copied 2 file(s)", first.Steps.Single().Changes.Single());

            outcome = await RunAsync(Request());
            var second = outcome.Report;
            result = outcome.TypedResults.Single();

            Assert.Equal(StepOutcome.AlreadyDone, second.Steps.Single().Outcome);
            Assert.Equal(0, result!.Files.Copied);
            Assert.Equal(2, result.Files.Skipped);
            Assert.Empty(second.Steps.Single().Changes);
        }

        [Fact]
        public async Task Bad_input_is_refused_before_a_run_is_journaled_or_anything_written()
        {
            _tree.AddFile("a.txt", 100);
            var inside = new ShareCopyRequest { Source = _tree.Source, Destination = Path.Combine(_tree.Source, "restore") };
            Assert.Equal("FileShareDestinationInsideSource", (await Assert.ThrowsAsync<DrException>(() => RunAsync(inside))).ErrorId);
            var missing = new ShareCopyRequest { Source = Path.Combine(_tree.Root, "nope"), Destination = _tree.Destination };
            var e = await Assert.ThrowsAsync<DrException>(() => RunAsync(missing));
            Assert.Equal("FileShareSourceNotFound", e.ErrorId);
            Assert.True(e.IsPrecondition);
            Assert.False(Directory.Exists(_tree.Destination));
            Assert.False(Directory.Exists(Path.Combine(_tree.Source, "restore")));
            Assert.False(Directory.Exists(Path.Combine(_state.Path, "runs")));
        }

        [Fact]
        public async Task A_failed_copy_resumes_from_the_journal_and_completes()
        {
            _tree.AddFile("a.txt", 100);
            // The destination cannot be created (a file stands where its parent folder should be): the step fails.
            var blocked = Path.Combine(_tree.Root, "blocked");
            File.WriteAllText(blocked, "");
            var first = (await RunAsync(new ShareCopyRequest { Source = _tree.Source, Destination = Path.Combine(blocked, "dst") })).Report;
            Assert.Equal(RunStatus.Failed, first.Status);

            File.Delete(blocked);
            var resumed = await Outcomes.ResumeAsync(new RunStore(_state.Path), first, new RunContext(new RecordingHost()));

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.True(File.Exists(Path.Combine(blocked, "dst", "a.txt")));
        }

        [Fact]
        public async Task WhatIf_writes_nothing_and_reports_the_plan()
        {
            _tree.AddFile("site1/index.html", 500);
            var outcome = await RunAsync(Request(), whatIf: true);
            var report = outcome.Report;
            var result = outcome.TypedResults.Single();

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.True(result!.IsPlan);
            Assert.Equal(1, result.Files.Copied);
            Assert.False(Directory.Exists(_tree.Destination) && ShareTree.Entries(_tree.Destination).Count > 0);
        }
    }
}
