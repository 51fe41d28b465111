using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Shares
{
    public sealed class ShareCopierTests : IDisposable
    {
        private readonly ShareTree _t = new ShareTree();

        public void Dispose() => _t.Dispose();

        private ShareCopyRequest Request(bool mirror = false, ShareVerifyMode verify = ShareVerifyMode.None) => new ShareCopyRequest
        {
            Source = _t.Source,
            Destination = _t.Destination,
            Mirror = mirror,
            Verify = verify,
            RetryWait = TimeSpan.FromMilliseconds(10),
        };

        private static Task<ShareCopyResult> Copy(ShareCopyRequest request, IDrHost? host = null, ShareCopyHooks? hooks = null) =>
            new ShareCopier(hooks: hooks).CopyAsync(request, host ?? new RecordingHost(), CancellationToken.None);

        private void SampleTree()
        {
            _t.AddFile("a.txt", 100);
            _t.AddFile("sub/b.bin", 70_000);
            _t.AddFile("sub/deeper/c.bin", 1);
            _t.AddFile("zero.bin", 0);
            _t.AddDir("empty");
            _t.AddDir("sub/empty-too");
        }

        [Fact]
        public async Task Copies_every_directory_including_empty_ones_and_preserves_times()
        {
            SampleTree();
            var dirTime = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            Directory.SetLastWriteTimeUtc(_t.Src("sub"), dirTime);

            var result = await Copy(Request());

            _t.AssertIdentical();
            Assert.Equal(4, result.Files.Copied);
            Assert.Equal(4, result.Files.Total);
            Assert.Equal(5, result.Dirs.Total); // root, empty, sub, sub/deeper, sub/empty-too
            Assert.Equal(100 + 70_000 + 1, result.Bytes.Copied);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal(dirTime, Directory.GetLastWriteTimeUtc(_t.Dst("sub")));
            Assert.Empty(ShareTree.TempFiles(_t.Destination));
            Assert.False(result.IsPlan);
        }

        [Fact]
        public async Task Second_run_skips_identical_files_and_only_compares_metadata()
        {
            SampleTree();
            await Copy(Request());
            var before = File.GetLastWriteTimeUtc(_t.Dst("sub"));

            var result = await Copy(Request());

            Assert.Equal(0, result.Files.Copied);
            Assert.Equal(4, result.Files.Skipped);
            Assert.Equal(0, result.BytesTransferred);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(result.Dirs.Total, result.Dirs.Skipped);
            Assert.Equal(before, File.GetLastWriteTimeUtc(_t.Dst("sub")));
        }

        [Fact]
        public async Task Changed_size_or_changed_time_is_copied_again()
        {
            SampleTree();
            await Copy(Request());
            File.WriteAllBytes(_t.Src("a.txt"), new byte[101]);
            File.SetLastWriteTimeUtc(_t.Src("a.txt"), new DateTime(2022, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            var b = _t.Src("sub/b.bin");
            var bytes = File.ReadAllBytes(b);
            bytes[5] ^= 0xFF;
            var time = File.GetLastWriteTimeUtc(b);
            File.WriteAllBytes(b, bytes);
            File.SetLastWriteTimeUtc(b, time.AddSeconds(3)); // same size, newer time

            var result = await Copy(Request());

            Assert.Equal(2, result.Files.Copied);
            Assert.Equal(2, result.Files.Skipped);
            Assert.Equal(new[] { "a.txt", Path.Combine("sub", "b.bin") }, result.Copied.Where(i => i.Kind == ShareItemKind.File).Select(i => i.RelativePath).OrderBy(p => p, StringComparer.Ordinal));
            _t.AssertIdentical();
        }

        [Fact]
        public async Task Mirror_removes_extras_after_asking_for_each_and_confirming_once()
        {
            SampleTree();
            await Copy(Request());
            File.WriteAllText(_t.Dst("extra.txt"), "x");
            Directory.CreateDirectory(_t.Dst("gone/inner"));
            File.WriteAllText(_t.Dst("gone/inner/f.txt"), "abc");
            var host = new RecordingHost();

            var result = await Copy(Request(mirror: true), host);

            _t.AssertIdentical();
            Assert.Equal(2, result.Files.Extras);
            Assert.Equal(2, result.Dirs.Extras);
            Assert.Equal(4, result.Bytes.Extras);
            Assert.All(result.Extras, e => Assert.Equal(ShareItemAction.Deleted, e.Action));
            Assert.Single(host.Questions, q => q.StartsWith("continue?", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith(_t.Dst("extra.txt") + ": Remove extra file", StringComparison.Ordinal));
            Assert.Contains(host.Questions, q => q.StartsWith(_t.Dst("gone") + ": Remove extra directory", StringComparison.Ordinal));
            Assert.Equal(2, result.ExitCode & 2);
        }

        [Fact]
        public async Task WhatIf_lists_what_would_be_copied_and_deleted_and_writes_nothing()
        {
            SampleTree();
            await Copy(Request());
            File.WriteAllText(_t.Dst("extra.txt"), "x");
            _t.AddFile("new.txt", 10);
            var before = ShareTree.Entries(_t.Destination);
            var log = Path.Combine(_t.Root, "plan.log");
            var host = RecordingHost.WhatIf();

            var result = await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, Mirror = true, LogPath = log }, host);

            Assert.True(result.IsPlan);
            Assert.Equal(before, ShareTree.Entries(_t.Destination));
            Assert.True(File.Exists(_t.Dst("extra.txt")));
            Assert.False(File.Exists(log));
            var extra = Assert.Single(result.Extras);
            Assert.Equal(ShareItemAction.WouldDelete, extra.Action);
            var copied = Assert.Single(result.Copied);
            Assert.Equal(("new.txt", ShareItemAction.WouldCopy), (copied.RelativePath, copied.Action));
            Assert.Contains(host.Questions, q => q.StartsWith(_t.Dst("extra.txt") + ": Remove extra file", StringComparison.Ordinal));
            Assert.DoesNotContain(host.Questions, q => q.StartsWith("continue?", StringComparison.Ordinal));
        }

        [Fact]
        public async Task WhatIf_into_a_missing_destination_creates_nothing()
        {
            SampleTree();
            var result = await Copy(Request(mirror: true), RecordingHost.WhatIf());
            Assert.False(Directory.Exists(_t.Destination));
            Assert.Equal(4, result.Files.Copied);
            Assert.Equal(result.Dirs.Total, result.Dirs.Copied);
            Assert.All(result.Copied, i => Assert.Equal(ShareItemAction.WouldCopy, i.Action));
        }

        [Fact]
        public async Task Declined_mirror_keeps_extras_and_without_mirror_extras_are_only_reported()
        {
            SampleTree();
            await Copy(Request());
            File.WriteAllText(_t.Dst("extra.txt"), "x");

            var declined = await Copy(Request(mirror: true), new RecordingHost(shouldContinue: (_, _) => false));
            var plain = await Copy(Request());

            Assert.True(File.Exists(_t.Dst("extra.txt")));
            Assert.Equal(ShareItemAction.KeptExtra, Assert.Single(declined.Extras).Action);
            Assert.Equal(ShareItemAction.KeptExtra, Assert.Single(plain.Extras).Action);
            Assert.Equal(2, plain.ExitCode);
        }

        [Fact]
        public async Task Verify_all_detects_a_corrupted_byte_with_equal_size_and_time_and_repairs_it()
        {
            SampleTree();
            await Copy(Request(verify: ShareVerifyMode.Copied));
            var target = _t.Dst("sub/b.bin");
            var time = File.GetLastWriteTimeUtc(target);
            var bytes = File.ReadAllBytes(target);
            bytes[1234] ^= 0x01;
            File.WriteAllBytes(target, bytes);
            File.SetLastWriteTimeUtc(target, time);

            var metadataOnly = await Copy(Request(verify: ShareVerifyMode.Copied));
            Assert.Equal(0, metadataOnly.Files.Mismatch);

            var host = new RecordingHost();
            var result = await Copy(Request(verify: ShareVerifyMode.All), host);

            Assert.Equal(1, result.Files.Mismatch);
            Assert.Equal(Path.Combine("sub", "b.bin"), Assert.Single(result.Mismatches).RelativePath);
            Assert.Equal(4, result.ExitCode & 4);
            Assert.Contains(host.Warnings, w => w.Contains("b.bin", StringComparison.Ordinal));
            _t.AssertIdentical();
        }

        [Fact]
        public async Task A_file_that_keeps_failing_is_retried_then_reported_while_the_rest_completes()
        {
            SampleTree();
            var tries = 0;
            var hooks = new ShareCopyHooks
            {
                BeforeOpenSource = (rel, attempt) =>
                {
                    if (rel != "a.txt") return;
                    Interlocked.Increment(ref tries);
                    throw new IOException("The process cannot access the file because it is being used by another process.");
                },
            };
            var host = new RecordingHost();
            var request = new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, RetryCount = 2, RetryWait = TimeSpan.FromMilliseconds(5) };

            var result = await Copy(request, host, hooks);

            Assert.Equal(3, tries);
            Assert.Equal(1, result.Files.Failed);
            Assert.Equal(3, result.Files.Copied);
            var failure = Assert.Single(result.Failures);
            Assert.Equal("a.txt", failure.RelativePath);
            Assert.Contains("3 tries", failure.Message, StringComparison.Ordinal);
            Assert.Equal(8 | 1, result.ExitCode);
            Assert.Contains(host.Warnings, w => w.Contains("a.txt", StringComparison.Ordinal));
            Assert.False(File.Exists(_t.Dst("a.txt")));
            Assert.True(File.Exists(_t.Dst("sub/deeper/c.bin")));
            Assert.Empty(ShareTree.TempFiles(_t.Destination));
        }

        [Fact]
        public async Task A_transient_failure_is_retried_and_the_file_copied()
        {
            SampleTree();
            var hooks = new ShareCopyHooks
            {
                BeforeOpenSource = (rel, attempt) => { if (rel == "a.txt" && attempt < 2) throw new IOException("busy"); },
            };
            var result = await Copy(Request(), hooks: hooks);
            Assert.Equal(0, result.Files.Failed);
            _t.AssertIdentical();
        }

        [LinuxFact("FIFOs are made with mkfifo(1) and refused by the Linux copy path")]
        public async Task A_fifo_in_the_source_is_reported_and_does_not_block_the_copy()
        {
            SampleTree();
            var fifo = _t.Src("pipe");
            using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo)) mk.WaitForExit();
            Assert.True(File.Exists(fifo));

            var result = await Copy(Request());

            Assert.Equal(1, result.Files.Failed);
            Assert.Equal("pipe", Assert.Single(result.Failures).RelativePath);
            Assert.Equal(4, result.Files.Copied);
            Assert.False(File.Exists(_t.Dst("pipe")));
        }

        [Fact]
        public async Task Unusual_names_and_long_paths_are_copied()
        {
            var names = new List<string>
            {
                "with space.txt", " leading space", "-leading-dash", "--help", "-rf", "ünïcödé 文件.txt",
                "emoji-😀.bin", "semi;colon&amp$dollar", ".hidden", new string('n', 250),
            };
            // Windows refuses these characters in a name (and drops a trailing space), so they are tried elsewhere only.
            if (!OperatingSystem.IsWindows())
                names.AddRange(new[] { "trailing space ", "quote'\"s", "back\\slash", "new\nline", "tab\tname", "*star?" });
            foreach (var n in names) _t.AddFile(Path.Combine("-dir with space", n), 17);
            var deep = string.Join("/", Enumerable.Range(0, 30).Select(i => "level-" + i + "-" + new string('d', 10)));
            _t.AddFile(deep + "/deep-file.txt", 33);
            Assert.True(_t.Src(deep).Length > 400);

            var result = await Copy(Request());

            Assert.Equal(0, result.Files.Failed);
            _t.AssertIdentical();
            var again = await Copy(Request());
            Assert.Equal(names.Count + 1, again.Files.Skipped);
        }

        [Fact]
        public async Task Excluded_files_and_directories_are_neither_copied_nor_removed_by_mirror()
        {
            SampleTree();
            _t.AddFile("skip.tmp", 5);
            _t.AddFile("logs/app.log", 5);
            _t.AddFile("sub/keep.txt", 5);
            Directory.CreateDirectory(_t.Dst("logs"));
            File.WriteAllText(_t.Dst("local.tmp"), "keep me");
            var request = new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                Mirror = true,
                ExcludeFiles = new[] { "*.tmp", "sub/deeper/*" },
                ExcludeDirectories = new[] { "log?" },
            };

            var result = await Copy(request);

            Assert.False(File.Exists(_t.Dst("skip.tmp")));
            Assert.False(File.Exists(_t.Dst("logs/app.log")));
            Assert.False(File.Exists(_t.Dst("sub/deeper/c.bin")));
            Assert.True(File.Exists(_t.Dst("sub/keep.txt")));
            Assert.True(File.Exists(_t.Dst("local.tmp")));
            Assert.True(Directory.Exists(_t.Dst("logs")));
            Assert.Empty(result.Extras);
        }

        [Fact]
        public async Task LogPath_gets_one_line_per_item()
        {
            SampleTree();
            var log = Path.Combine(_t.Root, "logs", "copy.log");
            var hooks = new ShareCopyHooks { BeforeOpenSource = (rel, _) => { if (rel == "a.txt") throw new IOException("locked"); } };
            await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, LogPath = log, RetryCount = 0 }, hooks: hooks);

            var lines = File.ReadAllLines(log).Select(l => l.Split('\t')).ToList();
            Assert.All(lines, l => Assert.Equal(5, l.Length));
            Assert.Contains(lines, l => l[1] == "Copied" && l[2] == "70000" && l[3] == Path.Combine("sub", "b.bin"));
            Assert.Contains(lines, l => l[1] == "Failed" && l[3] == "a.txt" && l[4].Contains("locked", StringComparison.Ordinal));
            Assert.Contains(lines, l => l[1] == "NewDir" && l[3] == "empty");
        }

        [Fact]
        public async Task Progress_reports_end_with_a_completed_record()
        {
            SampleTree();
            var host = new RecordingHost();
            await Copy(Request(), host);
            var last = host.ProgressRecords.Last();
            Assert.True(last.Completed);
            Assert.Contains("4/4 files", last.Status, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Stale_partial_files_are_removed_and_a_partial_of_another_version_is_not_resumed()
        {
            var big = _t.AddFile("big.bin", 9 * 1024 * 1024);
            _t.AddFile("small.txt", 10);
            Directory.CreateDirectory(_t.Destination);
            // A partial of an older source version (different recorded time): must be restarted.
            File.WriteAllBytes(_t.Dst(".big.bin.dr-partial"), new byte[5 * 1024 * 1024]);
            File.WriteAllText(_t.Dst(".big.bin.dr-partinfo"), new FileInfo(big).Length + " 42");
            // Leftovers of a file that no longer needs copying.
            File.WriteAllText(_t.Dst(".gone.txt.dr-partial"), "old");

            var result = await Copy(Request(mirror: true));

            Assert.Equal(0, result.BytesResumed);
            Assert.Empty(result.Extras);
            Assert.Empty(ShareTree.TempFiles(_t.Destination));
            _t.AssertIdentical();
        }

        [Fact]
        public async Task A_partial_of_the_same_source_version_is_resumed()
        {
            var big = _t.AddFile("big.bin", 12 * 1024 * 1024);
            Directory.CreateDirectory(_t.Destination);
            var partial = File.ReadAllBytes(big).Take(6 * 1024 * 1024 + 100).ToArray();
            File.WriteAllBytes(_t.Dst(".big.bin.dr-partial"), partial);
            File.WriteAllText(_t.Dst(".big.bin.dr-partinfo"), new FileInfo(big).Length + " " + File.GetLastWriteTimeUtc(big).Ticks);

            var result = await Copy(Request(verify: ShareVerifyMode.Copied));

            Assert.Equal(5 * 1024 * 1024, result.BytesResumed);
            Assert.Equal(12 * 1024 * 1024 - 5 * 1024 * 1024, result.BytesTransferred);
            Assert.Equal(0, result.Files.Mismatch);
            _t.AssertIdentical();
        }

        [Fact]
        public async Task Cancellation_stops_the_copy_and_a_rerun_completes_it()
        {
            for (var i = 0; i < 200; i++) _t.AddFile($"d{i % 10}/f{i}.txt", 100 + i);
            using var cts = new CancellationTokenSource();
            var hooks = new ShareCopyHooks { BeforeOpenSource = (rel, _) => { if (rel.EndsWith("f50.txt", StringComparison.Ordinal)) cts.Cancel(); } };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new ShareCopier(hooks: hooks).CopyAsync(Request(), new RecordingHost(), cts.Token));

            var result = await Copy(Request());
            Assert.Equal(200, result.Files.Copied + result.Files.Skipped);
            _t.AssertIdentical();
            Assert.Empty(ShareTree.TempFiles(_t.Destination));
        }

        [Fact]
        public async Task A_destination_directory_where_the_source_has_a_file_fails_unless_mirror_replaces_it()
        {
            _t.AddFile("clash", 12);
            _t.AddFile("other.txt", 3);
            Directory.CreateDirectory(_t.Dst("clash/inside"));
            File.WriteAllText(_t.Dst("clash/inside/old.txt"), "old");

            var plain = await Copy(Request());
            Assert.Equal(1, plain.Files.Failed);
            Assert.Equal("clash", Assert.Single(plain.Failures).RelativePath);
            Assert.True(File.Exists(_t.Dst("clash/inside/old.txt")));
            Assert.True(File.Exists(_t.Dst("other.txt")));

            var mirrored = await Copy(Request(mirror: true));
            Assert.Equal(0, mirrored.Files.Failed);
            Assert.Equal(1, mirrored.Files.Copied);
            _t.AssertIdentical();
        }

        [Fact]
        public void Unc_share_root_is_server_and_share()
        {
            Assert.Equal(@"\\fs01\content", ShareConnector.ShareRoot(@"\\fs01\content\sites\a"));
            Assert.Equal("FileShareInvalidUncPath", Assert.Throws<DrException>(() => ShareConnector.ShareRoot(@"\\fs01")).ErrorId);
        }
    }
}
