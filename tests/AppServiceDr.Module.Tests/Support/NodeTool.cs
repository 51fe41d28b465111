using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>The output of one run of a script from build/tools.</summary>
public sealed record NodeToolRun(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs the Node.js scripts of build/tools, which parse PowerShell with tree-sitter-powershell.</summary>
public static class NodeTool
{
    public static string ToolsFolder => Path.Combine(Repo.Root, "build", "tools");

    /// <summary>Runs build/tools/&lt;script&gt; with the arguments. Exit code 2 (a usage or tool problem) throws.</summary>
    public static NodeToolRun Run(string script, IReadOnlyCollection<string> arguments)
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
        start.ArgumentList.Add(Path.Combine(ToolsFolder, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process node;
        try
        {
            node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH; the PowerShell checks need Node.js.", e);
        }
        using (node)
        {
            var stderr = node.StandardError.ReadToEndAsync();
            var stdout = node.StandardOutput.ReadToEnd();
            node.WaitForExit();
            if (node.ExitCode == 2 || stdout.Trim().Length == 0)
            {
                throw new InvalidOperationException($"{script} failed on {string.Join(" ", arguments)} (exit {node.ExitCode}): {stderr.Result.Trim()}");
            }
            return new NodeToolRun(node.ExitCode, stdout, stderr.Result);
        }
    }
}
