using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>Where things are: the repository, its manifest and the packaged module folder.</summary>
public static class Repo
{
    public static readonly string[] Editions = { "Core", "Desktop" };

    private static readonly Lazy<string> LazyRoot = new Lazy<string>(FindRoot);

    /// <summary>The folder holding AppServiceDr.sln, found by walking up from the test assembly.</summary>
    public static string Root => LazyRoot.Value;

    public static string ManifestPath => Path.Combine(Root, "AppServiceDr.psd1");

    public static string FormatFilePath => Path.Combine(Root, "src", "AppServiceDr", "AppServiceDr.format.ps1xml");

    public static string CmdletDocs => Path.Combine(Root, "docs", "cmdlets");

    public static string ModuleVersion =>
        Psd1.Load(ManifestPath).String("ModuleVersion")
        ?? throw new InvalidOperationException("AppServiceDr.psd1 has no ModuleVersion.");

    /// <summary>out/AppServiceDr/&lt;version&gt;/, which must have been packaged before the tests run.</summary>
    public static string PackagedModule
    {
        get
        {
            var folder = Path.Combine(Root, "out", "AppServiceDr", ModuleVersion);
            if (!File.Exists(Path.Combine(folder, "AppServiceDr.psd1")))
            {
                throw new InvalidOperationException(
                    $"The packaged module is missing from {folder}. Run 'dotnet msbuild build/Package.proj' (build/test.sh does) before these tests.");
            }
            return folder;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds AppServiceDr.sln.");
    }

    /// <summary>The version Directory.Packages.props pins for a package.</summary>
    public static string PinnedVersion(string package)
    {
        var props = File.ReadAllText(Path.Combine(Root, "Directory.Packages.props"));
        var match = Regex.Match(props, $"<PackageVersion\\s+Include=\"{Regex.Escape(package)}\"\\s+Version=\"([^\"]+)\"", RegexOptions.IgnoreCase);
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"Directory.Packages.props pins no version of {package}.");
    }

    /// <summary>The NuGet global packages folder: NUGET_PACKAGES when set, else ~/.nuget/packages.</summary>
    public static string NuGetPackages
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            return !string.IsNullOrEmpty(configured)
                ? configured
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }
    }

    /// <summary>Files of the given extensions that git tracks, as paths relative to the root.</summary>
    public static IReadOnlyList<string> TrackedFiles(params string[] extensions)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "ls-files", "-z", "--" }.Concat(extensions.Select(e => "*" + e)))
        {
            start.ArgumentList.Add(argument);
        }
        using var git = Process.Start(start) ?? throw new InvalidOperationException("git could not be started.");
        var output = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git ls-files failed in {Root}: {error.Trim()}");
        }
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).OrderBy(p => p, StringComparer.Ordinal).ToList();
    }
}
