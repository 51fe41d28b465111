using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Shares
{
    public sealed class ShareCopySafetyTests : IDisposable
    {
        private const string SymbolicLinks = "creating symbolic links needs a privilege on Windows, and the copy resolves links on Linux only";
        private const string PosixPermissions = "owner, group and mode are Linux options; on Windows the reset takes group names";

        private readonly ShareTree _t = new ShareTree();

        public void Dispose() => _t.Dispose();

        private static Task<ShareCopyResult> Copy(ShareCopyRequest request, IDrHost? host = null) =>
            new ShareCopier().CopyAsync(request, host ?? new RecordingHost(), CancellationToken.None);

        private async Task<DrException> Refused(ShareCopyRequest request, string errorId)
        {
            var before = ShareTree.Entries(_t.Root);
            var host = new RecordingHost();
            var ex = await Assert.ThrowsAsync<DrException>(() => Copy(request, host));
            Assert.Equal(errorId, ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal(before, ShareTree.Entries(_t.Root));
            Assert.Empty(host.Questions);
            return ex;
        }

        [LinuxFact(SymbolicLinks)]
        public async Task Links_inside_the_tree_are_recreated_and_links_leaving_it_are_skipped_with_a_warning()
        {
            _t.AddFile("data/real.txt", 40);
            var outside = Path.Combine(_t.Root, "outside");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "not part of the share");
            File.CreateSymbolicLink(_t.Src("data/rel-link.txt"), "real.txt");
            File.CreateSymbolicLink(_t.Src("abs-link.txt"), _t.Src("data/real.txt"));
            Directory.CreateSymbolicLink(_t.Src("escape-dir"), outside);
            File.CreateSymbolicLink(_t.Src("escape-rel.txt"), "../outside/secret.txt");
            File.CreateSymbolicLink(_t.Src("escape-abs.txt"), "/etc/passwd");
            // Lexically inside, but through a link that leaves the tree.
            File.CreateSymbolicLink(_t.Src("via-escape.txt"), "escape-dir/secret.txt");
            var host = new RecordingHost();

            var result = await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination }, host);

            Assert.Equal("real.txt", new FileInfo(_t.Dst("data/rel-link.txt")).LinkTarget);
            Assert.Equal(Path.Combine("data", "real.txt"), new FileInfo(_t.Dst("abs-link.txt")).LinkTarget);
            foreach (var name in new[] { "escape-dir", "escape-rel.txt", "escape-abs.txt", "via-escape.txt" })
            {
                Assert.False(File.Exists(_t.Dst(name)) || Directory.Exists(_t.Dst(name)) || new FileInfo(_t.Dst(name)).LinkTarget != null, name);
                Assert.Contains(host.Warnings, w => w.Contains(name, StringComparison.Ordinal));
            }
            Assert.Equal(new[] { "secret.txt" }, Directory.GetFiles(outside).Select(Path.GetFileName));
            Assert.Equal(0, result.Files.Failed);

            var again = await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination });
            Assert.Equal(0, again.Files.Copied);
        }

        [LinuxFact(SymbolicLinks)]
        public async Task A_link_loop_is_copied_as_a_link_and_not_descended()
        {
            _t.AddFile("a/b/file.txt", 10);
            Directory.CreateSymbolicLink(_t.Src("a/b/loop"), "..");
            Directory.CreateSymbolicLink(_t.Src("a/self"), ".");

            var result = await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination });

            Assert.Equal("..", new FileInfo(_t.Dst("a/b/loop")).LinkTarget);
            Assert.Equal(".", new FileInfo(_t.Dst("a/self")).LinkTarget);
            Assert.Equal(3, result.Files.Total);
            Assert.Equal(3, result.Dirs.Total);
        }

        [LinuxFact(SymbolicLinks)]
        public async Task Mirror_removes_a_destination_link_without_following_it()
        {
            _t.AddFile("a.txt", 5);
            var outside = Path.Combine(_t.Root, "precious");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep");
            Directory.CreateDirectory(_t.Destination);
            Directory.CreateDirectory(_t.Dst("olddir"));
            Directory.CreateSymbolicLink(_t.Dst("olddir/link-out"), outside);
            Directory.CreateSymbolicLink(_t.Dst("top-link"), outside);

            var result = await Copy(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, Mirror = true });

            Assert.True(File.Exists(Path.Combine(outside, "keep.txt")));
            Assert.False(Directory.Exists(_t.Dst("olddir")));
            Assert.Null(new FileInfo(_t.Dst("top-link")).LinkTarget);
            _t.AssertIdentical();
            Assert.Equal(2, result.Files.Extras);
        }

        [Fact]
        public Task Destination_inside_source_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Src("nested/copy") }, "FileShareDestinationInsideSource");

        [LinuxFact(SymbolicLinks)]
        public async Task Destination_inside_source_through_a_link_is_refused()
        {
            var alias = Path.Combine(_t.Root, "alias");
            Directory.CreateSymbolicLink(alias, _t.Source);
            await Refused(new ShareCopyRequest { Source = _t.Source, Destination = Path.Combine(alias, "inner") }, "FileShareDestinationInsideSource");
        }

        [Fact]
        public Task Source_inside_destination_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Root }, "FileShareSourceInsideDestination");

        [Fact]
        public Task Same_source_and_destination_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Source + "/./" }, "FileShareSourceIsDestination");

        [Fact]
        public Task Missing_source_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Src("missing"), Destination = _t.Destination }, "FileShareSourceNotFound");

        [Fact]
        public async Task Source_that_is_a_file_is_refused()
        {
            var file = _t.AddFile("f.txt", 3);
            var ex = await Refused(new ShareCopyRequest { Source = file, Destination = _t.Destination }, "FileShareSourceIsFile");
            Assert.Equal(DrErrorCategory.InvalidArgument, ex.Category);
            Assert.Equal(file, ex.Target);
        }

        [Fact]
        public async Task Destination_that_is_a_file_is_refused()
        {
            _t.AddFile("f.txt", 3);
            var file = Path.Combine(_t.Root, "dest-file");
            File.WriteAllText(file, "x");
            await Refused(new ShareCopyRequest { Source = _t.Source, Destination = file }, "FileShareDestinationIsFile");
        }

        [LinuxFact("on Windows a credential connects the UNC source")]
        public async Task Credential_on_linux_is_a_clear_error_without_the_password()
        {
            _t.AddFile("f.txt", 3);
            var ex = await Refused(new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                Credential = new NetworkCredential("admin", "S3cret-Value!"),
            }, "FileShareCredentialNotSupported");
            Assert.DoesNotContain("S3cret-Value!", ex.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(-1, 0, "FileShareInvalidThreadCount")]
        [InlineData(0, -1, "FileShareInvalidRetryCount")]
        public Task Bad_numbers_are_refused(int threads, int retries, string id) =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, ThreadCount = threads, RetryCount = retries }, id);

        [Fact]
        public Task Empty_exclude_pattern_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, ExcludeFiles = new[] { " " } }, "FileShareInvalidExcludePattern");

        [Fact]
        public Task Log_inside_the_destination_is_refused() =>
            Refused(new ShareCopyRequest { Source = _t.Source, Destination = _t.Destination, LogPath = _t.Dst("copy.log") }, "FileShareLogPathInsideTree");

        [LinuxFact(PosixPermissions)]
        public Task Unknown_owner_is_refused_before_copying() =>
            Refused(new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                ResetPermissions = new SharePermissionReset { Owner = "no-such-user-" + Guid.NewGuid().ToString("N").Substring(0, 8) },
            }, "FileSharePermissionOwnerNotFound");

        [LinuxFact(PosixPermissions)]
        public Task Bad_mode_is_refused_before_copying() =>
            Refused(new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                ResetPermissions = new SharePermissionReset { Mode = "0789" },
            }, "FileSharePermissionInvalidMode");
    }
}
