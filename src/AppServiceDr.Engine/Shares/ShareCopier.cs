using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>
    /// Restores a file share tree with robocopy /E semantics (optionally /MIR): a streaming directory walk
    /// feeds a bounded queue that a fixed pool of workers drains. Every file is written under a temporary
    /// name and renamed into place; large files resume from a partial file of the same source version.
    /// </summary>
    public sealed class ShareCopier
    {
        private readonly IShareConnector _connector;
        private readonly IPermissionResetter _permissions;
        private readonly ShareCopyHooks _hooks;

        public ShareCopier(IShareConnector? connector = null, IPermissionResetter? permissions = null, ShareCopyHooks? hooks = null)
        {
            _connector = connector ?? ShareConnector.ForPlatform();
            _permissions = permissions ?? PermissionResetter.ForPlatform();
            _hooks = hooks ?? new ShareCopyHooks();
        }

        /// <summary>Copies (or, when the host declines, plans) the restore described by <paramref name="request"/>.</summary>
        /// <exception cref="DrException">Bad input, found before anything is written (<see cref="DrException.IsPrecondition"/>).</exception>
        public Task<ShareCopyResult> CopyAsync(ShareCopyRequest request, IDrHost host, CancellationToken cancellationToken = default)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            if (host == null) throw new ArgumentNullException(nameof(host));
            return Task.Factory.StartNew(() => Run(request, host, cancellationToken), cancellationToken,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>The checks <see cref="CopyAsync"/> starts with, on their own and with no side effect, so bad
        /// input can be refused before a run is journaled. A UNC source that needs a credential can only be
        /// checked once connected: its paths are checked when the copy starts.</summary>
        public void Validate(ShareCopyRequest request)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            ShareCopyValidation.CheckArguments(request, _permissions);
            if (request.Credential == null) ShareCopyValidation.CheckPaths(request);
        }

        private ShareCopyResult Run(ShareCopyRequest request, IDrHost host, CancellationToken ct)
        {
            var checkedRequest = ShareCopyValidation.CheckArguments(request, _permissions);
            using (ConnectIfNeeded(request))
            {
                var roots = ShareCopyValidation.CheckPaths(request);
                ct.ThrowIfCancellationRequested();
                var run = new CopyRun(request, checkedRequest, roots, host, _hooks, ct);
                var result = run.Execute();
                if (result.IsPlan || request.ResetPermissions == null || result.FatalError != null) return result;
                if (!host.ShouldProcess(roots.Destination, "Reset permissions of the restored tree")) return result;
                var failures = _permissions.Reset(roots.Destination, request.ResetPermissions, host, ct);
                return CopyRun.WithPermissionsReset(result, failures);
            }
        }

        private IDisposable? ConnectIfNeeded(ShareCopyRequest request)
        {
            if (request.Credential == null) return null;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                throw DrException.Precondition("FileShareCredentialNotSupported", DrErrorCategory.InvalidOperation,
                    "A credential can only be used for a UNC source on Windows; on this platform mount the share and pass its path.",
                    request.Source);
            if (!request.Source.StartsWith(@"\\", StringComparison.Ordinal))
                throw DrException.Precondition("FileShareCredentialNeedsUncSource", DrErrorCategory.InvalidArgument,
                    "A credential is only used to connect a UNC source (\\\\server\\share\\...).", request.Source);
            return _connector.Connect(request.Source, request.Credential);
        }
    }

    /// <summary>Resolved, checked roots of one copy.</summary>
    internal sealed class CopyRoots
    {
        public CopyRoots(string source, string destination, string resolvedSource)
        {
            Source = source;
            Destination = destination;
            ResolvedSource = resolvedSource;
        }

        public string Source { get; }
        public string Destination { get; }
        /// <summary>The source with symbolic links of its own path resolved (for link containment checks).</summary>
        public string ResolvedSource { get; }
    }

    internal sealed class CheckedArguments
    {
        public CheckedArguments(int threads, WildcardPattern[] files, WildcardPattern[] dirs)
        {
            Threads = threads;
            ExcludeFiles = files;
            ExcludeDirectories = dirs;
        }

        public int Threads { get; }
        public WildcardPattern[] ExcludeFiles { get; }
        public WildcardPattern[] ExcludeDirectories { get; }
    }

    internal static class ShareCopyValidation
    {
        private static DrException Bad(string id, DrErrorCategory category, string message, object? target) =>
            DrException.Precondition(id, category, message, target);

        public static CheckedArguments CheckArguments(ShareCopyRequest r, IPermissionResetter permissions)
        {
            if (string.IsNullOrWhiteSpace(r.Source))
                throw Bad("FileShareSourceRequired", DrErrorCategory.InvalidArgument, "A source path is required.", null);
            if (string.IsNullOrWhiteSpace(r.Destination))
                throw Bad("FileShareDestinationRequired", DrErrorCategory.InvalidArgument, "A destination path is required.", null);
            if (r.ThreadCount < 0 || r.ThreadCount > 256)
                throw Bad("FileShareInvalidThreadCount", DrErrorCategory.InvalidArgument, "ThreadCount must be between 1 and 256 (0 for the default).", r.ThreadCount);
            if (r.RetryCount < 0)
                throw Bad("FileShareInvalidRetryCount", DrErrorCategory.InvalidArgument, "RetryCount cannot be negative.", r.RetryCount);
            if (r.RetryWait < TimeSpan.Zero)
                throw Bad("FileShareInvalidRetryWait", DrErrorCategory.InvalidArgument, "RetryWait cannot be negative.", r.RetryWait);
            if (r.MaxListedItems < 0)
                throw Bad("FileShareInvalidListLimit", DrErrorCategory.InvalidArgument, "MaxListedItems cannot be negative.", r.MaxListedItems);
            var files = WildcardPattern.Compile(r.ExcludeFiles, PathSafety.IgnoreCase, "file exclusion");
            var dirs = WildcardPattern.Compile(r.ExcludeDirectories, PathSafety.IgnoreCase, "directory exclusion");
            if (r.ResetPermissions != null) permissions.Validate(r.ResetPermissions);
            return new CheckedArguments(r.ThreadCount == 0 ? ShareCopyRequest.DefaultThreadCount : r.ThreadCount, files, dirs);
        }

        public static CopyRoots CheckPaths(ShareCopyRequest r)
        {
            string source, destination;
            try
            {
                source = PathSafety.Full(r.Source);
                destination = PathSafety.Full(r.Destination);
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
            {
                throw Bad("FileShareInvalidPath", DrErrorCategory.InvalidArgument, "The source or destination is not a valid path: " + ex.Message, r.Source);
            }
            if (File.Exists(source))
                throw Bad("FileShareSourceIsFile", DrErrorCategory.InvalidArgument, $"The source '{source}' is a file; a directory is expected.", source);
            if (!Directory.Exists(source))
                throw Bad("FileShareSourceNotFound", DrErrorCategory.ObjectNotFound, $"The source directory '{source}' does not exist.", source);
            if (File.Exists(destination))
                throw Bad("FileShareDestinationIsFile", DrErrorCategory.InvalidArgument, $"The destination '{destination}' is an existing file; a directory is expected.", destination);

            var realSource = PathSafety.Resolved(source);
            var realDestination = PathSafety.Resolved(destination);
            if (string.Equals(realSource, realDestination, PathSafety.Comparison))
                throw Bad("FileShareSourceIsDestination", DrErrorCategory.InvalidArgument, "The source and the destination are the same directory.", destination);
            if (PathSafety.IsSameOrInside(realSource, realDestination))
                throw Bad("FileShareDestinationInsideSource", DrErrorCategory.InvalidArgument,
                    $"The destination '{destination}' lies inside the source '{source}'; the copy would copy itself.", destination);
            if (PathSafety.IsSameOrInside(realDestination, realSource))
                throw Bad("FileShareSourceInsideDestination", DrErrorCategory.InvalidArgument,
                    $"The source '{source}' lies inside the destination '{destination}'.", source);
            if (r.LogPath != null)
            {
                string log;
                try { log = PathSafety.Resolved(PathSafety.Full(r.LogPath)); }
                catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
                {
                    throw Bad("FileShareInvalidLogPath", DrErrorCategory.InvalidArgument, "The log path is not valid: " + ex.Message, r.LogPath);
                }
                if (PathSafety.IsSameOrInside(realSource, log) || PathSafety.IsSameOrInside(realDestination, log))
                    throw Bad("FileShareLogPathInsideTree", DrErrorCategory.InvalidArgument,
                        "The log file cannot be inside the source or the destination tree.", r.LogPath);
                if (Directory.Exists(log))
                    throw Bad("FileShareLogPathIsDirectory", DrErrorCategory.InvalidArgument, "The log path is a directory.", r.LogPath);
            }
            return new CopyRoots(source, destination, realSource);
        }
    }
}
