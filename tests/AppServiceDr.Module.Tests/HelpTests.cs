using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using AppServiceDr.HelpGen;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>Every cmdlet has a help page that matches it, and the packaged module carries that help.</summary>
public sealed class HelpTests
{
    private static readonly string[] ShouldProcessParameters = { "WhatIf", "Confirm" };

    private static readonly string[] MamlSections = { "details", "description", "syntax", "parameters", "inputTypes", "returnValues", "examples" };

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void EveryCmdletHasAHelpPageWithAnExample(string edition)
    {
        var failures = new List<string>();
        foreach (var cmdlet in Packaged.Edition(edition).Cmdlets)
        {
            var page = Path.Combine(Repo.CmdletDocs, cmdlet.Name + ".md");
            if (!File.Exists(page))
            {
                failures.Add($"{cmdlet.Name} has no help page at docs/cmdlets/{cmdlet.Name}.md");
                continue;
            }
            CommandDoc doc;
            try
            {
                doc = CommandDoc.Load(page);
            }
            catch (FormatException e)
            {
                failures.Add(e.Message);
                continue;
            }
            if (doc.Name != cmdlet.Name)
            {
                failures.Add($"docs/cmdlets/{cmdlet.Name}.md documents '{doc.Name}'");
            }
            if (doc.Examples.Count == 0)
            {
                failures.Add($"docs/cmdlets/{cmdlet.Name}.md has no example");
            }
            if (doc.ExternalHelpFile != Path.GetFileName(Packaged.Edition(edition).CmdletAssemblyPath) + "-Help.xml")
            {
                failures.Add($"docs/cmdlets/{cmdlet.Name}.md names the help file '{doc.ExternalHelpFile}', not the cmdlet assembly's");
            }
        }

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void HelpPagesDescribeTheCompiledParameters(string edition)
    {
        var failures = new List<string>();
        foreach (var cmdlet in Packaged.Edition(edition).Cmdlets)
        {
            var page = Path.Combine(Repo.CmdletDocs, cmdlet.Name + ".md");
            if (File.Exists(page))
            {
                failures.AddRange(CompareParameters(cmdlet, CommandDoc.Load(page)).Select(f => $"{cmdlet.Name}: {f}"));
            }
        }

        Failures.None(failures);
    }

    [Fact]
    public void EveryHelpPageDocumentsACompiledCmdlet()
    {
        var compiled = Packaged.Edition("Core").Cmdlets.Select(c => c.Name).ToList();
        var pages = Directory.GetFiles(Repo.CmdletDocs, "*.md").Select(Path.GetFileNameWithoutExtension).ToList();

        Failures.None(pages.Except(compiled, StringComparer.Ordinal).Select(p => $"docs/cmdlets/{p}.md documents a cmdlet the module does not compile").ToList());
    }

    [Fact]
    public void ThePackagedHelpCoversEveryCmdlet()
    {
        // Beside the cmdlet assembly, which is the root module, in a folder per UI culture: where Get-Help looks.
        var module = Packaged.Edition("Core");
        var maml = Path.Combine(Path.GetDirectoryName(module.CmdletAssemblyPath)!, "en-US", Path.GetFileName(module.CmdletAssemblyPath) + "-Help.xml");
        Assert.True(File.Exists(maml), $"{maml} is missing");
        var document = XDocument.Load(maml);
        Assert.Equal(MamlWriter.Msh + "helpItems", document.Root!.Name);
        Assert.Equal("maml", (string?)document.Root.Attribute("schema"));
        var commands = document.Root.Elements(MamlWriter.Command + "command")
            .ToDictionary(c => (string?)c.Element(MamlWriter.Command + "details")?.Element(MamlWriter.Command + "name") ?? string.Empty, StringComparer.Ordinal);

        var failures = new List<string>();
        foreach (var cmdlet in module.Cmdlets)
        {
            if (!commands.TryGetValue(cmdlet.Name, out var command))
            {
                failures.Add($"{cmdlet.Name} has no command:command in {maml}");
                continue;
            }
            failures.AddRange(MamlSections
                .Where(s => command.Element(MamlWriter.Command + s) == null && command.Element(MamlWriter.Maml + s) == null)
                .Select(s => $"{cmdlet.Name}: the help has no {s} element"));
            var examples = command.Descendants(MamlWriter.Command + "example").ToList();
            if (examples.Count == 0 || examples.Any(e => string.IsNullOrWhiteSpace((string?)e.Element(MamlWriter.Dev + "code"))))
            {
                failures.Add($"{cmdlet.Name}: the help has no example, or an example without code");
            }
            var syntaxItems = command.Element(MamlWriter.Command + "syntax")?.Elements(MamlWriter.Command + "syntaxItem").Count() ?? 0;
            if (syntaxItems != Math.Max(1, cmdlet.NamedParameterSets.Count))
            {
                failures.Add($"{cmdlet.Name}: the help has {syntaxItems} syntax items for {cmdlet.NamedParameterSets.Count} parameter sets");
            }
        }

        Failures.None(failures);
    }

    [Fact]
    public void ThePackagedModuleHasItsAboutTopic()
    {
        var about = Path.Combine(Repo.PackagedModule, "en-US", "about_AppServiceDr.help.txt");

        Assert.True(File.Exists(about), $"{about} is missing");
        var lines = File.ReadAllLines(about);
        Assert.Equal("TOPIC", lines[0]);
        Assert.Equal("about_AppServiceDr", lines[1].Trim());
        Assert.Contains("SHORT DESCRIPTION", lines);
        Assert.Contains("LONG DESCRIPTION", lines);
    }

    /// <summary>The page's parameters, their sets, types and binding against the compiled cmdlet.</summary>
    private static IEnumerable<string> CompareParameters(CmdletShape cmdlet, CommandDoc doc)
    {
        var compiled = cmdlet.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var expected = compiled.Keys.Concat(cmdlet.SupportsShouldProcess ? ShouldProcessParameters : Array.Empty<string>()).ToList();
        var documented = doc.Parameters.Select(p => p.Name).ToList();
        foreach (var missing in expected.Except(documented, StringComparer.Ordinal))
        {
            yield return $"-{missing} is not documented";
        }
        foreach (var extra in documented.Except(expected, StringComparer.Ordinal))
        {
            yield return $"the page documents -{extra}, which the cmdlet does not have";
        }
        if (!doc.DocumentsCommonParameters)
        {
            yield return "the page has no CommonParameters entry";
        }

        var sets = cmdlet.NamedParameterSets.DefaultIfEmpty(CmdletShape.AllParameterSets).ToList();
        var syntaxSets = doc.Syntax.Select(s => s.ParameterSet).ToList();
        if (!sets.OrderBy(s => s, StringComparer.Ordinal).SequenceEqual(syntaxSets.OrderBy(s => s, StringComparer.Ordinal)))
        {
            yield return $"SYNTAX shows the sets [{string.Join(", ", syntaxSets)}]; the cmdlet has [{string.Join(", ", sets)}]";
        }
        var defaultSet = doc.Syntax.Where(s => s.IsDefault).Select(s => s.ParameterSet).FirstOrDefault();
        if (sets.Count > 1 && defaultSet != cmdlet.DefaultParameterSetName)
        {
            yield return $"SYNTAX marks '{defaultSet}' as the default set; the cmdlet's default is '{cmdlet.DefaultParameterSetName}'";
        }

        foreach (var syntax in doc.Syntax.Where(s => sets.Contains(s.ParameterSet)))
        {
            var inSet = compiled.Values.Where(p => p.UsageIn(syntax.ParameterSet) != null).Select(p => p.Name)
                .Concat(cmdlet.SupportsShouldProcess ? ShouldProcessParameters : Array.Empty<string>()).ToList();
            var shown = System.Text.RegularExpressions.Regex.Matches(syntax.Text, @"(?<=[\s\[])-([A-Za-z][A-Za-z0-9]*)").Select(m => m.Groups[1].Value).ToList();
            foreach (var missing in inSet.Except(shown, StringComparer.Ordinal))
            {
                yield return $"SYNTAX of '{syntax.ParameterSet}' does not show -{missing}";
            }
            foreach (var extra in shown.Except(inSet, StringComparer.Ordinal))
            {
                yield return $"SYNTAX of '{syntax.ParameterSet}' shows -{extra}, which is not in that set";
            }
        }

        foreach (var parameter in doc.Parameters.Where(p => compiled.ContainsKey(p.Name)))
        {
            var actual = compiled[parameter.Name];
            if (parameter.Type != actual.Type.Name && parameter.Type != actual.Type.FullName)
            {
                yield return $"-{parameter.Name} is documented as {parameter.Type}; its type is {actual.Type.FullName}";
            }
            foreach (var set in sets)
            {
                var usage = actual.UsageIn(set);
                var documentedUsage = parameter.Usages.FirstOrDefault(u => u.AppliesTo(set) || (set == CmdletShape.AllParameterSets && u.ParameterSets.Contains(ParameterUsage.AllSets)));
                if ((usage == null) != (documentedUsage == null))
                {
                    yield return usage == null
                        ? $"-{parameter.Name} is documented in the set '{set}', which it does not belong to"
                        : $"-{parameter.Name} belongs to the set '{set}', which the page does not list for it";
                    continue;
                }
                if (usage == null || documentedUsage == null)
                {
                    continue;
                }
                if (usage.Mandatory != documentedUsage.Required)
                {
                    yield return $"-{parameter.Name} in '{set}': Required is {documentedUsage.Required} on the page and {usage.Mandatory} in the cmdlet";
                }
                var position = usage.Position >= 0 ? usage.Position.ToString(System.Globalization.CultureInfo.InvariantCulture) : "named";
                if (CommandDoc.MamlPosition(documentedUsage.Position) != position)
                {
                    yield return $"-{parameter.Name} in '{set}': Position is {documentedUsage.Position} on the page and {position} in the cmdlet";
                }
                var pipeline = PipelineText(usage);
                if (!string.Equals(documentedUsage.PipelineInput, pipeline, StringComparison.OrdinalIgnoreCase))
                {
                    yield return $"-{parameter.Name} in '{set}': pipeline input is '{documentedUsage.PipelineInput}' on the page and '{pipeline}' in the cmdlet";
                }
            }
        }
    }

    private static string PipelineText(ParameterSetUsage usage) => (usage.FromPipeline, usage.FromPipelineByPropertyName) switch
    {
        (true, true) => "True (ByPropertyName, ByValue)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };
}
