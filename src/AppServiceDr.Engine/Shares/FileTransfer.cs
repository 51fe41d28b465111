using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>The source is a FIFO, socket or device: there is no content to copy, and trying again will not help.</summary>
    internal sealed class NotRegularFileException : IOException
    {
        public NotRegularFileException(string path)
            : base($"'{path}' is not a regular file (FIFO, socket or device); it is not copied.") { }
    }

    /// <summary>Moves the bytes of one file into a temporary name, then into place.</summary>
    internal interface IFileTransfer
    {
        /// <summary>Copies <paramref name="source"/> into <paramref name="temp"/>, keeping the first
        /// <paramref name="resumeFrom"/> bytes already there, and gives the temp file the source's times (and
        /// mode or attributes). <paramref name="onChunk"/> gets the bytes now in the temp file and the bytes
        /// added by each chunk. Returns the number of bytes in the finished temp file.</summary>
        long CopyToTemp(string source, string temp, long resumeFrom, ShareEntry entry, byte[] buffer, long chunkSize, Action<long, long> onChunk);

        /// <summary>Replaces <paramref name="final"/> (if present) by <paramref name="temp"/> in one step.</summary>
        void MoveIntoPlace(string temp, string final, ShareEntry entry);

        void SetDirectoryTimes(string path, ShareEntry entry);
    }

    internal static class FileTransfer
    {
        public static IFileTransfer ForPlatform() =>
            UnixNative.IsSupported ? new UnixFileTransfer() : (IFileTransfer)new ManagedFileTransfer();
    }

    /// <summary>Linux: open/statx/copy_file_range/fchmod/futimens/rename, as few system calls per file as cp makes.</summary>
    internal sealed class UnixFileTransfer : IFileTransfer
    {
        private bool _kernelCopy = true;

        public long CopyToTemp(string source, string temp, long resumeFrom, ShareEntry entry, byte[] buffer, long chunkSize, Action<long, long> onChunk)
        {
            var src = UnixNative.OpenRead(source);
            try
            {
                var status = UnixNative.FStat(src, source);
                if (status.Type != UnixNative.TypeRegular) throw new NotRegularFileException(source);
                var dst = UnixNative.OpenWrite(temp, truncate: resumeFrom == 0);
                var offset = resumeFrom;
                try
                {
                    if (resumeFrom > 0) UnixNative.Truncate(dst, resumeFrom, temp);
                    var kernelCopy = _kernelCopy;
                    while (true)
                    {
                        var want = Math.Max(chunkSize, 1);
                        var n = UnixNative.CopyRange(src, dst, offset, want, buffer, ref kernelCopy, source);
                        if (n == 0) break;
                        offset += n;
                        onChunk(offset, n);
                        // The size seen at open is the version being copied (as cp does); no extra call to find the end.
                        if (offset >= status.Size) break;
                    }
                    _kernelCopy = kernelCopy;
                    UnixNative.ApplyModeAndTimes(dst, status, temp);
                }
                catch
                {
                    UnixNative.CloseQuietly(dst);
                    throw;
                }
                UnixNative.Close(dst, temp);
                return offset;
            }
            finally
            {
                UnixNative.CloseQuietly(src);
            }
        }

        public void MoveIntoPlace(string temp, string final, ShareEntry entry) => UnixNative.Rename(temp, final);

        public void SetDirectoryTimes(string path, ShareEntry entry) => UnixNative.SetTimes(path, entry.LastAccessUtc, entry.LastWriteUtc);
    }

    /// <summary>Windows (and any platform without the Linux calls): FileStream with large buffers.</summary>
    internal sealed class ManagedFileTransfer : IFileTransfer
    {
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        public long CopyToTemp(string source, string temp, long resumeFrom, ShareEntry entry, byte[] buffer, long chunkSize, Action<long, long> onChunk)
        {
            using (var src = new FileStream(source, FileMode.Open, FileAccess.Read, System.IO.FileShare.ReadWrite | System.IO.FileShare.Delete, 1, FileOptions.SequentialScan))
            {
                if (IsWindows && File.Exists(temp)) File.SetAttributes(temp, FileAttributes.Normal);
                long offset;
                using (var dst = new FileStream(temp, resumeFrom > 0 ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.Write, System.IO.FileShare.None, 1))
                {
                    dst.SetLength(resumeFrom);
                    dst.Position = resumeFrom;
                    src.Position = resumeFrom;
                    offset = resumeFrom;
                    long sinceReport = 0;
                    int n;
                    while ((n = src.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        dst.Write(buffer, 0, n);
                        offset += n;
                        sinceReport += n;
                        if (sinceReport >= chunkSize)
                        {
                            onChunk(offset, sinceReport);
                            sinceReport = 0;
                        }
                    }
                    if (sinceReport > 0) onChunk(offset, sinceReport);
                }
                File.SetLastWriteTimeUtc(temp, entry.LastWriteUtc);
                if (IsWindows) File.SetCreationTimeUtc(temp, entry.CreationUtc);
                return offset;
            }
        }

        public void MoveIntoPlace(string temp, string final, ShareEntry entry)
        {
            if (IsWindows && File.Exists(final))
            {
                var existing = File.GetAttributes(final);
                if ((existing & FileAttributes.ReadOnly) != 0) File.SetAttributes(final, existing & ~FileAttributes.ReadOnly);
            }
            ReplaceFile(temp, final);
            if (IsWindows)
            {
                const FileAttributes kept = FileAttributes.ReadOnly | FileAttributes.Hidden | FileAttributes.System | FileAttributes.Archive;
                var wanted = entry.Attributes & kept;
                if (wanted != 0) File.SetAttributes(final, wanted);
            }
        }

        public void SetDirectoryTimes(string path, ShareEntry entry)
        {
            Directory.SetLastWriteTimeUtc(path, entry.LastWriteUtc);
            if (IsWindows) Directory.SetCreationTimeUtc(path, entry.CreationUtc);
        }

#if NETFRAMEWORK
        private const int MoveFileReplaceExisting = 1;

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static extern bool MoveFileEx(string existingFileName, string newFileName, int flags);

        private static void ReplaceFile(string temp, string final)
        {
            if (!IsWindows)
            {
                if (File.Exists(final)) File.Delete(final);
                File.Move(temp, final);
                return;
            }
            if (!MoveFileEx(temp, final, MoveFileReplaceExisting))
                throw new IOException($"Moving '{temp}' into place failed.", Marshal.GetHRForLastWin32Error());
        }
#else
        private static void ReplaceFile(string temp, string final) => File.Move(temp, final, overwrite: true);
#endif
    }
}
