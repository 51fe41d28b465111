using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>
/// The PowerShell that calls the module's cmdlets (the tracked .ps1/.psm1 files and the ```powershell blocks
/// of every tracked .md file: help pages, runbook maps, READMEs) names only parameters the cmdlets declare.
/// No PowerShell engine runs here, so the scripts are parsed with tree-sitter-powershell and each parameter
/// name is matched the way PowerShell binds it.
/// </summary>
public sealed class ScriptParameterTests
{
    private static readonly Lazy<IReadOnlyList<ScriptListing>> RepositoryScripts = new Lazy<IReadOnlyList<ScriptListing>>(
        () => PowerShellCommands.List(CheckedFiles().Select(f => Path.Combine(Repo.Root, f)).ToList()));

    private static IReadOnlyList<string> CheckedFiles() =>
        Repo.TrackedFiles(".ps1", ".psm1")
            .Concat(Repo.TrackedFiles(".md"))
            .ToList();

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void ScriptsAndHelpExamplesUseOnlyParametersTheCmdletsDeclare(string edition)
    {
        var result = Check(RepositoryScripts.Value, Exported(edition));

        Assert.True(result.Failures.Count == 0,
            $"{result.Failures.Count} unknown parameter(s):\n  " + string.Join("\n  ", result.Failures)
            + (result.Unchecked.Count == 0 ? string.Empty : "\nNot checked:\n  " + string.Join("\n  ", result.Unchecked)));
    }

    [Fact]
    public void TheCheckSeesEveryExportedCmdletInvoked()
    {
        var exported = Exported("Core").Select(c => c.Name).ToList();

        var invoked = Check(RepositoryScripts.Value, Exported("Core")).Invoked;

        Assert.Equal(exported, exported.Where(invoked.Contains));
    }

