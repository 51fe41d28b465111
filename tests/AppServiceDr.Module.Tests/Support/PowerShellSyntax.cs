using System;
using System.Linq;
using System.Text.Json;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>Runs build/tools/check-powershell-syntax.cjs (tree-sitter-powershell) on one file.</summary>
public static class PowerShellSyntax
{
    /// <summary>The errors the parser reports, one line each; empty when the file parses cleanly.</summary>
    public static string[] Check(string path)
    {
        var node = NodeTool.Run("check-powershell-syntax.cjs", new[] { path });
        using var report = JsonDocument.Parse(node.StandardOutput.Trim().Split('\n')[0]);
        var result = report.RootElement.GetProperty("errors").EnumerateArray().Select(Describe).ToArray();
        if (node.ExitCode != 0 && result.Length == 0)
        {
            throw new InvalidOperationException($"check-powershell-syntax.cjs exited with {node.ExitCode} on {path} without reporting an error.");
        }
        return result;
    }

    /// <summary>One syntax error as the scripts of build/tools report it, in a line.</summary>
    public static string Describe(JsonElement error) =>
        $"line {error.GetProperty("line")}, column {error.GetProperty("column")}: {error.GetProperty("kind").GetString()} near '{error.GetProperty("text").GetString()}'";
}
