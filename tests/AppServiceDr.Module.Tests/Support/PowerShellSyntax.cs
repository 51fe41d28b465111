using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>Runs build/tools/check-powershell-syntax.cjs (tree-sitter-powershell) on one file.</summary>
public static class PowerShellSyntax
{
    public static string ToolsFolder => Path.Combine(Repo.Root, "build", "tools");

    /// <summary>The errors the parser reports, one line each; empty when the file parses cleanly.</summary>
    public static string[] Check(string path)
    {
        foreach (var package in new[] { "web-tree-sitter", "tree-sitter-powershell" })
        {
            if (!Directory.Exists(Path.Combine(ToolsFolder, "node_modules", package)))
            {
                throw new InvalidOperationException(
                    $"The npm package {package} is not installed in {ToolsFolder}. Run 'npm ci' there (build/test.sh does) before these tests.");
            }
        }
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ToolsFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(ToolsFolder, "check-powershell-syntax.cjs"));
        start.ArgumentList.Add(path);
        Process node;
        try
        {
            node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH; the PowerShell syntax checks need Node.js.", e);
        }
        using (node)
        {
            var stderr = node.StandardError.ReadToEndAsync();
            var stdout = node.StandardOutput.ReadToEnd();
            node.WaitForExit();
            if (node.ExitCode == 2 || stdout.Trim().Length == 0)
            {
                throw new InvalidOperationException($"check-powershell-syntax.cjs failed on {path} (exit {node.ExitCode}): {stderr.Result.Trim()}");
            }
            using var report = JsonDocument.Parse(stdout.Trim().Split('\n')[0]);
            var errors = report.RootElement.GetProperty("errors");
            var result = new string[errors.GetArrayLength()];
            var i = 0;
            foreach (var error in errors.EnumerateArray())
            {
                result[i++] = $"line {error.GetProperty("line")}, column {error.GetProperty("column")}: {error.GetProperty("kind").GetString()} near '{error.GetProperty("text").GetString()}'";
            }
            if (node.ExitCode != 0 && result.Length == 0)
            {
                throw new InvalidOperationException($"check-powershell-syntax.cjs exited with {node.ExitCode} on {path} without reporting an error.");
            }
            return result;
        }
    }
}
