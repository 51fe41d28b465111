using System;
using System.IO;
using System.Linq;

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// Finds the shared Azure REST examples: &lt;repo&gt;/../shared/azure-api-examples (and the further ones in
/// azure-api-examples-next), where &lt;repo&gt; is the clone (or, for a git worktree, the main working tree it belongs to).
/// </summary>
public static class ExampleFiles
{
    public static string Directory() => Directory("azure-api-examples")
        ?? throw new DirectoryNotFoundException(
            "The Azure REST examples were not found; they must sit in shared/azure-api-examples beside the repository (bash build/fetch-azure-examples.sh puts them there). Looked in: "
            + string.Join(", ", Candidates("azure-api-examples")));

    /// <summary>The second folder of examples (shared/azure-api-examples-next), kept apart so that not every file in it
    /// needs a case; null when it is not there.</summary>
    public static string? NextDirectory() => Directory("azure-api-examples-next");

    /// <summary>The example file named <paramref name="file"/> (relative, with '/'): in the first folder, else in the second.</summary>
    public static string Find(string file)
    {
        foreach (var folder in new[] { Directory(), NextDirectory() })
        {
            if (folder != null && File.Exists(Path.Combine(folder, file)))
            {
                return Path.Combine(folder, file);
            }
        }
        throw new FileNotFoundException($"The example '{file}' is in neither shared/azure-api-examples nor shared/azure-api-examples-next (bash build/fetch-azure-examples.sh fetches it).", file);
    }

    private static string? Directory(string name) => Candidates(name).FirstOrDefault(System.IO.Directory.Exists);

    private static System.Collections.Generic.List<string> Candidates(string name)
    {
        var root = RepositoryRoot();
        return new[] { Path.Combine(root, "..", "shared", name) }
            .Concat(MainWorkTree(root) is string main ? new[] { Path.Combine(main, "..", "shared", name) } : Array.Empty<string>())
            .Select(Path.GetFullPath)
            .ToList();
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
