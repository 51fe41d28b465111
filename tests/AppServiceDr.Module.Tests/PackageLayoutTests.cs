using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>The installable folder out/AppServiceDr/&lt;version&gt;/ that build/Package.proj assembles.</summary>
public sealed class PackageLayoutTests
{
    [Theory]
    [InlineData("AppServiceDr.psd1")]
    [InlineData("AppServiceDr.dll")]
    [InlineData("AppServiceDr.Model.dll")]
    [InlineData("AppServiceDr.format.ps1xml")]
    [InlineData("LICENSE")]
    [InlineData("en-US/about_AppServiceDr.help.txt")]
    [InlineData("en-US/AppServiceDr.dll-Help.xml")]
    [InlineData("Core/AppServiceDr.Isolation.dll")]
    [InlineData("Core/dependencies/AppServiceDr.Engine.dll")]
    [InlineData("Core/dependencies/AppServiceDr.Engine.deps.json")]
    [InlineData("Desktop/dependencies/AppServiceDr.Engine.dll")]
    public void ThePackageHoldsTheFile(string relativePath)
    {
        var path = Path.Combine(Repo.PackagedModule, relativePath.Replace('/', Path.DirectorySeparatorChar));

        Assert.True(File.Exists(path), $"{path} is missing");
    }

    [Fact]
    public void OnlyTheCmdletAndModelAssembliesSitAtTheModuleRoot()
    {
        // Anything beside AppServiceDr.dll would be loaded by PowerShell's own resolver; the engine and
        // the Azure and SQL libraries belong in an edition's dependencies/, where the module's resolver finds them.
        // The model assembly (reports and results, no dependencies) belongs beside the cmdlets, so that
        // sessions can name its types, and nowhere else, so that there is one copy of each type.
        var assemblies = Directory.GetFiles(Repo.PackagedModule, "*.dll").Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();

        Assert.Equal(new[] { "AppServiceDr.Model.dll", "AppServiceDr.dll" }, assemblies);
    }

