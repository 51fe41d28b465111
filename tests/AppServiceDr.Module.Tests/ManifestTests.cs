using System;
using System.IO;
using System.Linq;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>The module manifest (AppServiceDr.psd1) against the compiled cmdlets and the agreed rules.</summary>
public sealed class ManifestTests
{
    private static Psd1 Manifest => Psd1.Load(Repo.ManifestPath);

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void CmdletsToExportEqualsTheCompiledCmdlets(string edition)
    {
        var exported = Manifest.Strings("CmdletsToExport")
            ?? throw new InvalidOperationException("AppServiceDr.psd1 has no CmdletsToExport.");
        var compiled = Packaged.Edition(edition).Cmdlets.Select(c => c.Name).ToList();

        var notCompiled = exported.Except(compiled, StringComparer.Ordinal).ToList();
        var notExported = compiled.Except(exported, StringComparer.Ordinal).ToList();

        Assert.True(notCompiled.Count == 0 && notExported.Count == 0,
            $"{edition}: exported but not compiled: [{string.Join(", ", notCompiled)}]; compiled but not exported: [{string.Join(", ", notExported)}]");
        Assert.Equal(exported.Count, exported.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [InlineData("CmdletsToExport")]
    [InlineData("FunctionsToExport")]
    [InlineData("VariablesToExport")]
    [InlineData("AliasesToExport")]
    public void ExportListsAreExplicit(string key)
    {
        var values = Manifest.Strings(key);

        Assert.NotNull(values);
        Assert.DoesNotContain(values!, v => v.IndexOfAny(new[] { '*', '?', '[' }) >= 0);
    }

    [Fact]
    public void TheModuleExportsNoFunctions()
    {
        Assert.Equal(Array.Empty<string>(), Manifest.Strings("FunctionsToExport"));
    }

    [Fact]
    public void TheManifestDeclaresBothEditionsAndWindowsPowerShell51()
    {
        var manifest = Manifest;

        Assert.Equal(new[] { "Core", "Desktop" }, manifest.Strings("CompatiblePSEditions")!.OrderBy(e => e, StringComparer.Ordinal));
        Assert.Equal("5.1", manifest.String("PowerShellVersion"));
        Assert.True(Guid.TryParse(manifest.String("GUID"), out _), "GUID is not a GUID");
        Assert.True(Version.TryParse(manifest.String("ModuleVersion"), out _), "ModuleVersion is not a version");
    }

    [Fact]
    public void TheFilesTheManifestNamesAreInThePackage()
    {
        var manifest = Manifest;
        var package = Repo.PackagedModule;
        var named = new[] { manifest.String("RootModule")! }
            .Concat(manifest.Strings("FormatsToProcess") ?? Array.Empty<string>())
            .Concat(manifest.Strings("TypesToProcess") ?? Array.Empty<string>())
            .Concat(manifest.Strings("NestedModules") ?? Array.Empty<string>())
            .Concat(manifest.Strings("RequiredAssemblies") ?? Array.Empty<string>());

        Assert.Contains("AppServiceDr.format.ps1xml", manifest.Strings("FormatsToProcess") ?? Array.Empty<string>());
        Assert.All(named, file => Assert.True(File.Exists(Path.Combine(package, file)), $"the manifest names {file}, which is not in {package}"));
    }

    [Fact]
    public void ThePackagedManifestIsTheRepositoryManifest()
    {
        Assert.Equal(File.ReadAllText(Repo.ManifestPath), File.ReadAllText(Path.Combine(Repo.PackagedModule, "AppServiceDr.psd1")));
    }
}
