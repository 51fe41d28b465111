using System;
using System.Linq;
using System.Xml.Linq;
using AppServiceDr.HelpGen;

namespace AppServiceDr.Module.Tests;

/// <summary>The platyPS reader and the MAML writer, on a page written for the purpose.</summary>
public sealed class HelpGenTests
{
    // A checkout with CRLF line endings (git on Windows) puts them into this literal; the page and the edits
    // below are written with \n, so the page is held to \n whatever the checkout did.
    private static readonly string Page = @"---
external help file: Sample.dll-Help.xml
Module Name: Sample
schema: 2.0.0
---

# Get-Thing

## SYNOPSIS
Gets things.

## SYNTAX

### ByName (Default)
```
Get-Thing [-Name] <String[]> [<CommonParameters>]
```

### ById
```
Get-Thing -Id <Int32> [-Deep] [<CommonParameters>]
```

## DESCRIPTION
First paragraph
continues here.

Second paragraph.

## EXAMPLES

### Example 1: By name
```powershell
# a comment that is not a heading
Get-Thing -Name a*
```

Gets the things whose name starts with a.

## PARAMETERS

### -Deep
Looks deeper.

```yaml
Type: SwitchParameter
Parameter Sets: ById
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### -Id
The id.

```yaml
Type: Int32
Parameter Sets: ById
Aliases: Key

Required: True
Position: Named
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
```

### -Name
The name.

```yaml
Type: String[]
Parameter Sets: ByName
Aliases:

Required: True
Position: 0
Default value: None
Accept pipeline input: False
Accept wildcard characters: True
```

### CommonParameters
Common parameters.

## INPUTS

### System.Int32

## OUTPUTS

### Sample.Thing
A thing.

## NOTES

## RELATED LINKS

[Online](https://example.org/thing)
".ReplaceLineEndings("\n");

    [Fact]
    public void ReadsEveryPartOfAPage()
    {
        var doc = CommandDoc.Parse(Page);

        Assert.Equal("Get-Thing", doc.Name);
        Assert.Equal("Sample.dll-Help.xml", doc.ExternalHelpFile);
        Assert.Equal(new[] { "First paragraph continues here.", "Second paragraph." }, doc.Description);
        Assert.Equal(new[] { "ByName", "ById" }, doc.Syntax.Select(s => s.ParameterSet));
        Assert.True(doc.Syntax[0].IsDefault);
        var example = Assert.Single(doc.Examples);
        Assert.StartsWith("# a comment", example.Code, StringComparison.Ordinal);
        Assert.Equal(new[] { "Deep", "Id", "Name" }, doc.Parameters.Select(p => p.Name));
        Assert.True(doc.Parameters[0].IsSwitch);
        Assert.Equal(new[] { "Key" }, doc.Parameters[1].Aliases);
        Assert.True(doc.DocumentsCommonParameters);
        Assert.Equal("Sample.Thing", Assert.Single(doc.Outputs).TypeName);
        Assert.Equal("https://example.org/thing", Assert.Single(doc.RelatedLinks).Uri);
    }

    [Fact]
    public void WritesOneSyntaxItemPerParameterSet()
    {
        var maml = MamlWriter.Write(new[] { CommandDoc.Parse(Page) });
        var command = Assert.Single(maml.Root!.Elements(MamlWriter.Command + "command"));

        var items = command.Element(MamlWriter.Command + "syntax")!.Elements(MamlWriter.Command + "syntaxItem").ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(new[] { "Name" }, Names(items[0]));
        Assert.Equal(new[] { "Deep", "Id" }, Names(items[1]));
        var name = items[0].Element(MamlWriter.Command + "parameter")!;
        Assert.Equal("0", (string?)name.Attribute("position"));
        Assert.Equal("true", (string?)name.Attribute("globbing"));
        Assert.Equal("true", (string?)name.Attribute("variableLength"));
        var deep = items[1].Elements(MamlWriter.Command + "parameter").First();
        Assert.Null(deep.Element(MamlWriter.Command + "parameterValue"));
        Assert.Equal("Get", (string?)command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "verb"));
        Assert.Single(command.Element(MamlWriter.Command + "examples")!.Elements());
    }

    [Theory]
    [InlineData("## EXAMPLES", "## EXAMPLE", "EXAMPLES")]
    [InlineData("Parameter Sets: ById\nAliases: Key", "Parameter Sets: Other\nAliases: Key", "Other")]
    [InlineData("Required: True\nPosition: 0", "Required: Yes\nPosition: 0", "Required")]
    [InlineData("# Get-Thing", "# Thing", "Verb-Noun")]
    [InlineData("# a comment that is not a heading\nGet-Thing -Name a*\n", "\n", "no code")]
    public void RejectsMalformedPages(string find, string replace, string expected)
    {
        var text = Page.Replace(find, replace, StringComparison.Ordinal);
        Assert.NotEqual(Page, text);

        var error = Assert.Throws<FormatException>(() => CommandDoc.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WritesAboutTopicsAsIndentedText()
    {
        var text = AboutTopic.Convert("# about_Sample\n\n## SHORT DESCRIPTION\nShort.\n\n## LONG DESCRIPTION\nLong text.\n\n```powershell\nGet-Thing\n```\n");

        var lines = text.Split(Environment.NewLine);
        Assert.Equal(new[] { "TOPIC", "    about_Sample", "", "SHORT DESCRIPTION", "    Short.", "", "LONG DESCRIPTION", "    Long text.", "", "        Get-Thing", "" }, lines);
    }

    private static string[] Names(XElement syntaxItem) =>
        syntaxItem.Elements(MamlWriter.Command + "parameter").Select(p => (string)p.Element(MamlWriter.Maml + "name")!).ToArray();
}
