using System;
using System.Collections.Generic;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>The manifest reader the other tests rely on.</summary>
public sealed class Psd1Tests
{
    [Fact]
    public void ReadsTheValueKindsManifestsUse()
    {
        var manifest = Psd1.Parse(@"
# comment before the table
@{
    RootModule = 'Some.psm1'   # trailing comment
    'Quoted Key' = ""it's `""here`""""
    Empty = @()
    Listed = @(
        'A'
        'B', 'C'
    )
    Bare = 'x', 'y'
    <# block
       comment #>
    Number = 5.1
    Flag = $true; Nothing = $null
    Nested = @{ PSData = @{ Tags = @('t1') } }
}");

        Assert.Equal("Some.psm1", manifest.String("rootmodule"));
        Assert.Equal("it's \"here\"", manifest.String("Quoted Key"));
        Assert.Equal(Array.Empty<string>(), manifest.Strings("Empty"));
        Assert.Equal(new[] { "A", "B", "C" }, manifest.Strings("Listed"));
        Assert.Equal(new[] { "x", "y" }, manifest.Strings("Bare"));
        Assert.Equal(5.1, manifest.Values["Number"]);
        Assert.Equal(true, manifest.Values["Flag"]);
        Assert.Null(manifest.Values["Nothing"]);
        var nested = Assert.IsType<Dictionary<string, object?>>(manifest.Values["Nested"]);
        Assert.True(nested.ContainsKey("PSData"));
        Assert.Null(manifest.Strings("Absent"));
    }

    [Theory]
    [InlineData("@{ A = $env:PATH }", "$env")]
    [InlineData("@{ A = \"$x\" }", "expandable")]
    [InlineData("@{ A = 'x' ", "expected")]
    [InlineData("@{ A = 'x'; A = 'y' }", "twice")]
    [InlineData("@{ A = (Get-Date) }", "expected")]
    public void RejectsWhatIsNotManifestData(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Psd1.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
