using System.Collections.Generic;
using System.IO;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>Every PowerShell file git tracks parses cleanly with tree-sitter-powershell.</summary>
public sealed class PowerShellSyntaxTests
{
    public static IEnumerable<object[]> TrackedPowerShellFiles()
    {
        foreach (var file in Repo.TrackedFiles(".ps1", ".psd1", ".psm1"))
        {
            yield return new object[] { file };
        }
    }

    [Theory]
    [MemberData(nameof(TrackedPowerShellFiles))]
    public void TheFileParsesWithoutErrors(string relativePath)
    {
        var errors = PowerShellSyntax.Check(Path.Combine(Repo.Root, relativePath));

        Assert.True(errors.Length == 0, $"{relativePath}:\n  " + string.Join("\n  ", errors));
    }

    [Fact]
    public void TheCheckerReportsABrokenFile()
    {
        var broken = Path.Combine(Path.GetTempPath(), $"appservicedr-broken-{System.Guid.NewGuid():N}.ps1");
        File.WriteAllText(broken, "function Test-Broken {\n    param([string]$Name\n    if ($Name -eq { 'x' }\n");
        try
        {
            Assert.NotEmpty(PowerShellSyntax.Check(broken));
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void TheRepositoryHasPowerShellFilesToCheck()
    {
        Assert.Contains("AppServiceDr.psd1", Repo.TrackedFiles(".psd1"));
    }
}
