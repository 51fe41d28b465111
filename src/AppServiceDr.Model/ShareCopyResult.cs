using System;
using System.Collections.Generic;

namespace AppServiceDr
{
    /// <summary>One column set of the summary: what happened to directories, files or bytes.</summary>
    public sealed class ShareCopyCounts
    {
        public long Total { get; init; }
        /// <summary>Copied (or, in a plan, that would be copied).</summary>
        public long Copied { get; init; }
        /// <summary>Already identical at the destination.</summary>
        public long Skipped { get; init; }
        /// <summary>Content differed from the source under verification.</summary>
        public long Mismatch { get; init; }
        public long Failed { get; init; }
        /// <summary>At the destination but not in the source (removed under Mirror).</summary>
        public long Extras { get; init; }

        public override string ToString() =>
            $"Total {Total}, Copied {Copied}, Skipped {Skipped}, Mismatch {Mismatch}, Failed {Failed}, Extras {Extras}";
    }

    public enum ShareItemKind
    {
        File,
        Directory,
        Link,
    }

    public enum ShareItemAction
    {
        Copied,
        WouldCopy,
        Skipped,
        Failed,
        Mismatch,
        Deleted,
        WouldDelete,
        KeptExtra,
    }

    /// <summary>One item named in the result.</summary>
    public sealed class ShareCopyItem
    {
        public ShareCopyItem(string relativePath, ShareItemKind kind, ShareItemAction action, long size, string? message)
        {
            RelativePath = relativePath;
            Kind = kind;
            Action = action;
            Size = size;
            Message = message;
        }

        /// <summary>Path relative to the source (or destination) root, with the platform's separator.</summary>
        public string RelativePath { get; }
        public ShareItemKind Kind { get; }
        public ShareItemAction Action { get; }
        public long Size { get; }
        public string? Message { get; }

        public override string ToString() => Action + " " + RelativePath + (Message == null ? "" : " (" + Message + ")");
    }

    /// <summary>Restore-FileShareContent: the outcome of one copy, the robocopy-style summary, timings and the items worth a look.</summary>
    public sealed class ShareCopyResult
    {
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }

        public string Source { get; init; } = "";
        public string Destination { get; init; } = "";

        /// <summary>True when nothing was written (-WhatIf or a declined confirmation): the counts and lists say what would have happened.</summary>
        public bool IsPlan { get; init; }

        public bool Mirror { get; init; }

        public ShareCopyCounts Dirs { get; init; } = new ShareCopyCounts();
        public ShareCopyCounts Files { get; init; } = new ShareCopyCounts();
        public ShareCopyCounts Bytes { get; init; } = new ShareCopyCounts();

        /// <summary>Bytes actually written in this run (less than Bytes.Copied when partial files were resumed).</summary>
        public long BytesTransferred { get; init; }

        /// <summary>Bytes that were already in partial files of an earlier, interrupted run and were kept.</summary>
        public long BytesResumed { get; init; }

        public TimeSpan Duration { get; init; }

        /// <summary>Bytes written per second of <see cref="Duration"/>.</summary>
        public double BytesPerSecond { get; init; }

        public double FilesPerSecond { get; init; }

        /// <summary>Set when the copy could not run through (the source root unreadable, the destination root not creatable).</summary>
        public string? FatalError { get; init; }

        public bool PermissionsReset { get; init; }

        /// <summary>Items whose permissions could not be reset (each also reported as a warning).</summary>
        public int PermissionResetFailures { get; init; }

        public IReadOnlyList<ShareCopyItem> Failures { get; init; } = Array.Empty<ShareCopyItem>();
        public IReadOnlyList<ShareCopyItem> Mismatches { get; init; } = Array.Empty<ShareCopyItem>();
        public IReadOnlyList<ShareCopyItem> Extras { get; init; } = Array.Empty<ShareCopyItem>();
        /// <summary>Copied items (or, in a plan, the items that would be copied).</summary>
        public IReadOnlyList<ShareCopyItem> Copied { get; init; } = Array.Empty<ShareCopyItem>();

        /// <summary>True when at least one list stopped at the request's limit of listed items.</summary>
        public bool ListsTruncated { get; init; }

        /// <summary>robocopy's exit code bits: 1 files copied, 2 extras, 4 mismatches, 8 failures, 16 fatal.</summary>
        public int ExitCode
        {
            get
            {
                var code = 0;
                if (Files.Copied > 0) code |= 1;
                if (Files.Extras > 0 || Dirs.Extras > 0) code |= 2;
                if (Files.Mismatch > 0) code |= 4;
                if (Files.Failed > 0 || Dirs.Failed > 0) code |= 8;
                if (FatalError != null) code |= 16;
                return code;
            }
        }
    }
}
