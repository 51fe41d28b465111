using System;
using System.Collections.Generic;
using System.IO;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>A robocopy-style exclusion: <c>*</c> any run of characters, <c>?</c> one character. A pattern with a
    /// path separator matches the path relative to the source root; otherwise it matches the item's name.</summary>
    internal sealed class WildcardPattern
    {
        private readonly string _pattern;
        private readonly bool _ignoreCase;

        public WildcardPattern(string pattern, bool ignoreCase)
        {
            var normalized = pattern.Replace('\\', '/').Trim('/');
            _pattern = normalized;
            _ignoreCase = ignoreCase;
            MatchesPath = normalized.IndexOf('/') >= 0;
        }

        public bool MatchesPath { get; }

        public bool IsMatch(string name, string relativePath)
        {
            var text = MatchesPath ? relativePath.Replace('\\', '/') : name;
            return Match(_pattern, 0, text, 0);
        }

        private bool Match(string p, int pi, string t, int ti)
        {
            // Iterative glob match with one backtrack point for the last '*'.
            int star = -1, mark = 0;
            while (ti < t.Length)
            {
                if (pi < p.Length && (p[pi] == '?' || Same(p[pi], t[ti]))) { pi++; ti++; }
                else if (pi < p.Length && p[pi] == '*') { star = pi++; mark = ti; }
                else if (star >= 0) { pi = star + 1; ti = ++mark; }
                else return false;
            }
            while (pi < p.Length && p[pi] == '*') pi++;
            return pi == p.Length;
        }

        private bool Same(char a, char b) =>
            a == b || (_ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));

        public static WildcardPattern[] Compile(IReadOnlyList<string>? patterns, bool ignoreCase, string parameter)
        {
            if (patterns == null || patterns.Count == 0) return Array.Empty<WildcardPattern>();
            var result = new WildcardPattern[patterns.Count];
            for (var i = 0; i < patterns.Count; i++)
            {
                var p = patterns[i];
                if (string.IsNullOrWhiteSpace(p) || p.IndexOf('\0') >= 0)
                    throw DrException.Precondition("FileShareInvalidExcludePattern", DrErrorCategory.InvalidArgument,
                        $"The {parameter} pattern at position {i} is empty or not valid.", p);
                result[i] = new WildcardPattern(p, ignoreCase);
            }
            return result;
        }

        public static bool Any(WildcardPattern[] patterns, string name, string relativePath)
        {
            foreach (var p in patterns)
                if (p.IsMatch(name, relativePath)) return true;
            return false;
        }
    }

    /// <summary>Path checks done before anything is written.</summary>
    internal static class PathSafety
    {
        public static readonly bool IgnoreCase = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);

        public static StringComparison Comparison => IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

        public static StringComparer Comparer => IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        public static string Full(string path)
        {
            var full = Path.GetFullPath(path);
            var root = Path.GetPathRoot(full) ?? "";
            return full.Length > root.Length ? full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) : full;
        }

        /// <summary>The path with every symbolic link in its existing part resolved (Linux); the full path elsewhere.</summary>
        public static string Resolved(string fullPath)
        {
            if (!UnixNative.IsSupported) return fullPath;
            var existing = fullPath;
            var rest = "";
            while (true)
            {
                var real = UnixNative.RealPath(existing);
                if (real != null) return rest.Length == 0 ? real : Path.Combine(real, rest);
                var parent = Path.GetDirectoryName(existing);
                if (string.IsNullOrEmpty(parent)) return fullPath;
                var leaf = Path.GetFileName(existing);
                rest = rest.Length == 0 ? leaf : Path.Combine(leaf, rest);
                existing = parent!;
            }
        }

        /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or lies below it.</summary>
        public static bool IsSameOrInside(string outer, string inner)
        {
            if (string.Equals(outer, inner, Comparison)) return true;
            var prefix = outer.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? outer : outer + Path.DirectorySeparatorChar;
            return inner.StartsWith(prefix, Comparison);
        }
    }
}
