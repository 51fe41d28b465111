using AppServiceDr.Testing;
using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Shares
{
    public sealed class PermissionResetTests : IDisposable
    {
        private const string PosixPermissions = "POSIX owner, group and mode, read back with stat(1)";

        private readonly ShareTree _t = new ShareTree();

        public void Dispose() => _t.Dispose();

        private static (int uid, int gid, UnixFileMode mode) Stat(string path)
        {
            var psi = new System.Diagnostics.ProcessStartInfo("stat") { RedirectStandardOutput = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("%u:%g");
            psi.ArgumentList.Add(path);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var parts = p.StandardOutput.ReadToEnd().Trim().Split(':');
            p.WaitForExit();
            return (int.Parse(parts[0]), int.Parse(parts[1]), OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path));
        }

        [LinuxFact(PosixPermissions, RequiresRoot = true)]
        public async Task Linux_owner_group_and_mode_are_applied_to_the_whole_tree_after_the_copy()
        {
            _t.AddFile("a.txt", 5);
            _t.AddFile("sub/b.txt", 5);
            _t.AddDir("sub/empty");
            File.CreateSymbolicLink(_t.Src("sub/link"), "b.txt");
            var host = new RecordingHost();

            var result = await new ShareCopier().CopyAsync(new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                ResetPermissions = new SharePermissionReset { Owner = "1234", Group = "2345", Mode = "0640" },
            }, host, CancellationToken.None);

            Assert.True(result.PermissionsReset);
            Assert.Equal(0, result.PermissionResetFailures);
            Assert.Contains(host.Questions, q => q.EndsWith("Reset permissions of the restored tree", StringComparison.Ordinal));
            var fileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
            var dirMode = fileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;
            foreach (var f in new[] { "a.txt", "sub/b.txt" }) Assert.Equal((1234, 2345, fileMode), Stat(_t.Dst(f)));
            foreach (var d in new[] { "", "sub", "sub/empty" }) Assert.Equal((1234, 2345, dirMode), Stat(_t.Dst(d)));
            var link = Stat(_t.Dst("sub/link"));
            Assert.Equal((1234, 2345), (link.uid, link.gid));
        }

        [LinuxFact(PosixPermissions)]
        public async Task WhatIf_does_not_reset_permissions()
        {
            _t.AddFile("a.txt", 5);
            Directory.CreateDirectory(_t.Destination);
            var before = Stat(_t.Destination);
            var result = await new ShareCopier().CopyAsync(new ShareCopyRequest
            {
                Source = _t.Source,
                Destination = _t.Destination,
                ResetPermissions = new SharePermissionReset { Owner = "1234", Mode = "0600" },
            }, RecordingHost.WhatIf(), CancellationToken.None);
            Assert.False(result.PermissionsReset);
            Assert.Equal(before, Stat(_t.Destination));
        }

        [Theory]
        [InlineData(new[] { "icacls", @"C:\a b\*", "/reset" }, @"icacls ""C:\a b\*"" /reset")]
        [InlineData(new[] { @"C:\dir\", "x\"y", "" }, @"C:\dir\ ""x\""y"" """"")]
        [InlineData(new[] { @"C:\with space\" }, @"""C:\with space\\""")]
        public void Windows_command_lines_quote_each_argument(string[] args, string expected) =>
            Assert.Equal(expected, CommandLine.Join(args));

        [Fact]
        public void Windows_group_names_with_quotes_are_refused()
        {
            var ex = Assert.Throws<DrException>(() => new WindowsPermissionResetter().Validate(new SharePermissionReset { UsersGroup = "a\" /grant Everyone:F" }));
            Assert.Equal("FileSharePermissionInvalidPrincipal", ex.ErrorId);
        }
    }
}
