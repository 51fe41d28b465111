using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>AppServiceDr.format.ps1xml: well formed, about real types and properties, covering every output type.</summary>
public sealed class FormatFileTests
{
    private static readonly string[] Controls = { "TableControl", "ListControl", "WideControl", "CustomControl" };

    private static XDocument Load(string path) => XDocument.Load(path, LoadOptions.SetLineInfo);

    private static IEnumerable<XElement> Views(XDocument format) =>
        format.Root?.Element("ViewDefinitions")?.Elements("View") ?? Enumerable.Empty<XElement>();

    private static IEnumerable<string> SelectedTypes(XElement view) =>
        view.Element("ViewSelectedBy")?.Elements("TypeName").Select(t => t.Value.Trim()) ?? Enumerable.Empty<string>();

    [Fact]
    public void TheFormatFileHasTheShapePowerShellReads()
    {
        var format = Load(Repo.FormatFilePath);
        var failures = new List<string>();

        Assert.Equal("Configuration", format.Root!.Name.LocalName);
        Assert.NotNull(format.Root.Element("ViewDefinitions"));
        foreach (var view in Views(format))
        {
            var name = view.Element("Name")?.Value;
            var line = ((System.Xml.IXmlLineInfo)view).LineNumber;
            if (string.IsNullOrWhiteSpace(name))
            {
                failures.Add($"the view on line {line} has no Name");
            }
            if (!SelectedTypes(view).Any())
            {
                failures.Add($"the view '{name}' selects no type");
            }
            if (view.Elements().Count(e => Controls.Contains(e.Name.LocalName)) != 1)
            {
                failures.Add($"the view '{name}' needs exactly one of {string.Join(", ", Controls)}");
            }
            var table = view.Element("TableControl");
            if (table != null)
            {
                var headers = table.Element("TableHeaders")?.Elements("TableColumnHeader").Count() ?? 0;
                foreach (var row in table.Element("TableRowEntries")?.Elements("TableRowEntry") ?? Enumerable.Empty<XElement>())
                {
                    var items = row.Element("TableColumnItems")?.Elements("TableColumnItem").Count() ?? 0;
                    if (items != headers)
                    {
                        failures.Add($"the table '{name}' has {headers} headers and a row of {items} items");
                    }
                }
                var width = table.Element("TableHeaders")?.Elements("TableColumnHeader").Sum(h => int.TryParse(h.Element("Width")?.Value, out var w) ? w + 1 : 0) ?? 0;
                if (width > 120)
                {
                    failures.Add($"the table '{name}' is {width} columns wide; it has to fit 120");
                }
            }
        }
        var duplicates = Views(format).GroupBy(v => v.Element("Name")?.Value).Where(g => g.Count() > 1).Select(g => g.Key);
        failures.AddRange(duplicates.Select(d => $"two views are named '{d}'"));

        Failures.None(failures);
    }

    [Fact]
    public void ThePackagedFormatFileIsTheRepositoryOne()
    {
        Assert.Equal(File.ReadAllText(Repo.FormatFilePath), File.ReadAllText(Path.Combine(Repo.PackagedModule, "AppServiceDr.format.ps1xml")));
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void ViewsReferenceOnlyExistingTypesAndProperties(string edition)
    {
        var module = Packaged.Edition(edition);
        var failures = new List<string>();
        foreach (var view in Views(Load(Repo.FormatFilePath)))
        {
            var name = view.Element("Name")?.Value;
            foreach (var typeName in SelectedTypes(view))
            {
                var type = module.FindType(typeName);
                if (type == null)
                {
                    failures.Add($"the view '{name}' selects {typeName}, which no assembly of the {edition} build defines");
                    continue;
                }
                var properties = new HashSet<string>(
                    type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
                foreach (var property in view.Descendants("PropertyName").Select(p => p.Value.Trim()).Distinct())
                {
                    if (!properties.Contains(property))
                    {
                        failures.Add($"the view '{name}' shows {typeName}.{property}, which does not exist");
                    }
                }
            }
        }

        Failures.None(failures);
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void EveryOutputTypeOfTheModuleHasAView(string edition)
    {
        // Types from outside the module (System.IO.FileInfo, for one) already have PowerShell's own views.
        var module = Packaged.Edition(edition);
        var viewed = new HashSet<string>(Views(Load(Repo.FormatFilePath)).SelectMany(SelectedTypes), StringComparer.OrdinalIgnoreCase);
        var failures = new List<string>();
        foreach (var cmdlet in module.Cmdlets)
        {
            foreach (var output in cmdlet.OutputTypes)
            {
                var type = output.Type ?? module.FindType(output.Name);
                if (type != null && module.IsOwnType(type) && !viewed.Contains(type.FullName!))
                {
                    failures.Add($"{cmdlet.Name} writes {type.FullName}, which has no view in AppServiceDr.format.ps1xml");
                }
            }
        }

        Failures.None(failures);
    }
}