    [Fact]
    public void TheHelpExamplesParse()
    {
        var failures = RepositoryScripts.Value
            .Where(l => l.File.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            .SelectMany(l => l.SyntaxErrors.Select(e => $"{Display(l.File)}: {e}"))
            .ToList();

        Failures.None(failures);
    }

    [Fact]
    public void AMadeUpParameterIsReported()
    {
        var result = CheckScript(
            "$state = Join-Path $env:TEMP 'dr'",
            "Get-DrRun -StateDirectory $state -Newest 3");

        var failure = Assert.Single(result.Failures);
        Assert.Contains(":2: Get-DrRun has no parameter -Newest", failure);
        Assert.Contains("StateDirectory", failure);
    }

    [Fact]
    public void AMadeUpKeyOfASplattedHashtableIsReported()
    {
        var result = CheckScript(
            "$copy = @{",
            "    Source      = 'D:\\share'",
            "    Destination = 'E:\\share'",
            "    'Threads'   = 16",
            "}",
            "Restore-FileShareContent @copy -Confirm:$false");

        var failure = Assert.Single(result.Failures);
        Assert.Contains(":4: Restore-FileShareContent has no parameter -Threads (a key of @copy, splatted at line 6)", failure);
    }

    [Fact]
    public void WhatIfOnACmdletWithoutShouldProcessIsReported()
    {
        Assert.False(Exported("Core").Single(c => c.Name == "Get-DrRun").SupportsShouldProcess);

        var result = CheckScript("Get-DrRun -Last 1 -WhatIf");

        var failure = Assert.Single(result.Failures);
        Assert.Contains(":1: Get-DrRun has no parameter -WhatIf", failure);
    }

    [Fact]
    public void WhatPowerShellBindsIsNotReported()
    {
        var result = CheckScript(
            "$report = @{ RunId = 'r1'; path = 'report.md' }",
            "$report += @{ Format = 'Markdown' }",
            "export-drreport @report -Force -Confirm:$false -WhatIf -ea Stop",
            "AppServiceDr\\Get-DrRun -StateDir $state -Las 1 -Verbose -OutVariable runs",
            "& Get-DrRun -RunId r1",
            "function Invoke-Twice { Get-DrRun @PSBoundParameters }");

        Assert.Empty(result.Failures);
        Assert.Equal(new[] { "Export-DrReport", "Get-DrRun" }, result.Invoked.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Contains(result.Unchecked, u => u.Contains(":6: @PSBoundParameters", StringComparison.Ordinal));
    }

    [Fact]
    public void NamesBindByPrefixAliasAndCaseButNotAmbiguously()
    {
        var names = new ParameterNames(new[] { ("Name", (IReadOnlyList<string>)Array.Empty<string>()), ("NameFilter", new[] { "nf" }) }, supportsShouldProcess: false);
        var withShouldProcess = new ParameterNames(Array.Empty<(string, IReadOnlyList<string>)>(), supportsShouldProcess: true);

        Assert.Equal(new[] { "Name" }, names.Match("name"));
        Assert.Equal(new[] { "Name", "NameFilter" }, names.Match("Nam"));
        Assert.Equal(new[] { "NameFilter" }, names.Match("NF"));
        Assert.Equal(new[] { "NameFilter" }, names.Match("NameF"));
        Assert.Equal(new[] { "ErrorAction" }, names.Match("ea"));
        Assert.Equal(new[] { "Verbose" }, names.Match("Verb"));
        Assert.Empty(names.Match("WhatIf"));
        Assert.Empty(names.Match("Filter"));
        Assert.Equal(new[] { "WhatIf" }, withShouldProcess.Match("wh"));
        Assert.Equal(new[] { "Confirm" }, withShouldProcess.Match("cf"));
    }

    /// <summary>What the check found: unknown or ambiguous names, splats it could not follow, and the cmdlets it saw invoked.</summary>
    private sealed record CheckResult(IReadOnlyList<string> Failures, IReadOnlyList<string> Unchecked, IReadOnlySet<string> Invoked);

    private static IReadOnlyList<CmdletShape> Exported(string edition)
    {
        var exported = Psd1.Load(Repo.ManifestPath).Strings("CmdletsToExport") ?? Array.Empty<string>();
        return Packaged.Edition(edition).Cmdlets.Where(c => exported.Contains(c.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    private static CheckResult CheckScript(params string[] lines)
    {
        var script = Path.Combine(Path.GetTempPath(), $"appservicedr-parameters-{Guid.NewGuid():N}.ps1");
        File.WriteAllText(script, string.Join("\n", lines) + "\n");
        try
        {
            return Check(PowerShellCommands.List(new[] { script }), Exported("Core"));
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static CheckResult Check(IEnumerable<ScriptListing> listings, IReadOnlyList<CmdletShape> cmdlets)
    {
        var failures = new List<string>();
        var notFollowed = new List<string>();
        var invoked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listing in listings)
        {
            var file = Display(listing.File);
            foreach (var command in listing.Commands)
            {
                var cmdlet = Find(cmdlets, command.Name);
                if (cmdlet == null)
                {
                    continue;
                }
                invoked.Add(cmdlet.Name);
                var names = ParameterNames.Of(cmdlet);
                foreach (var parameter in command.Parameters)
                {
                    failures.AddRange(Verify(cmdlet, names, parameter, $"{file}:{parameter.Line}", string.Empty));
                }
                foreach (var splat in command.Splats)
                {
                    var keys = SplattedKeys(listing, splat);
                    if (keys == null)
                    {
                        notFollowed.Add($"{file}:{splat.Line}: @{splat.Variable} is splatted into {cmdlet.Name}, and no hashtable literal is assigned to ${splat.Variable} in the file");
                        continue;
                    }
                    foreach (var key in keys)
                    {
                        failures.AddRange(Verify(cmdlet, names, key, $"{file}:{key.Line}", $" (a key of @{splat.Variable}, splatted at line {splat.Line})"));
                    }
                }
            }
        }
        return new CheckResult(failures, notFollowed, invoked);
    }

    /// <summary>An exported cmdlet by the name a script invokes it with (any case, optionally AppServiceDr\Name).</summary>
    private static CmdletShape? Find(IReadOnlyList<CmdletShape> cmdlets, string invokedName)
    {
        const string qualifier = "AppServiceDr\\";
        var name = invokedName.StartsWith(qualifier, StringComparison.OrdinalIgnoreCase) ? invokedName.Substring(qualifier.Length) : invokedName;
        return cmdlets.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    private static IEnumerable<string> Verify(CmdletShape cmdlet, ParameterNames names, WrittenName written, string where, string via)
    {
        var matches = names.Match(written.Name);
        if (matches.Count == 1)
        {
            yield break;
        }
        var own = cmdlet.Parameters.Select(p => p.Name)
            .Concat(cmdlet.SupportsShouldProcess ? ParameterNames.ShouldProcessParameters.Select(p => p.Name) : Enumerable.Empty<string>());
        yield return matches.Count == 0
            ? $"{where}: {cmdlet.Name} has no parameter -{written.Name}{via}; its parameters: {string.Join(", ", own)}, and the common parameters"
            : $"{where}: -{written.Name}{via} is ambiguous for {cmdlet.Name}: it could be {string.Join(" or ", matches)}";
    }

    /// <summary>
    /// The keys a splatted variable holds at the invocation, from the hashtable literals the file assigns to it: the
    /// last "= @{ }" above the invocation (or, when there is none above, the first one in the file, as when a
    /// function splats a variable the script sets further down) with the "+= @{ }" that follow it up to the
    /// invocation. Null when no literal is assigned to the variable in the file.
    /// </summary>
    private static IReadOnlyList<WrittenName>? SplattedKeys(ScriptListing listing, SplatUse splat)
    {
        var assigned = listing.Hashtables.Where(h => string.Equals(h.Variable, splat.Variable, StringComparison.OrdinalIgnoreCase)).ToList();
        var start = assigned.LastOrDefault(h => h.Operator == "=" && h.Line <= splat.Line) ?? assigned.FirstOrDefault(h => h.Operator == "=");
        if (start == null)
        {
            return null;
        }
        return start.Keys
            .Concat(assigned.Where(h => h.Operator == "+=" && h.Line > start.Line && h.Line <= splat.Line).SelectMany(h => h.Keys))
            .ToList();
    }

    private static string Display(string path) =>
        path.StartsWith(Repo.Root, StringComparison.Ordinal) ? Path.GetRelativePath(Repo.Root, path).Replace('\\', '/') : path;
}
