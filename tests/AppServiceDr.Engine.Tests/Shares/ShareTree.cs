using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace AppServiceDr.Engine.Tests.Shares
{
    /// <summary>A scratch directory with a source and a destination side, removed afterwards.</summary>
    internal sealed class ShareTree : IDisposable
    {
        private static readonly DateTime BaseTime = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567);

        public ShareTree()
        {
            Root = Path.Combine(Path.GetTempPath(), "asdr-fs-" + Guid.NewGuid().ToString("N"));
            Source = Path.Combine(Root, "src");
            Destination = Path.Combine(Root, "dst");
            Directory.CreateDirectory(Source);
        }

        public string Root { get; }
        public string Source { get; }
        public string Destination { get; }

        public string Src(string rel) => Path.Combine(Source, rel);
        public string Dst(string rel) => Path.Combine(Destination, rel);

        /// <summary>Writes a source file with deterministic content and a fixed, distinct last-write time.</summary>
        public string AddFile(string rel, int size, int seed = 0)
        {
            var path = Src(rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Content(size, seed == 0 ? rel.GetHashCode() : seed));
            File.SetLastWriteTimeUtc(path, BaseTime.AddMinutes(size % 1000).AddSeconds(seed));
            return path;
        }

        public static byte[] Content(int size, int seed)
        {
            var bytes = new byte[size];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        public string AddDir(string rel)
        {
            var path = Src(rel);
            Directory.CreateDirectory(path);
            return path;
        }

        public static string Sha(string path)
        {
            using var s = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(s));
        }

        /// <summary>Every entry below <paramref name="root"/> as "kind relative-path" (links not followed).</summary>
        public static SortedSet<string> Entries(string root)
        {
            var set = new SortedSet<string>(StringComparer.Ordinal);
            void Walk(string dir)
            {
                foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
                {
                    var rel = Path.GetRelativePath(root, info.FullName);
                    if (info.LinkTarget != null) set.Add("L " + rel + " -> " + info.LinkTarget);
                    else if (info is DirectoryInfo) { set.Add("D " + rel); Walk(info.FullName); }
                    else set.Add("F " + rel);
                }
            }
            Walk(root);
            return set;
        }

        /// <summary>Asserts the destination holds exactly the source: same entries, content and last-write times.</summary>
        public void AssertIdentical()
        {
            Assert.Equal(Entries(Source), Entries(Destination));
            foreach (var f in Directory.EnumerateFiles(Source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                var info = new FileInfo(f);
                if (info.LinkTarget != null) continue;
                var rel = Path.GetRelativePath(Source, f);
                var d = new FileInfo(Dst(rel));
                Assert.True(d.Exists, rel);
                Assert.Equal(info.Length, d.Length);
                Assert.Equal(info.LastWriteTimeUtc, d.LastWriteTimeUtc);
                Assert.Equal(Sha(f), Sha(d.FullName));
            }
        }

        public static IEnumerable<string> TempFiles(string root) =>
            Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Where(p => p.EndsWith(".dr-partial", StringComparison.Ordinal) || p.EndsWith(".dr-partinfo", StringComparison.Ordinal));

        public void Dispose()
        {
            try { if (Directory.Exists(Root)) Directory.Delete(Root, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
