using System;
using System.Collections.Generic;
using System.Net;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>Which files get a SHA-256 comparison of source and destination.</summary>
    public enum ShareVerifyMode
    {
        /// <summary>No content comparison: size and last-write time decide.</summary>
        None,
        /// <summary>Every file copied in this run is hashed before it is moved into place.</summary>
        Copied,
        /// <summary>Copied files, and every file that was skipped as identical (a mismatch is reported and the file copied again).</summary>
        All,
    }

    /// <summary>
    /// One restore of a file share tree: the parameters of Restore-FileShareContent, one property each.
    /// </summary>
    public sealed class ShareCopyRequest
    {
        /// <summary>The tree to copy from (a local path, a mounted share, or a UNC path on Windows).</summary>
        public string Source { get; init; } = "";

        /// <summary>The tree to copy into; created when missing.</summary>
        public string Destination { get; init; } = "";

        /// <summary>Connects a UNC source for the duration of the copy (Windows only).</summary>
        [Secret("Credential")]
        public NetworkCredential? Credential { get; init; }

        /// <summary>Also removes destination files and directories that are not in the source.</summary>
        public bool Mirror { get; init; }

        /// <summary>Number of parallel copy workers; 0 picks <see cref="DefaultThreadCount"/>.</summary>
        public int ThreadCount { get; init; }

        /// <summary>How many times a failing file is tried again before it is reported.</summary>
        public int RetryCount { get; init; } = 3;

        /// <summary>Pause between two tries of the same file.</summary>
        public TimeSpan RetryWait { get; init; } = TimeSpan.FromSeconds(2);

        public ShareVerifyMode Verify { get; init; }

        /// <summary>Wildcard patterns (<c>*</c>, <c>?</c>) for files to leave out. A pattern with a path
        /// separator is matched against the path relative to the source root, otherwise against the name.</summary>
        public IReadOnlyList<string> ExcludeFiles { get; init; } = Array.Empty<string>();

        /// <summary>Wildcard patterns for directories to leave out (with everything below them).</summary>
        public IReadOnlyList<string> ExcludeDirectories { get; init; } = Array.Empty<string>();

        /// <summary>A file that receives one tab-separated line per item: action, size, relative path, error.</summary>
        public string? LogPath { get; init; }

        /// <summary>When set, permissions of the destination tree are reset after the copy (the ReACL step).</summary>
        public SharePermissionReset? ResetPermissions { get; init; }

        /// <summary>Upper bound on each item list of the result (failures, mismatches, extras, copied).</summary>
        public int MaxListedItems { get; init; } = 1000;

        /// <summary>Last-write times closer than this count as equal (2 seconds suits FAT-like destinations).</summary>
        public TimeSpan ModifiedTimeTolerance { get; init; } = TimeSpan.Zero;

        /// <summary>Files at least this large are copied in resumable chunks with a side record of the source version.</summary>
        public long ResumableThreshold { get; init; } = 8L * 1024 * 1024;

        /// <summary>Two workers per processor (small files wait on metadata more than on the disk), at least four.</summary>
        public static int DefaultThreadCount => Math.Max(4, 2 * Environment.ProcessorCount);
    }

    /// <summary>
    /// The permission reset after a restore. On Windows the tree inherits from the share root again and the two
    /// App Service groups are granted on the root; on Linux owner, group and mode are applied to every item.
    /// </summary>
    public sealed class SharePermissionReset
    {
        /// <summary>Windows: group granted full control (App Service file server default).</summary>
        public string OwnersGroup { get; init; } = "FileShareOwners";

        /// <summary>Windows: group granted modify.</summary>
        public string UsersGroup { get; init; } = "FileShareUsers";

        /// <summary>Linux: user name or numeric id to own every item; null keeps the owner.</summary>
        public string? Owner { get; init; }

        /// <summary>Linux: group name or numeric id; null keeps the group.</summary>
        public string? Group { get; init; }

        /// <summary>Linux: octal mode for files, for example <c>0664</c>; null keeps the mode.</summary>
        public string? Mode { get; init; }

        /// <summary>Linux: octal mode for directories; when null it is derived from <see cref="Mode"/> by adding
        /// search permission wherever read permission is granted.</summary>
        public string? DirectoryMode { get; init; }
    }

    /// <summary>
    /// Points where a caller can observe or disturb the copy: the test suite uses them to inject read
    /// failures and to slow a transfer down so that a process can be stopped in the middle of a file.
    /// </summary>
    public sealed class ShareCopyHooks
    {
        /// <summary>Called before the source file is opened, with the relative path and the try number
        /// (0 first); an exception thrown here counts as a read failure of that try.</summary>
        public Action<string, int>? BeforeOpenSource { get; init; }

        /// <summary>Called after each chunk of a resumable copy with the relative path and the bytes now in the partial file.</summary>
        public Action<string, long>? AfterChunk { get; init; }
    }
}
