using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>
/// docs/runbooks/ maps each manual step to a cmdlet and says whether that cmdlet is available or planned.
/// The status has to stay true as cmdlets land: an available cmdlet is exported by the manifest, and a
/// cmdlet the manifest exports is no longer marked planned.
/// </summary>
public sealed class RunbookDocsTests
{
    private static readonly Regex CmdletName = new Regex(@"`(?<name>[A-Z][a-z]+-[A-Z][A-Za-z]+)", RegexOptions.CultureInvariant);

    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var page in Directory.GetFiles(Path.Combine(Repo.Root, "docs", "runbooks"), "*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(page));
        }
        return data;
    }

    [Fact]
    public void EachSeedProcedureHasAPage()
    {
        var pages = Pages().Cast<object[]>().Select(p => (string)p[0]).ToList();

        Assert.Contains("azure-stack-app-service.md", pages);
        Assert.Contains("azure-app-service.md", pages);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void CmdletStatusMatchesTheManifest(string page)
    {
        var exported = new HashSet<string>(Psd1.Load(Repo.ManifestPath).Strings("CmdletsToExport")!, StringComparer.Ordinal);
        var failures = new List<string>();
        var rows = 0;
        foreach (var line in File.ReadLines(Path.Combine(Repo.Root, "docs", "runbooks", page)))
        {
            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToList();
            if (!line.TrimStart().StartsWith("|", StringComparison.Ordinal) || cells.Count < 3)
            {
                continue;
            }
            // Rows are "| manual step | cmdlet | status |"; the index page's shared table is "| cmdlet | status | use |".
            var statusIndex = cells.FindIndex(c => c.StartsWith("available", StringComparison.Ordinal) || c.StartsWith("planned", StringComparison.Ordinal));
            if (statusIndex < 1)
            {
                continue;
            }
            rows++;
            var status = cells[statusIndex];
            var named = CmdletName.Matches(cells[statusIndex - 1]).Select(m => m.Groups["name"].Value).ToList();
            if (status.StartsWith("available", StringComparison.Ordinal))
            {
                failures.AddRange(named.Where(n => !exported.Contains(n)).Select(n => $"{page}: {n} is marked available but the manifest does not export it"));
            }
            else
            {
                failures.AddRange(named.Where(exported.Contains).Select(n => $"{page}: {n} is exported now; mark its step available"));
            }
        }

        Assert.True(rows > 0, $"{page} has no step table with an available/planned status");
        Failures.None(failures);
    }
}
