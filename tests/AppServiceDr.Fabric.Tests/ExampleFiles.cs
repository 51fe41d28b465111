using System;
using System.IO;
using System.Linq;

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// Finds the shared Azure REST examples: &lt;repo&gt;/../shared/azure-api-examples, where &lt;repo&gt; is the
/// clone (or, for a git worktree, the main working tree it belongs to).
/// </summary>
public static class ExampleFiles
{
    public static string Directory() => Find("azure-api-examples");

    /// <summary>The examples kept apart in shared/azure-api-examples-next (build/azure-api-examples-next.tsv).</summary>
    public static string NextDirectory() => Find("azure-api-examples-next");

    private static string Find(string folder)
    {
        var root = RepositoryRoot();
        var candidates = new[] { Path.Combine(root, "..", "shared", folder) }
            .Concat(MainWorkTree(root) is string main ? new[] { Path.Combine(main, "..", "shared", folder) } : Array.Empty<string>())
            .Select(Path.GetFullPath)
            .ToList();
        var found = candidates.FirstOrDefault(System.IO.Directory.Exists);
        if (found == null)
        {
            throw new DirectoryNotFoundException(
                "The Azure REST examples were not found; they must sit in shared/azure-api-examples beside the repository (bash build/fetch-azure-examples.sh puts them there). Looked in: "
                + string.Join(", ", candidates));
        }
        return found;
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("AppServiceDr.sln was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>For a worktree, .git is a file "gitdir: &lt;main&gt;/.git/worktrees/&lt;name&gt;".</summary>
    private static string? MainWorkTree(string root)
    {
        var gitFile = Path.Combine(root, ".git");
        if (!File.Exists(gitFile))
        {
            return null;
        }
        var line = File.ReadAllText(gitFile).Trim();
        const string prefix = "gitdir:";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var gitDir = Path.GetFullPath(Path.Combine(root, line.Substring(prefix.Length).Trim()));
        var marker = Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar + "worktrees" + Path.DirectorySeparatorChar;
        var at = gitDir.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : gitDir.Substring(0, at);
    }
}
