using System;
using System.Collections.Generic;
using System.Linq;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>
/// The rules every cmdlet of the module follows, read from the packaged assemblies of both editions.
/// Each test walks every cmdlet the assembly contains and lists every violation it finds.
/// </summary>
public sealed class CmdletSurfaceTests
{
    /// <summary>
    /// Verbs whose cmdlets change state and so must support -WhatIf and -Confirm. PowerShell's guidance
    /// ("Requesting confirmation from cmdlets", and the PSUseShouldProcessForStateChangingFunctions rule,
    /// which names New, Set, Remove, Start, Stop, Restart, Reset and Update) is that any cmdlet that
    /// modifies the system, a resource or a file supports ShouldProcess. Beyond the rule's list this takes
    /// every approved verb whose documented meaning is to create, change, delete, move, copy or write
    /// something: the verbs that add or remove (Add, Clear, Install, Uninstall, Register, Unregister,
    /// Publish, Unpublish), change a resource's state (Enable, Disable, Suspend, Resume, Mount, Dismount,
    /// Lock, Unlock, Block, Unblock, Grant, Revoke, Protect, Unprotect, Sync, Rename, Move, Copy, Restore,
    /// Backup, Repair) and write files (Export, Out, Save). Invoke is included because in this
    /// module it names the recovery runbooks (Invoke-RegionFailover, Invoke-KeyVaultSecretRecovery),
    /// which change Azure resources. Read-only verbs (Get, Find, Search, Test, Measure, Compare, Show,
    /// Watch, Trace, Resolve, Select, Format, ConvertTo, ConvertFrom, Read, Receive, Wait) are not in the set.
    /// </summary>
    public static readonly IReadOnlyCollection<string> StateChangingVerbs = new HashSet<string>(StringComparer.Ordinal)
    {
        "New", "Set", "Remove", "Start", "Stop", "Restart", "Reset", "Update",
        "Add", "Clear", "Install", "Uninstall", "Register", "Unregister", "Publish", "Unpublish",
        "Enable", "Disable", "Suspend", "Resume", "Mount", "Dismount", "Lock", "Unlock", "Block", "Unblock",
        "Grant", "Revoke", "Protect", "Unprotect", "Sync", "Rename", "Move", "Copy", "Restore", "Backup",
        "Repair", "Export", "Out", "Save", "Invoke",
    };

