using System;
using System.Net;
using System.Runtime.InteropServices;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>Connects a UNC share with explicit credentials for the duration of a copy (net use).</summary>
    public interface IShareConnector
    {
        /// <summary>Connects the share that <paramref name="uncPath"/> lies on; disposing the result disconnects it.</summary>
        IDisposable Connect(string uncPath, NetworkCredential credential);
    }

    public static class ShareConnector
    {
        public static IShareConnector ForPlatform() =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new WindowsShareConnector() : (IShareConnector)new UnsupportedShareConnector();

        /// <summary>\\server\share of a UNC path (the part a connection is made to).</summary>
        public static string ShareRoot(string uncPath)
        {
            var parts = uncPath.TrimStart('\\').Split(new[] { '\\', '/' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
                throw DrException.Precondition("FileShareInvalidUncPath", DrErrorCategory.InvalidArgument,
                    "A UNC path names a server and a share: \\\\server\\share[\\folder].", uncPath);
            return @"\\" + parts[0] + @"\" + parts[1];
        }
    }

    internal sealed class UnsupportedShareConnector : IShareConnector
    {
        public IDisposable Connect(string uncPath, NetworkCredential credential) =>
            throw DrException.Precondition("FileShareCredentialNotSupported", DrErrorCategory.InvalidOperation,
                "Connecting a share with a credential is only supported on Windows.", uncPath);
    }

    /// <summary>WNetAddConnection2 / WNetCancelConnection2 (mpr.dll), without a drive letter.</summary>
    internal sealed class WindowsShareConnector : IShareConnector
    {
        private const int ResourceTypeDisk = 1;
        private const int ErrorSessionCredentialConflict = 1219;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        private sealed class NetResource
        {
            public int Scope;
            public int Type;
            public int DisplayType;
            public int Usage;
            public string? LocalName;
            public string? RemoteName;
            public string? Comment;
            public string? Provider;
        }

        [DllImport("mpr.dll", CharSet = CharSet.Unicode)]
        private static extern int WNetAddConnection2(NetResource resource, string? password, string? userName, int flags);

        [DllImport("mpr.dll", CharSet = CharSet.Unicode)]
        private static extern int WNetCancelConnection2(string name, int flags, [MarshalAs(UnmanagedType.Bool)] bool force);

        public IDisposable Connect(string uncPath, NetworkCredential credential)
        {
            var root = ShareConnector.ShareRoot(uncPath);
            var user = string.IsNullOrEmpty(credential.Domain) ? credential.UserName : credential.Domain + @"\" + credential.UserName;
            var code = WNetAddConnection2(new NetResource { Type = ResourceTypeDisk, RemoteName = root }, credential.Password, user, 0);
            if (code != 0)
            {
                // The message names the share and the Windows error, never the password.
                var hint = code == ErrorSessionCredentialConflict ? " (the share is already connected with other credentials)" : "";
                throw DrException.Precondition("FileShareConnectFailed", DrErrorCategory.ConnectionError,
                    $"Connecting '{root}' as '{user}' failed with Windows error {code}{hint}.", root);
            }
            return new Connection(root);
        }

        private sealed class Connection : IDisposable
        {
            private string? _root;
            public Connection(string root) { _root = root; }

            public void Dispose()
            {
                var root = _root;
                _root = null;
                if (root != null) WNetCancelConnection2(root, 0, true);
            }
        }
    }
}
