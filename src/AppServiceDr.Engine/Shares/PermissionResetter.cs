using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>The ReACL step: resets permissions of a restored tree.</summary>
    public interface IPermissionResetter
    {
        /// <summary>Checks the options before anything is copied; throws a precondition <see cref="DrException"/>.</summary>
        void Validate(SharePermissionReset options);

        /// <summary>Applies the options to <paramref name="root"/> and everything below it. Returns the number of
        /// items that could not be changed (each also reported as a warning).</summary>
        int Reset(string root, SharePermissionReset options, IDrHost host, CancellationToken cancellationToken);
    }

    public static class PermissionResetter
    {
        public static IPermissionResetter ForPlatform() =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? new WindowsPermissionResetter() : (IPermissionResetter)new UnixPermissionResetter();

        internal static DrException Bad(string id, DrErrorCategory category, string message, object? target) =>
            DrException.Precondition(id, category, message, target);
    }

    /// <summary>Linux: owner, group and mode applied to every item (links get owner and group only, never a mode).</summary>
    public sealed class UnixPermissionResetter : IPermissionResetter
    {
        private const uint Keep = uint.MaxValue;

        public void Validate(SharePermissionReset options) => Parse(options);

        private static (uint owner, uint group, uint? fileMode, uint? dirMode) Parse(SharePermissionReset o)
        {
            if (!UnixNative.IsSupported)
                throw PermissionResetter.Bad("FileSharePermissionResetNotSupported", DrErrorCategory.NotInstalled,
                    "Owner, group and mode can only be applied on 64-bit Linux.", null);
            if (o.Owner == null && o.Group == null && o.Mode == null && o.DirectoryMode == null)
                throw PermissionResetter.Bad("FileSharePermissionNothingToApply", DrErrorCategory.InvalidArgument,
                    "Resetting permissions on Linux needs an owner, a group or a mode.", null);
            var owner = o.Owner == null ? Keep : UnixNative.LookupId(o.Owner, group: false)
                ?? throw PermissionResetter.Bad("FileSharePermissionOwnerNotFound", DrErrorCategory.ObjectNotFound, $"The user '{o.Owner}' does not exist.", o.Owner);
            var group = o.Group == null ? Keep : UnixNative.LookupId(o.Group, group: true)
                ?? throw PermissionResetter.Bad("FileSharePermissionGroupNotFound", DrErrorCategory.ObjectNotFound, $"The group '{o.Group}' does not exist.", o.Group);
            var fileMode = ParseMode(o.Mode);
            var dirMode = ParseMode(o.DirectoryMode) ?? (fileMode.HasValue ? AddSearch(fileMode.Value) : (uint?)null);
            return (owner, group, fileMode, dirMode);
        }

        private static uint? ParseMode(string? text)
        {
            if (text == null) return null;
            uint value = 0;
            var t = text.Trim();
            if (t.Length == 0 || t.Length > 5) value = uint.MaxValue;
            foreach (var c in t)
            {
                if (c < '0' || c > '7') { value = uint.MaxValue; break; }
                value = value * 8 + (uint)(c - '0');
            }
            if (value > 0xFFF)
                throw PermissionResetter.Bad("FileSharePermissionInvalidMode", DrErrorCategory.InvalidArgument,
                    $"'{text}' is not an octal mode such as 0664.", text);
            return value;
        }

        /// <summary>chmod's X: search permission wherever read permission is granted.</summary>
        private static uint AddSearch(uint mode) => mode | ((mode & 0x124) >> 2);

        public int Reset(string root, SharePermissionReset options, IDrHost host, CancellationToken cancellationToken)
        {
            var (owner, group, fileMode, dirMode) = Parse(options);
            var failures = 0;
            void Apply(string path, EntryKind kind)
            {
                try
                {
                    if (owner != Keep || group != Keep) UnixNative.LChown(path, owner, group);
                    var mode = kind == EntryKind.Directory ? dirMode : kind == EntryKind.File ? fileMode : null;
                    if (mode.HasValue) UnixNative.Chmod(path, mode.Value);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    failures++;
                    host.Warning($"Permissions of '{path}' could not be reset: {ex.Message}");
                }
            }
            void Walk(string dir)
            {
                foreach (var e in DirectoryLister.List(dir))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var child = Path.Combine(dir, e.Name);
                    if (e.Kind == EntryKind.Directory) Walk(child);
                    Apply(child, e.Kind);
                }
            }
            Walk(root);
            Apply(root, EntryKind.Directory);
            host.Verbose($"Permissions reset under '{root}' ({failures} failures).");
            return failures;
        }
    }

    /// <summary>Windows: icacls resets every item below the root to inherited permissions, then grants the
    /// owners group full control and the users group modify on the root, inherited by everything.</summary>
    public sealed class WindowsPermissionResetter : IPermissionResetter
    {
        public void Validate(SharePermissionReset options)
        {
            CheckPrincipal(options.OwnersGroup);
            CheckPrincipal(options.UsersGroup);
        }

        private static void CheckPrincipal(string name)
        {
            if (string.IsNullOrWhiteSpace(name) || name.IndexOf('"') >= 0 || name.IndexOf(':') >= 0 || HasControl(name))
                throw PermissionResetter.Bad("FileSharePermissionInvalidPrincipal", DrErrorCategory.InvalidArgument,
                    $"'{name}' is not a valid group name.", name);
        }

        private static bool HasControl(string s)
        {
            foreach (var c in s) if (c < ' ') return true;
            return false;
        }

        public int Reset(string root, SharePermissionReset options, IDrHost host, CancellationToken cancellationToken)
        {
            Validate(options);
            var failures = Run(host, cancellationToken, Path.Combine(root, "*"), "/reset", "/T", "/C", "/Q");
            failures += Run(host, cancellationToken, root, "/grant:r",
                options.OwnersGroup + ":(OI)(CI)F", options.UsersGroup + ":(OI)(CI)M", "/C", "/Q");
            return failures;
        }

        private static int Run(IDrHost host, CancellationToken ct, params string[] args)
        {
            var psi = new ProcessStartInfo("icacls.exe", CommandLine.Join(args))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("icacls could not be started.");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            while (!process.WaitForExit(500))
            {
                if (ct.IsCancellationRequested) { try { process.Kill(); } catch (InvalidOperationException) { } ct.ThrowIfCancellationRequested(); }
            }
            if (process.ExitCode == 0) return 0;
            host.Warning($"icacls {args[1]} on '{args[0]}' ended with exit code {process.ExitCode}: {(stderr.Result + stdout).Trim()}");
            return 1;
        }
    }

    /// <summary>Builds a Windows command line whose arguments CommandLineToArgvW splits back exactly.</summary>
    public static class CommandLine
    {
        public static string Join(params string[] args)
        {
            var sb = new StringBuilder();
            foreach (var a in args)
            {
                if (sb.Length > 0) sb.Append(' ');
                Append(sb, a);
            }
            return sb.ToString();
        }

        private static void Append(StringBuilder sb, string arg)
        {
            if (arg.Length > 0 && arg.IndexOfAny(new[] { ' ', '\t', '"' }) < 0)
            {
                sb.Append(arg);
                return;
            }
            sb.Append('"');
            var backslashes = 0;
            foreach (var c in arg)
            {
                if (c == '\\') { backslashes++; continue; }
                if (c == '"') sb.Append('\\', backslashes * 2 + 1);
                else sb.Append('\\', backslashes);
                backslashes = 0;
                sb.Append(c);
            }
            sb.Append('\\', backslashes * 2);
            sb.Append('"');
        }
    }
}