    private static readonly string[] ForbiddenOutputTypes =
    {
        "System.Object", "System.Management.Automation.PSObject", "System.Management.Automation.PSCustomObject",
    };

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void ApprovedVerbsAreReadFromTheReferenceAssembly(string edition)
    {
        var verbs = Packaged.Edition(edition).ApprovedVerbs;

        // The Verbs* classes of PowerShell 5.1 define about a hundred verbs; a handful means the read went wrong.
        Assert.True(verbs.Count > 90, $"only {verbs.Count} approved verbs were read");
        Assert.Contains("Get", verbs);
        Assert.Contains("Restore", verbs);
        Assert.Contains("Invoke", verbs);
        Assert.DoesNotContain("Fetch", verbs);
        Assert.All(StateChangingVerbs, v => Assert.Contains(v, verbs));
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void EveryCmdletUsesAnApprovedVerb(string edition)
    {
        var module = Packaged.Edition(edition);

        var failures = module.Cmdlets
            .Where(c => !module.ApprovedVerbs.Contains(c.Verb))
            .Select(c => $"{c.Type.FullName}: '{c.Verb}' (of {c.Name}) is not an approved verb")
            .ToList();

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void EveryCmdletIsAPublicCmdletClass(string edition)
    {
        var failures = new List<string>();
        foreach (var cmdlet in Packaged.Edition(edition).Cmdlets)
        {
            if (!cmdlet.Type.IsPublic || cmdlet.Type.IsAbstract)
            {
                failures.Add($"{cmdlet.Type.FullName} ({cmdlet.Name}) is not a public concrete class");
            }
            var bases = new List<string>();
            for (var t = cmdlet.Type.BaseType; t != null; t = t.BaseType)
            {
                bases.Add(t.FullName ?? t.Name);
            }
            if (!bases.Contains("System.Management.Automation.Cmdlet"))
            {
                failures.Add($"{cmdlet.Type.FullName} ({cmdlet.Name}) does not derive from Cmdlet");
            }
            if (!cmdlet.Noun.StartsWith(char.ToUpperInvariant(cmdlet.Noun[0]).ToString(), StringComparison.Ordinal) || cmdlet.Noun.Contains('-'))
            {
                failures.Add($"{cmdlet.Name}: the noun '{cmdlet.Noun}' is not a single Pascal-case word");
            }
        }

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void StateChangingCmdletsSupportShouldProcess(string edition)
    {
        var failures = Packaged.Edition(edition).Cmdlets
            .Where(c => StateChangingVerbs.Contains(c.Verb) && !c.SupportsShouldProcess)
            .Select(c => $"{c.Name} changes state ('{c.Verb}') but its [Cmdlet] attribute does not set SupportsShouldProcess = true")
            .ToList();

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void EveryCmdletDeclaresConcreteOutputTypes(string edition)
    {
        var module = Packaged.Edition(edition);
        var failures = new List<string>();
        foreach (var cmdlet in module.Cmdlets)
        {
            if (cmdlet.OutputTypes.Count == 0)
            {
                failures.Add($"{cmdlet.Name} declares no [OutputType]");
            }
            foreach (var output in cmdlet.OutputTypes)
            {
                var type = output.Type ?? module.FindType(output.Name);
                if (type == null)
                {
                    failures.Add($"{cmdlet.Name}: [OutputType('{output.Name}')] names a type that none of the module's assemblies or the framework define");
                }
                else if (ForbiddenOutputTypes.Contains(type.FullName))
                {
                    failures.Add($"{cmdlet.Name}: [OutputType({type.FullName})] says nothing about the output; name the concrete type");
                }
                else if (type.IsInterface || type.IsAbstract)
                {
                    failures.Add($"{cmdlet.Name}: [OutputType({type.FullName})] is not a concrete type");
                }
                foreach (var set in output.ParameterSets.Where(s => s != CmdletShape.AllParameterSets && !cmdlet.NamedParameterSets.Contains(s)))
                {
                    failures.Add($"{cmdlet.Name}: [OutputType({output.Name})] names the parameter set '{set}', which no parameter uses");
                }
            }
        }

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void ParameterSetsAreConsistent(string edition)
    {
        var failures = new List<string>();
        foreach (var cmdlet in Packaged.Edition(edition).Cmdlets)
        {
            var sets = cmdlet.NamedParameterSets;
            if (cmdlet.DefaultParameterSetName != null && !sets.Contains(cmdlet.DefaultParameterSetName))
            {
                failures.Add($"{cmdlet.Name}: DefaultParameterSetName '{cmdlet.DefaultParameterSetName}' is not used by any parameter (sets: {string.Join(", ", sets)})");
            }
            if (sets.Count > 1 && cmdlet.DefaultParameterSetName == null)
            {
                failures.Add($"{cmdlet.Name} has the parameter sets {string.Join(", ", sets)} but no DefaultParameterSetName");
            }
            foreach (var parameter in cmdlet.Parameters)
            {
                var duplicates = parameter.Usages.GroupBy(u => u.ParameterSet).Where(g => g.Count() > 1).Select(g => g.Key);
                failures.AddRange(duplicates.Select(d => $"{cmdlet.Name} -{parameter.Name}: two [Parameter] attributes for the set '{d}'"));
            }
            foreach (var set in sets.DefaultIfEmpty(CmdletShape.AllParameterSets))
            {
                var positions = cmdlet.Parameters
                    .Select(p => (p.Name, Usage: p.UsageIn(set)))
                    .Where(p => p.Usage != null && p.Usage.Position >= 0)
                    .GroupBy(p => p.Usage!.Position)
                    .Where(g => g.Count() > 1);
                failures.AddRange(positions.Select(g => $"{cmdlet.Name}: in the set '{set}', {string.Join(" and ", g.Select(p => "-" + p.Name))} share position {g.Key}"));
            }
        }

        Failures.None(failures);
    }

    [Fact]
    public void BothEditionsCompileTheSameCmdlets()
    {
        var core = Packaged.Edition("Core").Cmdlets.Select(Describe).ToList();
        var desktop = Packaged.Edition("Desktop").Cmdlets.Select(Describe).ToList();

        Assert.Equal(core, desktop);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void TheCmdletAssemblyReferencesNoAzureOrSqlLibrary(string edition)
    {
        // The cmdlets reach Azure and SQL Server only through the engine, which the module loads from
        // dependencies/ in its own load context; a direct reference would load those libraries beside
        // other modules' copies.
        var references = Packaged.Edition(edition).CmdletAssembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty);
        var isolated = new[] { "Azure.", "Microsoft.Identity.", "Microsoft.Data.SqlClient", "System.Data.SqlClient" };

        Assert.DoesNotContain(references, r => isolated.Any(p => r.StartsWith(p, StringComparison.Ordinal)));
    }

    private static string Describe(CmdletShape c) =>
        $"{c.Name} shouldProcess={c.SupportsShouldProcess} default={c.DefaultParameterSetName} " +
        string.Join(" ", c.Parameters.Select(p => $"-{p.Name}:{p.Type.FullName}[{string.Join(",", p.Usages.Select(u => u.ParameterSet))}]")) +
        " -> " + string.Join(",", c.OutputTypes.Select(o => o.Name));
}
