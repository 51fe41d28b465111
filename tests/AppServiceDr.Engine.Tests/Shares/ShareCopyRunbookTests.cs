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

        [Fact]
        public async Task The_copy_is_journaled_and_a_second_run_only_compares()
        {
            _tree.AddFile("site1/wwwroot/index.html", 2000);
            _tree.AddFile("site2/wwwroot/app.dll", 70_000, seed: 3);
            _tree.AddDir("site3/empty");
            var runner = new RunbookRunner(new RunStore(_state.Path));
            ShareCopyResult? result = null;

            var first = await runner.RunAsync(ShareCopyRunbook.Create(Request(), r => result = r), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, first.Status);
            _tree.AssertIdentical();
            Assert.Equal(2, result!.Files.Copied);
            Assert.Equal("1", first.Steps.Single().Outputs["ExitCode"]);
            Assert.Contains("copied 2 file(s)", first.Steps.Single().Changes.Single());

            var second = await runner.RunAsync(ShareCopyRunbook.Create(Request(), r => result = r), new RecordingHost());

            Assert.Equal(StepOutcome.AlreadyDone, second.Steps.Single().Outcome);
            Assert.Equal(0, result!.Files.Copied);
            Assert.Equal(2, result.Files.Skipped);
            Assert.Empty(second.Steps.Single().Changes);
        }

        [Fact]
        public void Bad_input_is_refused_before_a_run_is_journaled_or_anything_written()
        {
            _tree.AddFile("a.txt", 100);
            var inside = new ShareCopyRequest { Source = _tree.Source, Destination = Path.Combine(_tree.Source, "restore") };
            Assert.Equal("FileShareDestinationInsideSource", Assert.Throws<DrException>(() => ShareCopyRunbook.Create(inside, _ => { })).ErrorId);
            var missing = new ShareCopyRequest { Source = Path.Combine(_tree.Root, "nope"), Destination = _tree.Destination };
            var e = Assert.Throws<DrException>(() => ShareCopyRunbook.Create(missing, _ => { }));
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
            var runner = new RunbookRunner(new RunStore(_state.Path));
            // The destination cannot be created (a file stands where its parent folder should be): the step fails.
            var blocked = Path.Combine(_tree.Root, "blocked");
            File.WriteAllText(blocked, "");
            var first = await runner.RunAsync(ShareCopyRunbook.Create(new ShareCopyRequest { Source = _tree.Source, Destination = Path.Combine(blocked, "dst") }, _ => { }), new RecordingHost());
            Assert.Equal(RunStatus.Failed, first.Status);

            File.Delete(blocked);
            var inputs = new RunStore(_state.Path).GetInputs(first.RunId);
            var resumed = await runner.ResumeAsync(first.RunId, ShareCopyRunbook.Create(ShareCopyRunbook.RequestFromJournal(inputs, null), _ => { }), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.True(File.Exists(Path.Combine(blocked, "dst", "a.txt")));
        }

        [Fact]
        public async Task WhatIf_writes_nothing_and_reports_the_plan()
        {
            _tree.AddFile("site1/index.html", 500);
            ShareCopyResult? result = null;

            var report = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(ShareCopyRunbook.Create(Request(), r => result = r), RecordingHost.WhatIf(), new RunOptions { WhatIf = true });

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.True(result!.IsPlan);
            Assert.Equal(1, result.Files.Copied);
            Assert.False(Directory.Exists(_tree.Destination) && ShareTree.Entries(_tree.Destination).Count > 0);
        }
    }
}
