using System;
using System.IO;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>A fresh directory under the system temp folder, removed on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory(string prefix = "dr")
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string Combine(params string[] parts) => System.IO.Path.Combine(new[] { Path }.Concat(parts));

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    internal static class ArrayExtensions
    {
        public static T[] Concat<T>(this T[] first, T[] second)
        {
            var all = new T[first.Length + second.Length];
            first.CopyTo(all, 0);
            second.CopyTo(all, first.Length);
            return all;
        }
    }
}