    [Theory]
    [InlineData("Core", new[] { "AppServiceDr.Isolation.dll" })]
    [InlineData("Desktop", new string[0])]
    public void AnEditionFolderHoldsItsEngineInDependenciesAndNoModelCopy(string edition, string[] beside)
    {
        // PowerShell 7's folder also holds the assembly that defines the engine's load context.
        var folder = Path.Combine(Repo.PackagedModule, edition);

        Assert.Equal(beside, Directory.GetFiles(folder, "*.dll").Select(Path.GetFileName).ToArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "dependencies"), "AppServiceDr.Model.*"));
        Assert.Equal(new[] { "dependencies" }, Directory.GetDirectories(folder).Select(Path.GetFileName).ToArray());
    }

    [Theory]
    [InlineData("Core", "System.Runtime", 8)]
    [InlineData("Desktop", "mscorlib", 4)]
    public void EachEditionFolderHoldsTheEngineForItsFramework(string edition, string coreLibrary, int coreLibraryMajor)
    {
        // The core library an assembly is compiled against names its framework: System.Runtime 8.0 for
        // .NET 8, mscorlib 4.0 for .NET Framework 4.x, netstandard 2.0 for both.
        var assembly = Packaged.Edition(edition).EngineAssembly;
        var core = assembly.GetReferencedAssemblies().Where(a => a.Name is "System.Runtime" or "mscorlib" or "netstandard").ToList();

        var reference = Assert.Single(core);
        Assert.Equal(coreLibrary, reference.Name);
        Assert.Equal(coreLibraryMajor, reference.Version!.Major);
        Assert.Equal(Repo.ModuleVersion, assembly.GetName().Version!.ToString(3));
    }

    [Fact]
    public void TheCmdletAssemblyIsOneBuildForBothEditions()
    {
        // netstandard2.0, which Windows PowerShell 5.1 (.NET Framework 4.7.2) and PowerShell 7 (.NET 8+) both load.
        var assembly = Packaged.Edition("Core").CmdletAssembly;
        var core = assembly.GetReferencedAssemblies().Where(a => a.Name is "System.Runtime" or "mscorlib" or "netstandard").ToList();

        var reference = Assert.Single(core);
        Assert.Equal("netstandard", reference.Name);
        Assert.Equal(new Version(2, 0, 0, 0), reference.Version);
        Assert.Equal(Repo.ModuleVersion, assembly.GetName().Version!.ToString(3));
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void TheEngineAndEveryLibraryItNeedsAreInDependencies(string edition)
    {
        var dependencies = Path.Combine(Repo.PackagedModule, edition, "dependencies");
        var present = new HashSet<string>(Directory.GetFiles(dependencies, "*.dll").Select(Path.GetFileNameWithoutExtension)!, StringComparer.OrdinalIgnoreCase)
        {
            // Handed to the engine by the module's resolver from beside the cmdlets.
            "AppServiceDr.Model",
        };
        // Every assembly the engine references is either in dependencies/ or part of the framework.
        var engineAssembly = Packaged.Edition(edition).EngineAssembly;
        var missing = new List<string>();
        foreach (var reference in engineAssembly.GetReferencedAssemblies())
        {
            if (!present.Contains(reference.Name!) && !IsFramework(reference.Name!))
            {
                missing.Add(reference.Name!);
            }
        }

        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("runtimes/unix/lib/net8.0/Microsoft.Data.SqlClient.dll", "unix", "runtime")]
    [InlineData("runtimes/win/lib/net8.0/Microsoft.Data.SqlClient.dll", "win", "runtime")]
    [InlineData("runtimes/win-x64/native/Microsoft.Data.SqlClient.SNI.dll", "win-x64", "native")]
    [InlineData("runtimes/win-x86/native/Microsoft.Data.SqlClient.SNI.dll", "win-x86", "native")]
    [InlineData("runtimes/win-arm64/native/Microsoft.Data.SqlClient.SNI.dll", "win-arm64", "native")]
    public void SqlClientsPlatformAssetsAreShippedAndListedForTheLoadContext(string path, string rid, string assetType)
    {
        // The engine's load context finds platform-specific files only through the .deps.json: a file that is
        // there but not listed (or listed but not there) breaks SQL connections on that platform alone.
        var asset = Assert.Single(CoreDependencyAssets(), a => a.Path == path);

        Assert.Equal(rid, asset.Rid);
        Assert.Equal(assetType, asset.AssetType);
        Assert.True(File.Exists(CoreDependencyFile(path)), $"{path} is listed but missing");
    }

    [Fact]
    public void EveryAssetTheDepsFileListsIsShipped()
    {
        // The model assembly is listed but lives beside the cmdlets: the load context hands out that copy.
        var missing = CoreDependencyAssets().Select(a => a.Path)
            .Where(p => p != "AppServiceDr.Model.dll" && !File.Exists(CoreDependencyFile(p))).ToList();

        Assert.Empty(missing);
    }

    private static string CoreDependencyFile(string path) =>
        Path.Combine(Repo.PackagedModule, "Core", "dependencies", path.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Every file the Core engine's .deps.json names: assets for any platform by file name (publish puts
    /// them beside the engine), platform-specific ones by their runtimes/ path with their runtime identifier.</summary>
    private static List<(string Path, string? Rid, string AssetType)> CoreDependencyAssets()
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(CoreDependencyFile("AppServiceDr.Engine.deps.json")));
        var assets = new List<(string Path, string? Rid, string AssetType)>();
        foreach (var library in deps.RootElement.GetProperty("targets").EnumerateObject().Single().Value.EnumerateObject())
        {
            foreach (var kind in new[] { "runtime", "native" })
            {
                if (library.Value.TryGetProperty(kind, out var files))
                    assets.AddRange(files.EnumerateObject().Select(f => (Path.GetFileName(f.Name), (string?)null, kind)));
            }
            if (library.Value.TryGetProperty("runtimeTargets", out var targets))
                assets.AddRange(targets.EnumerateObject().Select(t => (t.Name, t.Value.GetProperty("rid").GetString(), t.Value.GetProperty("assetType").GetString()!)));
        }
        return assets;
    }

    private static bool IsFramework(string name) =>
        name is "mscorlib" or "netstandard" or "System" || name.StartsWith("System.", StringComparison.Ordinal) && !name.StartsWith("System.ClientModel", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Win32.", StringComparison.Ordinal) || name == "Microsoft.CSharp";
}
