using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>The few libc calls the Linux copy path needs (64-bit Linux; callers check <see cref="IsSupported"/>).</summary>
    internal static class UnixNative
    {
        private const string Libc = "libc";
        private const int AtFdCwd = -100;
        private const int AtSymlinkNoFollow = 0x100;
        private const int AtEmptyPath = 0x1000;
        private const uint StatxBasicStats = 0x7ff;
        private const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200, ONonBlock = 0x800, OCloExec = 0x80000;
        private const int EIntr = 4, EXDev = 18, EInval = 22, ENoSys = 38, EOpNotSupp = 95;

        public const uint TypeMask = 0xF000, TypeRegular = 0x8000, TypeDirectory = 0x4000, TypeLink = 0xA000;

        /// <summary>Linux on a 64-bit process: the struct layouts below (timespec, statx) hold there.</summary>
        public static readonly bool IsSupported =
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && IntPtr.Size == 8;

        // O_NOFOLLOW differs between the x86 and the generic (arm64) Linux ABI.
        private static readonly int ONoFollow =
            RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport(Libc, EntryPoint = "open", SetLastError = true)]
        private static extern int SysOpen(string path, int flags, uint mode);
        [DllImport(Libc, EntryPoint = "close", SetLastError = true)]
        private static extern int SysClose(int fd);
        [DllImport(Libc, EntryPoint = "copy_file_range", SetLastError = true)]
        private static extern IntPtr SysCopyFileRange(int fdIn, ref long offIn, int fdOut, ref long offOut, IntPtr len, uint flags);
        [DllImport(Libc, EntryPoint = "pread", SetLastError = true)]
        private static extern IntPtr SysPread(int fd, byte[] buffer, IntPtr count, long offset);
        [DllImport(Libc, EntryPoint = "pwrite", SetLastError = true)]
        private static extern IntPtr SysPwrite(int fd, byte[] buffer, IntPtr count, long offset);
        [DllImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
        private static extern int SysFtruncate(int fd, long length);
        [DllImport(Libc, EntryPoint = "fchmod", SetLastError = true)]
        private static extern int SysFchmod(int fd, uint mode);
        [DllImport(Libc, EntryPoint = "futimens", SetLastError = true)]
        private static extern int SysFutimens(int fd, Timespec[] times);
        [DllImport(Libc, EntryPoint = "utimensat", SetLastError = true)]
        private static extern int SysUtimensat(int dirfd, string path, Timespec[] times, int flags);
        [DllImport(Libc, EntryPoint = "rename", SetLastError = true)]
        private static extern int SysRename(string from, string to);
        [DllImport(Libc, EntryPoint = "statx", SetLastError = true)]
        private static extern int SysStatx(int dirfd, string path, int flags, uint mask, byte[] buffer);
        [DllImport(Libc, EntryPoint = "lchown", SetLastError = true)]
        private static extern int SysLchown(string path, uint owner, uint group);
        [DllImport(Libc, EntryPoint = "chmod", SetLastError = true)]
        private static extern int SysChmod(string path, uint mode);
        [DllImport(Libc, EntryPoint = "getpwnam", SetLastError = true)]
        private static extern IntPtr SysGetpwnam(string name);
        [DllImport(Libc, EntryPoint = "getgrnam", SetLastError = true)]
        private static extern IntPtr SysGetgrnam(string name);
        [DllImport(Libc, EntryPoint = "realpath", SetLastError = true)]
        private static extern IntPtr SysRealpath(string path, IntPtr resolved);
        [DllImport(Libc, EntryPoint = "opendir", SetLastError = true)]
        private static extern IntPtr SysOpendir(string path);
        [DllImport(Libc, EntryPoint = "readdir64", SetLastError = true)]
        private static extern IntPtr SysReaddir(IntPtr dir);
        [DllImport(Libc, EntryPoint = "closedir")]
        private static extern int SysClosedir(IntPtr dir);
        [DllImport(Libc, EntryPoint = "dirfd")]
        private static extern int SysDirfd(IntPtr dir);
        [DllImport(Libc, EntryPoint = "statx", SetLastError = true)]
        private static extern int SysStatxAt(int dirfd, IntPtr name, int flags, uint mask, byte[] buffer);
        [DllImport(Libc, EntryPoint = "free")]
        private static extern void SysFree(IntPtr p);

        /// <summary>What fstat/statx reports about one item.</summary>
        public readonly struct Status
        {
            public Status(uint mode, long size, ulong device, ulong inode, long atimeSec, uint atimeNsec, long mtimeSec, uint mtimeNsec)
            {
                Mode = mode; Size = size; Device = device; Inode = inode;
                AtimeSeconds = atimeSec; AtimeNanoseconds = atimeNsec; MtimeSeconds = mtimeSec; MtimeNanoseconds = mtimeNsec;
            }

            public uint Mode { get; }
            public long Size { get; }
            public ulong Device { get; }
            public ulong Inode { get; }
            public long AtimeSeconds { get; }
            public uint AtimeNanoseconds { get; }
            public long MtimeSeconds { get; }
            public uint MtimeNanoseconds { get; }
            public uint Type => Mode & TypeMask;

            public DateTime LastWriteTimeUtc => ToDateTime(MtimeSeconds, MtimeNanoseconds);
            public DateTime LastAccessTimeUtc => ToDateTime(AtimeSeconds, AtimeNanoseconds);

            private static DateTime ToDateTime(long seconds, uint nanoseconds) =>
                new DateTime(UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + nanoseconds / 100, DateTimeKind.Utc);
        }

        private static readonly DateTime UnixEpoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        public static Exception Error(string what, string path)
        {
            var errno = Marshal.GetLastWin32Error();
            return ErrorFromCode(errno, what, path);
        }

        private static Exception ErrorFromCode(int errno, string what, string path)
        {
            var text = new Win32Exception(errno).Message;
            var message = $"{what} '{path}' failed: {text} (errno {errno}).";
            switch (errno)
            {
                case 2: return new FileNotFoundException(message, path);
                case 1:
                case 13: return new UnauthorizedAccessException(message);
                default: return new IOException(message, errno);
            }
        }

        public static int OpenRead(string path)
        {
            // Non-blocking so that a FIFO is opened (and then refused by type) instead of hanging the worker.
            int fd;
            do fd = SysOpen(path, ORdOnly | ONonBlock | OCloExec | ONoFollow, 0);
            while (fd < 0 && Marshal.GetLastWin32Error() == EIntr);
            if (fd < 0) throw Error("Opening", path);
            return fd;
        }

        public static int OpenWrite(string path, bool truncate)
        {
            int fd;
            do fd = SysOpen(path, OWrOnly | OCreat | OCloExec | ONoFollow | (truncate ? OTrunc : 0), 0x180 /* 0600 until the copy is complete */);
            while (fd < 0 && Marshal.GetLastWin32Error() == EIntr);
            if (fd < 0) throw Error("Creating", path);
            return fd;
        }

        public static void Close(int fd, string path)
        {
            if (SysClose(fd) != 0 && Marshal.GetLastWin32Error() != EIntr) throw Error("Closing", path);
        }

        public static void CloseQuietly(int fd) => SysClose(fd);

        public static Status FStat(int fd, string path)
        {
            var buffer = new byte[256];
            if (SysStatx(fd, "", AtEmptyPath, StatxBasicStats, buffer) != 0) throw Error("Reading the status of", path);
            return Parse(buffer);
        }

        /// <summary>lstat by path; false when the item does not exist.</summary>
        public static bool TryLStat(string path, out Status status)
        {
            var buffer = new byte[256];
            if (SysStatx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            {
                status = default;
                if (Marshal.GetLastWin32Error() == 2) return false;
                throw Error("Reading the status of", path);
            }
            status = Parse(buffer);
            return true;
        }

        /// <summary>Lists a directory with readdir and one statx per entry relative to the directory's descriptor
        /// (no path resolution per entry, no link following).</summary>
        public static System.Collections.Generic.IEnumerable<ShareEntry> List(string path)
        {
            var dir = SysOpendir(path);
            if (dir == IntPtr.Zero)
            {
                var errno = Marshal.GetLastWin32Error();
                if (errno == 2) throw new DirectoryNotFoundException($"The directory '{path}' does not exist.");
                throw ErrorFromCode(errno, "Listing", path);
            }
            try
            {
                var fd = SysDirfd(dir);
                var buffer = new byte[256];
                while (true)
                {
                    var entry = SysReaddir(dir);
                    if (entry == IntPtr.Zero)
                    {
                        var errno = Marshal.GetLastWin32Error();
                        if (errno != 0) throw ErrorFromCode(errno, "Listing", path);
                        yield break;
                    }
                    // struct dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
                    var namePtr = entry + 19;
                    if (Marshal.ReadByte(namePtr) == (byte)'.')
                    {
                        var second = Marshal.ReadByte(namePtr, 1);
                        if (second == 0 || (second == (byte)'.' && Marshal.ReadByte(namePtr, 2) == 0)) continue;
                    }
                    var name = PtrToUtf8(namePtr);
                    if (SysStatxAt(fd, namePtr, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
                    {
                        var errno = Marshal.GetLastWin32Error();
                        if (errno == 2) continue; // removed while listing
                        throw ErrorFromCode(errno, "Reading the status of", Path.Combine(path, name));
                    }
                    var st = Parse(buffer);
                    var kind = st.Type == TypeDirectory ? EntryKind.Directory : st.Type == TypeLink ? EntryKind.Link : EntryKind.File;
                    var attributes = kind == EntryKind.Directory ? FileAttributes.Directory : kind == EntryKind.Link ? FileAttributes.ReparsePoint : FileAttributes.Normal;
                    var mtime = st.LastWriteTimeUtc;
                    yield return new ShareEntry(name, kind, kind == EntryKind.File ? st.Size : 0, mtime, st.LastAccessTimeUtc, mtime, attributes);
                }
            }
            finally
            {
                SysClosedir(dir);
            }
        }

        private static Status Parse(byte[] b)
        {
            uint mode = BitConverter.ToUInt16(b, 28);
            long size = (long)BitConverter.ToUInt64(b, 40);
            ulong inode = BitConverter.ToUInt64(b, 32);
            long atimeSec = BitConverter.ToInt64(b, 64);
            uint atimeNsec = BitConverter.ToUInt32(b, 72);
            long mtimeSec = BitConverter.ToInt64(b, 112);
            uint mtimeNsec = BitConverter.ToUInt32(b, 120);
            ulong device = ((ulong)BitConverter.ToUInt32(b, 136) << 32) | BitConverter.ToUInt32(b, 140);
            return new Status(mode, size, device, inode, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
        }

        /// <summary>Copies from <paramref name="src"/> at <paramref name="offset"/> up to <paramref name="count"/> bytes
        /// (fewer at end of file) into the same offset of <paramref name="dst"/>; returns the bytes copied, 0 at end of file.
        /// Uses copy_file_range (data stays in the kernel) and falls back to pread/pwrite where it is not available.</summary>
        public static long CopyRange(int src, int dst, long offset, long count, byte[] buffer, ref bool kernelCopy, string path)
        {
            if (kernelCopy)
            {
                long inOff = offset, outOff = offset;
                long n;
                do n = (long)SysCopyFileRange(src, ref inOff, dst, ref outOff, new IntPtr(Math.Min(count, 1L << 30)), 0);
                while (n < 0 && Marshal.GetLastWin32Error() == EIntr);
                if (n >= 0) return n;
                var errno = Marshal.GetLastWin32Error();
                if (errno != EXDev && errno != ENoSys && errno != EInval && errno != EOpNotSupp) throw ErrorFromCode(errno, "Copying", path);
                kernelCopy = false;
            }
            long read;
            do read = (long)SysPread(src, buffer, new IntPtr((int)Math.Min(count, buffer.Length)), offset);
            while (read < 0 && Marshal.GetLastWin32Error() == EIntr);
            if (read < 0) throw Error("Reading", path);
            long written = 0;
            while (written < read)
            {
                var chunk = written == 0 ? buffer : Slice(buffer, (int)written, (int)(read - written));
                var w = (long)SysPwrite(dst, chunk, new IntPtr(read - written), offset + written);
                if (w < 0)
                {
                    if (Marshal.GetLastWin32Error() == EIntr) continue;
                    throw Error("Writing", path);
                }
                written += w;
            }
            return read;
        }

        private static byte[] Slice(byte[] buffer, int start, int length)
        {
            var copy = new byte[length];
            Buffer.BlockCopy(buffer, start, copy, 0, length);
            return copy;
        }

        public static void Truncate(int fd, long length, string path)
        {
            if (SysFtruncate(fd, length) != 0) throw Error("Truncating", path);
        }

        /// <summary>Gives the open file the source's permission bits and access/modification times.</summary>
        public static void ApplyModeAndTimes(int fd, Status source, string path)
        {
            if (SysFchmod(fd, source.Mode & 0xFFF) != 0) throw Error("Setting the mode of", path);
            var times = new[]
            {
                new Timespec { Seconds = source.AtimeSeconds, Nanoseconds = source.AtimeNanoseconds },
                new Timespec { Seconds = source.MtimeSeconds, Nanoseconds = source.MtimeNanoseconds },
            };
            if (SysFutimens(fd, times) != 0) throw Error("Setting the times of", path);
        }

        /// <summary>Sets access and modification time of a path (not following a final symlink).</summary>
        public static void SetTimes(string path, DateTime lastAccessUtc, DateTime lastWriteUtc)
        {
            var times = new[] { ToTimespec(lastAccessUtc), ToTimespec(lastWriteUtc) };
            if (SysUtimensat(AtFdCwd, path, times, AtSymlinkNoFollow) != 0) throw Error("Setting the times of", path);
        }

        private static Timespec ToTimespec(DateTime utc)
        {
            var ticks = utc.ToUniversalTime().Ticks - UnixEpoch.Ticks;
            var seconds = ticks / TimeSpan.TicksPerSecond;
            var rest = ticks % TimeSpan.TicksPerSecond;
            if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
            return new Timespec { Seconds = seconds, Nanoseconds = rest * 100 };
        }

        /// <summary>rename(2): atomic replacement of the final name.</summary>
        public static void Rename(string from, string to)
        {
            if (SysRename(from, to) != 0) throw Error("Renaming into", to);
        }

        public static void LChown(string path, uint owner, uint group)
        {
            if (SysLchown(path, owner, group) != 0) throw Error("Changing the owner of", path);
        }

        public static void Chmod(string path, uint mode)
        {
            if (SysChmod(path, mode) != 0) throw Error("Changing the mode of", path);
        }

        /// <summary>Numeric id of a user or group name; numbers are taken as they are. Null when unknown.</summary>
        public static uint? LookupId(string nameOrId, bool group)
        {
            if (uint.TryParse(nameOrId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)) return id;
            var entry = group ? SysGetgrnam(nameOrId) : SysGetpwnam(nameOrId);
            if (entry == IntPtr.Zero) return null;
            // struct passwd and struct group both start with two char pointers, then the numeric id.
            return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        }

        /// <summary>realpath(3); null when the path does not exist.</summary>
        public static string? RealPath(string path)
        {
            var p = SysRealpath(path, IntPtr.Zero);
            if (p == IntPtr.Zero) return null;
            try { return PtrToUtf8(p); }
            finally { SysFree(p); }
        }

        private static string PtrToUtf8(IntPtr p)
        {
#if !NETFRAMEWORK
            return Marshal.PtrToStringUTF8(p) ?? "";
#else
            var length = 0;
            while (Marshal.ReadByte(p, length) != 0) length++;
            var bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return System.Text.Encoding.UTF8.GetString(bytes);
#endif
        }
    }
}
