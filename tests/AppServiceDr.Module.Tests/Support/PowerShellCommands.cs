using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>A name written in a script (a parameter after its dash, or a hashtable key) and its line.</summary>
public sealed record WrittenName(string Name, int Line);

/// <summary>A variable splatted into a command (@name, without the sigil) and the line it is on.</summary>
public sealed record SplatUse(string Variable, int Line);

/// <summary>One invocation of a command by a literal name.</summary>
public sealed record CommandUse(string Name, int Line, IReadOnlyList<WrittenName> Parameters, IReadOnlyList<SplatUse> Splats);

/// <summary>A hashtable literal assigned to a variable (Operator is "=" or "+="), with its constant keys.</summary>
public sealed record HashtableLiteral(string Variable, int Line, string Operator, IReadOnlyList<WrittenName> Keys);

/// <summary>What build/tools/list-powershell-commands.cjs reports for one file.</summary>
public sealed record ScriptListing(string File, IReadOnlyList<CommandUse> Commands, IReadOnlyList<HashtableLiteral> Hashtables, IReadOnlyList<string> SyntaxErrors);

/// <summary>
/// Runs build/tools/list-powershell-commands.cjs: the command invocations and hashtable literals of .ps1/.psm1
/// files and of the ```powershell blocks of .md files, with the lines they are on.
/// </summary>
public static class PowerShellCommands
{
    public static IReadOnlyList<ScriptListing> List(IReadOnlyCollection<string> paths)
    {
        if (paths.Count == 0)
        {
            return new List<ScriptListing>();
        }
        var node = NodeTool.Run("list-powershell-commands.cjs", paths);
        return node.StandardOutput.Split('\n', System.StringSplitOptions.RemoveEmptyEntries).Select(Read).ToList();
    }

    private static ScriptListing Read(string line)
    {
        using var report = JsonDocument.Parse(line);
        var root = report.RootElement;
        return new ScriptListing(
            root.GetProperty("file").GetString()!,
            root.GetProperty("commands").EnumerateArray().Select(c => new CommandUse(
                c.GetProperty("name").GetString()!,
                c.GetProperty("line").GetInt32(),
                Names(c.GetProperty("parameters")),
                c.GetProperty("splats").EnumerateArray().Select(s => new SplatUse(s.GetProperty("variable").GetString()!, s.GetProperty("line").GetInt32())).ToList())).ToList(),
            root.GetProperty("hashtables").EnumerateArray().Select(h => new HashtableLiteral(
                h.GetProperty("variable").GetString()!,
                h.GetProperty("line").GetInt32(),
                h.GetProperty("operator").GetString()!,
                Names(h.GetProperty("keys")))).ToList(),
            root.GetProperty("errors").EnumerateArray().Select(PowerShellSyntax.Describe).ToList());
    }

    private static IReadOnlyList<WrittenName> Names(JsonElement names) =>
        names.EnumerateArray().Select(n => new WrittenName(n.GetProperty("name").GetString()!, n.GetProperty("line").GetInt32())).ToList();
}
