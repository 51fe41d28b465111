using System;
using System.Collections.Generic;
using System.IO;
#if !NETFRAMEWORK
using System.IO.Enumeration;
#endif

namespace AppServiceDr.Engine.Shares
{
    internal enum EntryKind
    {
        File,
        Directory,
        /// <summary>A symbolic link or any other reparse point (junction, mount point): never followed.</summary>
        Link,
    }

    /// <summary>One directory entry as the enumeration reported it, so the copy needs no second stat.</summary>
    internal sealed class ShareEntry
    {
        public ShareEntry(string name, EntryKind kind, long size, DateTime lastWriteUtc, DateTime lastAccessUtc, DateTime creationUtc, FileAttributes attributes)
        {
            Name = name;
            Kind = kind;
            Size = size;
            LastWriteUtc = lastWriteUtc;
            LastAccessUtc = lastAccessUtc;
            CreationUtc = creationUtc;
            Attributes = attributes;
        }

        public string Name { get; }
        public EntryKind Kind { get; }
        public long Size { get; }
        public DateTime LastWriteUtc { get; }
        public DateTime LastAccessUtc { get; }
        public DateTime CreationUtc { get; }
        public FileAttributes Attributes { get; }
    }

    /// <summary>Lists one directory (not recursive), lazily, with the metadata the enumeration already has.</summary>
    internal static class DirectoryLister
    {
#if NETFRAMEWORK
        public static IEnumerable<ShareEntry> List(string path)
        {
            foreach (var info in new DirectoryInfo(path).EnumerateFileSystemInfos())
            {
                var attributes = info.Attributes;
                if ((attributes & FileAttributes.ReparsePoint) != 0)
                    yield return new ShareEntry(info.Name, EntryKind.Link, 0, info.LastWriteTimeUtc, info.LastAccessTimeUtc, info.CreationTimeUtc, attributes);
                else if ((attributes & FileAttributes.Directory) != 0)
                    yield return new ShareEntry(info.Name, EntryKind.Directory, 0, info.LastWriteTimeUtc, info.LastAccessTimeUtc, info.CreationTimeUtc, attributes);
                else
                    yield return new ShareEntry(info.Name, EntryKind.File, ((FileInfo)info).Length, info.LastWriteTimeUtc, info.LastAccessTimeUtc, info.CreationTimeUtc, attributes);
            }
        }
#else
        private static readonly EnumerationOptions Options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
            MatchType = MatchType.Simple,
        };

        public static IEnumerable<ShareEntry> List(string path) =>
            UnixNative.IsSupported ? UnixNative.List(path) : new FileSystemEnumerable<ShareEntry>(path, Transform, Options);

        private static ShareEntry Transform(ref FileSystemEntry entry)
        {
            var name = entry.FileName.ToString();
            var attributes = entry.Attributes;
            if ((attributes & FileAttributes.ReparsePoint) != 0)
                return new ShareEntry(name, EntryKind.Link, 0, default, default, default, attributes);
            var kind = entry.IsDirectory ? EntryKind.Directory : EntryKind.File;
            return new ShareEntry(name, kind, kind == EntryKind.File ? entry.Length : 0,
                entry.LastWriteTimeUtc.UtcDateTime, entry.LastAccessTimeUtc.UtcDateTime, entry.CreationTimeUtc.UtcDateTime, attributes);
        }
#endif
    }

    /// <summary>Names of the engine's own temporary files next to the file they become.</summary>
    internal static class TempNames
    {
        public const string PartialSuffix = ".dr-partial";
        public const string InfoSuffix = ".dr-partinfo";

        /// <summary>Base of the temporary names: ".name", or a hash of the name when that would exceed 255 bytes.</summary>
        private static string Base(string name)
        {
            var candidate = "." + name;
            if (System.Text.Encoding.UTF8.GetByteCount(candidate) + InfoSuffix.Length <= 255) return candidate;
            using var sha = System.Security.Cryptography.SHA256.Create();
            var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(name));
            return ".dr-" + BitConverter.ToString(hash, 0, 16).Replace("-", "").ToLowerInvariant();
        }

        public static string Partial(string name) => Base(name) + PartialSuffix;
        public static string Info(string name) => Base(name) + InfoSuffix;

        public static bool LooksLikeTemp(string name) =>
            name.Length > 1 && name[0] == '.' &&
            (name.EndsWith(PartialSuffix, StringComparison.Ordinal) || name.EndsWith(InfoSuffix, StringComparison.Ordinal));
    }
}
