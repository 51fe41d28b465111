using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Shares
{
    public sealed class ShareCopyResumeTests : IDisposable
    {
        private readonly ShareTree _t = new ShareTree();

        public void Dispose() => _t.Dispose();

        [Fact]
        public async Task A_copy_killed_in_the_middle_of_a_large_file_resumes_where_it_stopped()
        {
            const int size = 48 * 1024 * 1024;
            for (var i = 0; i < 30; i++) _t.AddFile($"small/s{i}.txt", 1000 + i);
            _t.AddFile("big/large.bin", size);
            _t.AddDir("empty");
            var partial = _t.Dst("big/.large.bin.dr-partial");

            using (var host = TestHostProcess.Start("fileshare-copy", _t.Source, _t.Destination, "--slow-after", (8 * 1024 * 1024).ToString(), "--delay-ms", "1000"))
            {
                await host.WaitUntilAsync(() => File.Exists(partial) && new FileInfo(partial).Length >= 12 * 1024 * 1024,
                    TimeSpan.FromMinutes(3), "the large file to be partly written");
                host.Kill();
                Assert.DoesNotContain("DONE", host.Output, StringComparison.Ordinal);
            }

            // Nothing under a final name is ever truncated: each final file is complete and equal to its source.
            Assert.False(File.Exists(_t.Dst("big/large.bin")));
            foreach (var f in Directory.EnumerateFiles(_t.Destination, "*", SearchOption.AllDirectories).Where(p => !p.EndsWith(".dr-partial", StringComparison.Ordinal) && !p.EndsWith(".dr-partinfo", StringComparison.Ordinal)))
            {
                var rel = Path.GetRelativePath(_t.Destination, f);
                Assert.Equal(ShareTree.Sha(_t.Src(rel)), ShareTree.Sha(f));
            }
            var partialLength = new FileInfo(partial).Length;
            Assert.True(partialLength < size);

            var result = await new ShareCopier().CopyAsync(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, Verify = ShareVerifyMode.Copied },
                new RecordingHost(), CancellationToken.None);

            Assert.True(result.BytesResumed >= 8 * 1024 * 1024, $"resumed {result.BytesResumed} of a {partialLength}-byte partial");
            Assert.True(result.BytesTransferred <= size - result.BytesResumed + 31 * 1100);
            Assert.Equal(0, result.Files.Mismatch);
            Assert.Equal(0, result.Files.Failed);
            _t.AssertIdentical();
            Assert.Empty(ShareTree.TempFiles(_t.Destination));

            var rerun = await new ShareCopier().CopyAsync(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination },
                new RecordingHost(), CancellationToken.None);
            Assert.Equal(0, rerun.BytesTransferred);
            Assert.Equal(0, rerun.ExitCode);
        }
    }
}
