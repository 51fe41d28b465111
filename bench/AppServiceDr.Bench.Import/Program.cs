using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

// Usage: dotnet run -c Release --project bench/AppServiceDr.Bench.Import [-- --pwsh PATH] [--rounds N]
// Each round starts a new pwsh per module, the two in alternating order, and times inside that process
// (process start-up left out) the import and the first cmdlet call. One warm-up round is not counted.
// Prints the medians and the ratio AppServiceDr / PSResourceGet (goal: import at most 1.0x).
var repo = FindRepositoryRoot();
var pwsh = Option("--pwsh") ?? Path.Combine(repo, ".tools", "pwsh", "pwsh");
var rounds = int.Parse(Option("--rounds") ?? "5", CultureInfo.InvariantCulture);
if (!File.Exists(pwsh))
{
    Console.Error.WriteLine($"No PowerShell at {pwsh}: run bash build/rehearse.sh or bash build/test.sh once (they install it), or pass --pwsh.");
    return 2;
}
var manifest = Directory.EnumerateFiles(Path.Combine(repo, "out", "AppServiceDr"), "AppServiceDr.psd1", SearchOption.AllDirectories)
    .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault();
if (manifest == null)
{
    Console.Error.WriteLine("No packaged module under out/AppServiceDr: run dotnet msbuild build/Package.proj -p:Configuration=Release first.");
    return 2;
}
var state = Directory.CreateTempSubdirectory("appservicedr-bench-import-").FullName;
var subjects = new[]
{
    new Subject("AppServiceDr", $"Import-Module -Name '{manifest}'", $"Get-DrRun -StateDirectory '{state}'"),
    new Subject("PSResourceGet", "Import-Module -Name Microsoft.PowerShell.PSResourceGet", "Get-PSResourceRepository"),
};
try
{
    foreach (var s in subjects) Measure(s);   // warm-up: disk cache and the runtime's own files
    for (var round = 0; round < rounds; round++)
        foreach (var s in round % 2 == 0 ? subjects : subjects.Reverse())
        {
            var (import, first) = Measure(s);
            s.Import.Add(import);
            s.First.Add(first);
        }
}
finally
{
    Directory.Delete(state, true);
}

Console.WriteLine($"PowerShell: {pwsh}");
Console.WriteLine($"Median of {rounds} rounds, each in a new process (start-up excluded):");
Console.WriteLine($"{"module",-14} {"import ms",10} {"first call ms",14} {"both ms",9}");
foreach (var s in subjects)
    Console.WriteLine($"{s.Name,-14} {Median(s.Import),10:0.0} {Median(s.First),14:0.0} {Median(s.Import.Zip(s.First, (a, b) => a + b).ToList()),9:0.0}");
var ours = subjects[0];
var peer = subjects[1];
Console.WriteLine($"import ratio AppServiceDr / PSResourceGet: {Median(ours.Import) / Median(peer.Import):0.00} (goal <= 1.00)");
Console.WriteLine($"import + first call ratio: {(Median(ours.Import) + Median(ours.First)) / (Median(peer.Import) + Median(peer.First)):0.00}");
return 0;

(double Import, double First) Measure(Subject s)
{
    var script = "$ErrorActionPreference = 'Stop'; " +
                 $"$i = (Measure-Command {{ {s.ImportCommand} }}).TotalMilliseconds; " +
                 $"$f = (Measure-Command {{ {s.FirstCall} | Out-Null }}).TotalMilliseconds; " +
                 "@{ import = $i; first = $f } | ConvertTo-Json -Compress";
    var start = new ProcessStartInfo(pwsh) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-Command", script }) start.ArgumentList.Add(a);
    using var p = Process.Start(start)!;
    var output = p.StandardOutput.ReadToEnd();
    var error = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{s.Name}: pwsh exited {p.ExitCode}: {error}");
    using var json = JsonDocument.Parse(output.Trim().Split('\n').Last());
    return (json.RootElement.GetProperty("import").GetDouble(), json.RootElement.GetProperty("first").GetDouble());
}

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    var mid = sorted.Count / 2;
    return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Run from inside the repository.");
}

sealed record Subject(string Name, string ImportCommand, string FirstCall)
{
    public List<double> Import { get; } = new List<double>();
    public List<double> First { get; } = new List<double>();
}
