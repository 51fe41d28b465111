using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace AppServiceDr.HelpGen;

public sealed record SyntaxDoc(string ParameterSet, bool IsDefault, string Text);

public sealed record ExampleDoc(string Title, string Code, IReadOnlyList<string> Remarks);

public sealed record TypeDoc(string TypeName, IReadOnlyList<string> Description);

public sealed record LinkDoc(string Text, string Uri);

/// <summary>One yaml block of a parameter: how it behaves in the parameter sets it names.</summary>
public sealed record ParameterUsage(
    IReadOnlyList<string> ParameterSets,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    public const string AllSets = "(All)";

    public bool AppliesTo(string parameterSet) =>
        ParameterSets.Contains(AllSets) || ParameterSets.Contains(parameterSet, StringComparer.OrdinalIgnoreCase);
}

public sealed record ParameterDoc(
    string Name,
    string Type,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> AcceptedValues,
    IReadOnlyList<string> Description,
    IReadOnlyList<ParameterUsage> Usages)
{
    public bool IsSwitch => Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase)
        || Type.Equals("System.Management.Automation.SwitchParameter", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every parameter set the parameter belongs to, or "(All)".</summary>
    public IEnumerable<string> ParameterSets => Usages.SelectMany(u => u.ParameterSets).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A cmdlet help page in platyPS markdown (schema 2.0.0).</summary>
public sealed class CommandDoc
{
    private static readonly string[] RequiredSections =
    {
        "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS",
    };

    private static readonly Regex Link = new Regex(@"\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)", RegexOptions.CultureInvariant);

    public string SourcePath { get; private set; } = string.Empty;
    public IReadOnlyDictionary<string, string> FrontMatter { get; private set; } = new Dictionary<string, string>();
    public string Name { get; private set; } = string.Empty;
    public string Synopsis { get; private set; } = string.Empty;
    public IReadOnlyList<string> Description { get; private set; } = Array.Empty<string>();
    public IReadOnlyList<SyntaxDoc> Syntax { get; private set; } = Array.Empty<SyntaxDoc>();
    public IReadOnlyList<ExampleDoc> Examples { get; private set; } = Array.Empty<ExampleDoc>();
    public IReadOnlyList<ParameterDoc> Parameters { get; private set; } = Array.Empty<ParameterDoc>();
    public bool DocumentsCommonParameters { get; private set; }
    public IReadOnlyList<TypeDoc> Inputs { get; private set; } = Array.Empty<TypeDoc>();
    public IReadOnlyList<TypeDoc> Outputs { get; private set; } = Array.Empty<TypeDoc>();
    public IReadOnlyList<string> Notes { get; private set; } = Array.Empty<string>();
    public IReadOnlyList<LinkDoc> RelatedLinks { get; private set; } = Array.Empty<LinkDoc>();

    /// <summary>The file name Get-Help looks for, from the front matter ("external help file").</summary>
    public string ExternalHelpFile => FrontMatter.TryGetValue("external help file", out var file) ? file : string.Empty;

    public string Verb => Name.Substring(0, Math.Max(0, Name.IndexOf('-')));
    public string Noun => Name.Substring(Name.IndexOf('-') + 1);

    public static CommandDoc Load(string path)
    {
        try
        {
            var doc = Parse(File.ReadAllText(path));
            doc.SourcePath = path;
            return doc;
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public static CommandDoc Parse(string text)
    {
        var outline = MarkdownOutline.Parse(text);
        var titles = outline.Root.Children;
        if (titles.Count != 1 || titles[0].Level != 1)
        {
            throw new FormatException("A cmdlet page has exactly one level-1 heading: the cmdlet name.");
        }
        var top = titles[0];
        if (!Regex.IsMatch(top.Title, @"^[A-Za-z]+-[A-Za-z0-9]+$"))
        {
            throw new FormatException($"'{top.Title}' is not a Verb-Noun cmdlet name.");
        }
        foreach (var required in RequiredSections)
        {
            if (top.Child(required) == null)
            {
                throw new FormatException($"The section '## {required}' is missing.");
            }
        }
        if (!outline.FrontMatter.ContainsKey("external help file") || !outline.FrontMatter.ContainsKey("Module Name"))
        {
            throw new FormatException("The front matter needs 'external help file' and 'Module Name'.");
        }

        var doc = new CommandDoc
        {
            FrontMatter = outline.FrontMatter,
            Name = top.Title,
            Synopsis = string.Join(" ", MarkdownOutline.Paragraphs(top.Child("SYNOPSIS")!.Body)),
            Description = MarkdownOutline.Paragraphs(top.Child("DESCRIPTION")!.Body),
            Syntax = ReadSyntax(top.Child("SYNTAX")!),
            Examples = ReadExamples(top.Child("EXAMPLES")!),
            Inputs = ReadTypes(top.Child("INPUTS")!),
            Outputs = ReadTypes(top.Child("OUTPUTS")!),
            Notes = MarkdownOutline.Paragraphs(top.Child("NOTES")!.Body),
            RelatedLinks = ReadLinks(top.Child("RELATED LINKS")!),
        };
        var parameters = top.Child("PARAMETERS")!;
        doc.DocumentsCommonParameters = parameters.Child("CommonParameters") != null;
        doc.Parameters = parameters.Children
            .Where(c => c.Title.StartsWith("-", StringComparison.Ordinal))
            .Select(ReadParameter)
            .ToList();
        if (doc.Synopsis.Length == 0)
        {
            throw new FormatException("The synopsis is empty.");
        }
        foreach (var parameter in doc.Parameters)
        {
            foreach (var set in parameter.ParameterSets)
            {
                if (set != ParameterUsage.AllSets && !doc.Syntax.Any(s => s.ParameterSet.Equals(set, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new FormatException($"-{parameter.Name} names the parameter set '{set}', which has no block under SYNTAX.");
                }
            }
        }
        return doc;
    }

    private static List<SyntaxDoc> ReadSyntax(MarkdownSection section)
    {
        var result = new List<SyntaxDoc>();
        foreach (var set in section.Children)
        {
            var isDefault = set.Title.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase);
            var name = isDefault ? set.Title.Substring(0, set.Title.Length - "(Default)".Length).Trim() : set.Title;
            var code = MarkdownOutline.CodeBlocks(set.Body);
            if (code.Count != 1)
            {
                throw new FormatException($"The syntax of parameter set '{name}' needs exactly one code block.");
            }
            result.Add(new SyntaxDoc(name, isDefault, code[0].Code.Trim()));
        }
        if (result.Count == 0)
        {
            throw new FormatException("SYNTAX has no parameter set.");
        }
        return result;
    }

    private static List<ExampleDoc> ReadExamples(MarkdownSection section)
    {
        var result = new List<ExampleDoc>();
        foreach (var example in section.Children)
        {
            var code = MarkdownOutline.CodeBlocks(example.Body);
            if (code.Count == 0 || code.All(c => c.Code.Trim().Length == 0))
            {
                throw new FormatException($"The example '{example.Title}' has no code.");
            }
            var remarks = MarkdownOutline.Paragraphs(MarkdownOutline.Prose(example.Body));
            result.Add(new ExampleDoc(example.Title, string.Join("\n\n", code.Select(c => c.Code.TrimEnd())), remarks));
        }
        return result;
    }

    private static List<TypeDoc> ReadTypes(MarkdownSection section) =>
        section.Children.Select(t => new TypeDoc(t.Title, MarkdownOutline.Paragraphs(t.Body))).ToList();

    private static List<LinkDoc> ReadLinks(MarkdownSection section)
    {
        var result = new List<LinkDoc>();
        foreach (var line in section.Body)
        {
            foreach (Match match in Link.Matches(line))
            {
                result.Add(new LinkDoc(match.Groups["text"].Value, match.Groups["uri"].Value));
            }
        }
        return result;
    }

    private static ParameterDoc ReadParameter(MarkdownSection section)
    {
        var name = section.Title.Substring(1);
        var yaml = MarkdownOutline.CodeBlocks(section.Body).Where(c => c.Info == "yaml").ToList();
        if (yaml.Count == 0)
        {
            throw new FormatException($"-{name} has no ```yaml block.");
        }
        string? type = null;
        var aliases = new List<string>();
        var accepted = new List<string>();
        var usages = new List<ParameterUsage>();
        foreach (var block in yaml)
        {
            var fields = ReadYamlFields(block.Code, name);
            type ??= Field(fields, "Type", name);
            aliases.AddRange(SplitList(fields.TryGetValue("Aliases", out var a) ? a : string.Empty));
            accepted.AddRange(SplitList(fields.TryGetValue("Accepted values", out var v) ? v : string.Empty));
            usages.Add(new ParameterUsage(
                SplitList(Field(fields, "Parameter Sets", name)),
                ReadBool(Field(fields, "Required", name), name, "Required"),
                Field(fields, "Position", name),
                fields.TryGetValue("Default value", out var d) ? d : "None",
                fields.TryGetValue("Accept pipeline input", out var p) ? p : "False",
                ReadBool(fields.TryGetValue("Accept wildcard characters", out var g) ? g : "False", name, "Accept wildcard characters")));
        }
        if (usages.Any(u => u.ParameterSets.Count == 0))
        {
            throw new FormatException($"-{name} lists no parameter set.");
        }
        return new ParameterDoc(
            name,
            type!,
            aliases.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            accepted.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            MarkdownOutline.Paragraphs(MarkdownOutline.Prose(section.Body)),
            usages);
    }

    private static Dictionary<string, string> ReadYamlFields(string yaml, string parameter)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in yaml.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"-{parameter}: '{line}' is not a 'Key: value' line.");
            }
            fields[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
        }
        return fields;
    }

    private static string Field(Dictionary<string, string> fields, string key, string parameter) =>
        fields.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"-{parameter}: the yaml block needs '{key}'.");

    private static bool ReadBool(string value, string parameter, string key) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new FormatException($"-{parameter}: '{key}' must be True or False, not '{value}'.");

    private static List<string> SplitList(string value) =>
        value.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList();

    /// <summary>The position as Get-Help shows it: a number, or "named".</summary>
    public static string MamlPosition(string position) =>
        int.TryParse(position, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n.ToString(CultureInfo.InvariantCulture)
            : "named";
}
