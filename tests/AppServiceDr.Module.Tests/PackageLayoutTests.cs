using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>The installable folder out/AppServiceDr/&lt;version&gt;/ that build/Package.proj assembles.</summary>
public sealed class PackageLayoutTests
{
    [Theory]
    [InlineData("AppServiceDr.psd1")]
    [InlineData("AppServiceDr.psm1")]
    [InlineData("AppServiceDr.format.ps1xml")]
    [InlineData("LICENSE")]
    [InlineData("en-US/about_AppServiceDr.help.txt")]
    [InlineData("Core/AppServiceDr.dll")]
    [InlineData("Core/AppServiceDr.Model.dll")]
    [InlineData("Desktop/AppServiceDr.Model.dll")]
    [InlineData("Core/en-US/AppServiceDr.dll-Help.xml")]
    [InlineData("Core/dependencies/AppServiceDr.Engine.dll")]
    [InlineData("Core/dependencies/AppServiceDr.Engine.deps.json")]
    [InlineData("Desktop/AppServiceDr.dll")]
    [InlineData("Desktop/en-US/AppServiceDr.dll-Help.xml")]
    [InlineData("Desktop/dependencies/AppServiceDr.Engine.dll")]
    public void ThePackageHoldsTheFile(string relativePath)
    {
        var path = Path.Combine(Repo.PackagedModule, relativePath.Replace('/', Path.DirectorySeparatorChar));

        Assert.True(File.Exists(path), $"{path} is missing");
    }

    [Fact]
    public void TheModuleRootHoldsNoAssembly()
    {
        Assert.Empty(Directory.GetFiles(Repo.PackagedModule, "*.dll"));
    }

    [Theory]
    [MemberData(nameof(Packaged.Editions), MemberType = typeof(Packaged))]
    public void OnlyTheCmdletAndModelAssembliesSitInTheEditionFolder(string edition)
    {
        // Anything beside AppServiceDr.dll would be loaded by PowerShell's own resolver; the engine and
        // the Azure and SQL libraries belong in dependencies/, where the module's load context finds them.
        // The model assembly (reports and results, no dependencies) belongs beside the cmdlets, so that
        // sessions can name its types, and nowhere else, so that there is one copy of each type.
        var folder = Path.Combine(Repo.PackagedModule, edition);
        var assemblies = Directory.GetFiles(folder, "*.dll").Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();

        Assert.Equal(new[] { "AppServiceDr.Model.dll", "AppServiceDr.dll" }, assemblies);
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "dependencies"), "AppServiceDr.Model.*"));
        Assert.Empty(Directory.GetDirectories(folder).Select(Path.GetFileName).Except(new[] { "dependencies", "en-US" }));
    }

    [Theory]
    [InlineData("Core", "System.Runtime", 8)]
    [InlineData("Desktop", "mscorlib", 4)]
    public void EachEditionFolderHoldsTheBuildForItsFramework(string edition, string coreLibrary, int coreLibraryMajor)
    {
        // The core library an assembly is compiled against names its framework: System.Runtime 8.0 for
        // .NET 8, mscorlib 4.0 for .NET Framework 4.x.
        var assembly = Packaged.Edition(edition).CmdletAssembly;
        var core = assembly.GetReferencedAssemblies().Where(a => a.Name is "System.Runtime" or "mscorlib" or "netstandard").ToList();

        var reference = Assert.Single(core);
        Assert.Equal(coreLibrary, reference.Name);
        Assert.Equal(coreLibraryMajor, reference.Version!.Major);
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

    private static bool IsFramework(string name) =>
        name is "mscorlib" or "netstandard" or "System" || name.StartsWith("System.", StringComparison.Ordinal) && !name.StartsWith("System.ClientModel", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Win32.", StringComparison.Ordinal) || name == "Microsoft.CSharp";
}
