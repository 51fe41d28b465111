using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace AppServiceDr.HelpGen;

/// <summary>
/// Writes cmdlet help in the MAML layout that Get-Help reads for compiled cmdlets: a helpItems root
/// with one command:command per cmdlet holding details, description, syntax (one item per parameter
/// set), parameters, inputTypes, returnValues, alertSet (notes), examples and relatedLinks.
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<CommandDoc> commands)
    {
        var root = new XElement(Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev));
        foreach (var command in commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase))
        {
            root.Add(WriteCommand(command));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static XElement WriteCommand(CommandDoc doc) =>
        new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", doc.Name),
                new XElement(Command + "verb", doc.Verb),
                new XElement(Command + "noun", doc.Noun),
                Description(new[] { doc.Synopsis })),
            Description(doc.Description),
            new XElement(Command + "syntax", doc.Syntax.Select(s => SyntaxItem(doc, s))),
            new XElement(Command + "parameters", doc.Parameters.Select(p => Parameter(p, p.Usages[0]))),
            new XElement(Command + "inputTypes", doc.Inputs.Select(t => TypeEntry("inputType", t))),
            new XElement(Command + "returnValues", doc.Outputs.Select(t => TypeEntry("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paragraphs(doc.Notes))),
            new XElement(Command + "examples", doc.Examples.Select(Example)),
            new XElement(Command + "relatedLinks", doc.RelatedLinks.Select(Link)));

    private static XElement SyntaxItem(CommandDoc doc, SyntaxDoc syntax)
    {
        // Positional parameters first, in position order, then the named ones as the page lists them.
        var members = doc.Parameters
            .SelectMany(p => p.Usages.Where(u => u.AppliesTo(syntax.ParameterSet)).Take(1).Select(u => (Parameter: p, Usage: u)))
            .OrderBy(m => int.TryParse(CommandDoc.MamlPosition(m.Usage.Position), out var position) ? position : int.MaxValue)
            .ToList();
        return new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", doc.Name),
            members.Select(m => Parameter(m.Parameter, m.Usage)));
    }

    private static XElement Parameter(ParameterDoc parameter, ParameterUsage usage)
    {
        var element = new XElement(Command + "parameter",
            new XAttribute("required", Bool(usage.Required)),
            new XAttribute("variableLength", Bool(parameter.Type.EndsWith("[]", StringComparison.Ordinal))),
            new XAttribute("globbing", Bool(usage.Globbing)),
            new XAttribute("pipelineInput", usage.PipelineInput),
            new XAttribute("position", CommandDoc.MamlPosition(usage.Position)),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description));
        if (parameter.AcceptedValues.Count > 0)
        {
            element.Add(new XElement(Command + "parameterValueGroup",
                parameter.AcceptedValues.Select(v => new XElement(Command + "parameterValue",
                    new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v))));
        }
        if (!parameter.IsSwitch)
        {
            element.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", "true"),
                new XAttribute("variableLength", Bool(parameter.Type.EndsWith("[]", StringComparison.Ordinal))),
                parameter.Type));
        }
        element.Add(
            new XElement(Dev + "type", new XElement(Maml + "name", parameter.Type), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", usage.DefaultValue));
        return element;
    }

    private static XElement TypeEntry(string elementName, TypeDoc type) =>
        new XElement(Command + elementName,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
            Description(type.Description));

    private static XElement Example(ExampleDoc example, int index)
    {
        var title = example.Title.StartsWith("Example", StringComparison.OrdinalIgnoreCase)
            ? example.Title
            : $"Example {index + 1}: {example.Title}";
        return new XElement(Command + "example",
            new XElement(Maml + "title", $"-------------------------- {title} --------------------------"),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paragraphs(example.Remarks)));
    }

    private static XElement Link(LinkDoc link)
    {
        var isWeb = link.Uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || link.Uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        return new XElement(Maml + "navigationLink",
            new XElement(Maml + "linkText", link.Text),
            new XElement(Maml + "uri", isWeb ? link.Uri : string.Empty));
    }

    private static XElement Description(IEnumerable<string> paragraphs) =>
        new XElement(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IEnumerable<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Bool(bool value) => value ? "true" : "false";
}
