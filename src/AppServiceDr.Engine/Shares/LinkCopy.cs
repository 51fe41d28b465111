using System;
using System.IO;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>Symbolic links are recreated as links, never followed, and only when they point inside the source tree.</summary>
    internal static class LinkCopy
    {
        /// <summary>The link's target as stored in it; null when it is not a readable link (or links are not supported here).</summary>
        public static string? ReadTarget(string path)
        {
#if NETFRAMEWORK
            return null;
#else
            try { return new FileInfo(path).LinkTarget; }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { return null; }
#endif
        }

        /// <summary>The text the copied link gets, when the target stays inside the source tree (lexically and after
        /// resolving every link on the way); null when it leaves it. An absolute target inside the tree becomes relative,
        /// so the copy points into the destination tree and not back into the source.</summary>
        public static string? ContainedTarget(string linkPath, string target, CopyRoots roots)
        {
#if NETFRAMEWORK
            return null;
#else
            var directory = Path.GetDirectoryName(linkPath) ?? roots.Source;
            string full;
            try { full = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(directory, target)); }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException) { return null; }
            var lexicalInside = PathSafety.IsSameOrInside(roots.Source, full) || PathSafety.IsSameOrInside(roots.ResolvedSource, full);
            if (!lexicalInside) return null;
            if (!PathSafety.IsSameOrInside(roots.ResolvedSource, PathSafety.Resolved(full))) return null;
            if (!Path.IsPathRooted(target)) return target;
            // Rebase the absolute target on the link's own (unresolved) directory inside the source tree.
            var relativeToRoot = PathSafety.IsSameOrInside(roots.Source, full)
                ? Path.GetRelativePath(roots.Source, full)
                : Path.GetRelativePath(roots.ResolvedSource, full);
            return Path.GetRelativePath(directory, Path.Combine(roots.Source, relativeToRoot));
#endif
        }

        /// <summary>Creates the link under <paramref name="temp"/> and renames it over <paramref name="final"/>.</summary>
        public static void Create(string temp, string final, string linkText, bool isDirectory, IFileTransfer transfer, ShareEntry entry)
        {
#if NETFRAMEWORK
            throw new PlatformNotSupportedException("Links are not recreated by the .NET Framework build.");
#else
            if (File.Exists(temp) || Directory.Exists(temp) || new FileInfo(temp).LinkTarget != null) File.Delete(temp);
            if (isDirectory) Directory.CreateSymbolicLink(temp, linkText);
            else File.CreateSymbolicLink(temp, linkText);
            transfer.MoveIntoPlace(temp, final, entry);
#endif
        }
    }
}
