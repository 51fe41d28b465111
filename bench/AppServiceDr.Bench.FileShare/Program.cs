using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using AppServiceDr.Engine;
using AppServiceDr.Testing;
using AppServiceDr.Engine.Shares;

namespace AppServiceDr.Bench.FileShare
{
    /// <summary>
    /// Generates a share-like tree (about 20,000 small files in about 500 directories plus 20 large files), then
    /// times, on the same disk and with a warm cache for every tool: this engine, rsync -a and cp -a into fresh
    /// destinations, then an unchanged re-run of each. Also records the engine's peak working set for two tree
    /// sizes. Each tool runs as its own process; `sync` runs before each timing (not timed) so no run pays for
    /// the previous run's write-back.
    /// </summary>
    public static class Program
    {
        private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

        public static int Main(string[] args) =>
            args.Length >= 3 && args[0] == "--engine"
                ? EngineChild(args[1], args[2], args.Length > 3 ? int.Parse(args[3], Inv) : 0)
                : Benchmark(args);

        private static int Benchmark(string[] args)
        {
            var options = Options.Parse(args);
            var work = options.WorkDir ?? Path.Combine(Path.GetTempPath(), "asdr-bench-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", Inv));
            Directory.CreateDirectory(work);
            try
            {
                EnsureRsync();
                var source = Path.Combine(work, "source");
                Console.WriteLine($"Work directory: {work}");
                var gen = Stopwatch.StartNew();
                var (files, bytes) = Generate(source, options.SmallFiles, options.Directories, options.LargeFiles, options.LargeMiB, 20260101);
                Console.WriteLine($"Generated {files} files, {bytes / (1024.0 * 1024):0} MiB in {gen.Elapsed.TotalSeconds:0.0} s " +
                                  $"({options.SmallFiles} of 1-64 KiB in {options.Directories} directories, {options.LargeFiles} of {options.LargeMiB} MiB)");
                Warm(source);
                Console.WriteLine($"Processors: {Environment.ProcessorCount}; engine threads: {(options.Threads == 0 ? ShareCopyRequest.DefaultThreadCount : options.Threads)}");
                Console.WriteLine();

                var tools = new (string name, Func<string, string, string[]> command)[]
                {
                    ("engine", (s, d) => EngineCommand(s, d, options.Threads)),
                    ("rsync -a", (s, d) => new[] { "rsync", "-a", s + "/", d + "/" }),
                    ("cp -a", (s, d) => new[] { "cp", "-a", s + "/.", d }),
                };
                var first = new Dictionary<string, List<double>>();
                var rerun = new Dictionary<string, List<double>>();
                long enginePeak = 0;
                // The engine's own time for the re-run, without the start-up of a new .NET process: what a
                // PowerShell session that already loaded the module would wait.
                var engineInSession = new List<double>();
                for (var round = 1; round <= options.Rounds; round++)
                {
                    // Each round starts with a different tool, so no tool always runs first (or last) in the round.
                    foreach (var (name, command) in tools.Skip((round - 1) % tools.Length).Concat(tools.Take((round - 1) % tools.Length)))
                    {
                        var dest = Path.Combine(work, "dest-" + name.Split(' ')[0]);
                        Remove(dest);
                        var t1 = Time(command(source, dest), out var out1);
                        var t2 = Time(command(source, dest), out var out2);
                        Add(first, name, t1);
                        Add(rerun, name, t2);
                        if (name == "engine")
                        {
                            enginePeak = Math.Max(enginePeak, Peak(out1));
                            engineInSession.Add(EngineSeconds(out2));
                        }
                        Console.WriteLine($"round {round} {name,-9} first copy {t1,7:0.000} s   unchanged re-run {t2,7:0.000} s");
                        if (round == options.Rounds) CheckSame(source, dest);
                        if (round < options.Rounds || !options.Keep) Remove(dest);
                    }
                }
                Console.WriteLine();
                if (options.Rounds > 1)
                {
                    double Median(List<double> v) { var o = v.OrderBy(x => x).ToList(); return o.Count % 2 == 1 ? o[o.Count / 2] : (o[o.Count / 2 - 1] + o[o.Count / 2]) / 2; }
                    Console.WriteLine($"Median of {options.Rounds} rounds, seconds:");
                    Console.WriteLine($"  first copy:        engine {Median(first["engine"]):0.000}   rsync -a {Median(first["rsync -a"]):0.000}   cp -a {Median(first["cp -a"]):0.000}");
                    Console.WriteLine($"  unchanged re-run:  engine {Median(rerun["engine"]):0.000}   rsync -a {Median(rerun["rsync -a"]):0.000}   cp -a {Median(rerun["cp -a"]):0.000}");
                }
                double Best(Dictionary<string, List<double>> d, string n) => d[n].Min();
                var e1 = Best(first, "engine"); var r1 = Best(first, "rsync -a"); var c1 = Best(first, "cp -a");
                var e2 = Best(rerun, "engine"); var r2 = Best(rerun, "rsync -a"); var c2 = Best(rerun, "cp -a");
                Console.WriteLine($"Best of {options.Rounds} round(s), seconds:");
                Console.WriteLine($"  first copy:        engine {e1:0.000}   rsync -a {r1:0.000}   cp -a {c1:0.000}");
                Console.WriteLine($"  unchanged re-run:  engine {e2:0.000}   rsync -a {r2:0.000}   cp -a {c2:0.000}");
                Console.WriteLine($"  engine throughput: {bytes / e1 / (1024 * 1024):0} MiB/s, {files / e1:0} files/s");
                Console.WriteLine("Ratios:");
                Console.WriteLine($"  engine/rsync first copy   {e1 / r1:0.000}   (goal <= 1.000) {(e1 <= r1 ? "met" : "NOT met")}");
                Console.WriteLine($"  engine/cp first copy      {e1 / c1:0.000}   (goal <= {1 / 0.9:0.000}) {(e1 <= c1 / 0.9 ? "met" : "NOT met")}");
                Console.WriteLine($"  engine rerun/first        {e2 / e1:0.000}   (goal <= 0.050) {(e2 <= 0.05 * e1 ? "met" : "NOT met")}");
                var e2Session = engineInSession.Min();
                Console.WriteLine($"  engine rerun/first, engine time only (no process start-up): {e2Session / e1:0.000}   (goal <= 0.050) {(e2Session <= 0.05 * e1 ? "met" : "NOT met")}");
                Console.WriteLine($"  rsync rerun/first         {r2 / r1:0.000}");
                Console.WriteLine($"  cp rerun/first            {c2 / c1:0.000}   (cp -a copies everything again)");
                Console.WriteLine($"  engine rerun/rsync rerun  {e2 / r2:0.000}");
                Console.WriteLine();

                Console.WriteLine("Engine peak working set (VmHWM) by tree size (1-byte files, 40 per directory):");
                long? smallest = null;
                foreach (var size in options.MemorySizes)
                {
                    var peak = MemoryRun(work, size, options.Threads);
                    smallest ??= peak;
                    Console.WriteLine($"  {size,7} files: {peak / 1024.0:0.0} MiB   ({(double)size / options.MemorySizes[0]:0}x the files, {(double)peak / smallest.Value:0.00}x the memory)");
                }
                Console.WriteLine($"  main tree ({files} files): {enginePeak / 1024.0:0.0} MiB");
                return 0;
            }
            finally
            {
                if (!options.Keep) Remove(work);
            }
        }

        private sealed class Options
        {
            public int SmallFiles = 20000, Directories = 500, LargeFiles = 20, LargeMiB = 50, Rounds = 1, Threads;
            public int[] MemorySizes = { 10000, 50000, 100000 };
            public bool Keep;
            public string? WorkDir;

            public static Options Parse(string[] args)
            {
                var o = new Options();
                for (var i = 0; i < args.Length; i++)
                {
                    string Next() => args[++i];
                    switch (args[i])
                    {
                        case "--small-files": o.SmallFiles = int.Parse(Next(), Inv); break;
                        case "--dirs": o.Directories = int.Parse(Next(), Inv); break;
                        case "--large-files": o.LargeFiles = int.Parse(Next(), Inv); break;
                        case "--large-mib": o.LargeMiB = int.Parse(Next(), Inv); break;
                        case "--rounds": o.Rounds = int.Parse(Next(), Inv); break;
                        case "--threads": o.Threads = int.Parse(Next(), Inv); break;
                        case "--memory-files": o.MemorySizes = Next().Split(',').Select(x => int.Parse(x, Inv)).ToArray(); break;
                        case "--work": o.WorkDir = Next(); break;
                        case "--keep": o.Keep = true; break;
                        default: throw new ArgumentException("unknown option " + args[i]);
                    }
                }
                return o;
            }
        }

        private static void Add(Dictionary<string, List<double>> d, string k, double v)
        {
            if (!d.TryGetValue(k, out var list)) d[k] = list = new List<double>();
            list.Add(v);
        }

        /// <summary>The engine runs in a child process, like the other tools, so startup and JIT are counted too.</summary>
        private static string[] EngineCommand(string source, string dest, int threads)
        {
            var self = typeof(Program).Assembly.Location;
            return new[] { "dotnet", self, "--engine", source, dest, threads.ToString(Inv) };
        }

        private static int EngineChild(string source, string dest, int threads)
        {
            var result = new ShareCopier().CopyAsync(new ShareCopyRequest { Source = source, Destination = dest, ThreadCount = threads },
                new RecordingHost(), CancellationToken.None).GetAwaiter().GetResult();
            var peak = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            Console.WriteLine($"copied={result.Files.Copied} skipped={result.Files.Skipped} failed={result.Files.Failed} exit={result.ExitCode} engine-seconds={result.Duration.TotalSeconds.ToString("0.000", Inv)} peak={peak.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]}");
            return result.ExitCode >= 8 ? 1 : 0;
        }

        private static double EngineSeconds(string output)
        {
            var marker = output.IndexOf("engine-seconds=", StringComparison.Ordinal);
            if (marker < 0) throw new InvalidOperationException("The engine did not report its own time: " + output);
            return double.Parse(output.Substring(marker + 15).Split(' ', '\n')[0], Inv);
        }

        private static long Peak(string output)
        {
            var marker = output.IndexOf("peak=", StringComparison.Ordinal);
            if (marker < 0) throw new InvalidOperationException("The engine did not report its peak memory: " + output);
            return long.Parse(output.Substring(marker + 5).Trim().Split(' ', '\n')[0], Inv);
        }

        private static double Time(string[] command, out string output)
        {
            Run(new[] { "sync" }, out _);
            var sw = Stopwatch.StartNew();
            var code = Run(command, out output);
            sw.Stop();
            if (code != 0) throw new InvalidOperationException($"{string.Join(" ", command)} failed ({code}): {output}");
            return sw.Elapsed.TotalSeconds;
        }

        private static int Run(string[] command, out string output)
        {
            var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + command[0]);
            var err = p.StandardError.ReadToEndAsync();
            output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            output += err.Result;
            return p.ExitCode;
        }

        private static void EnsureRsync()
        {
            if (Run(new[] { "sh", "-c", "command -v rsync" }, out _) == 0) return;
            Console.WriteLine("rsync is not installed; installing it with apt-get.");
            if (Run(new[] { "sh", "-c", "apt-get update && apt-get install -y rsync" }, out var output) != 0)
                throw new InvalidOperationException("Installing rsync failed: " + output);
        }

        /// <summary>Deterministic tree: small files of 1-64 KiB spread over two directory levels, large files in one directory.</summary>
        private static (long files, long bytes) Generate(string root, int smallFiles, int directories, int largeFiles, int largeMiB, int seed)
        {
            var random = new Random(seed);
            var buffer = new byte[64 * 1024];
            random.NextBytes(buffer);
            var perTop = Math.Max(1, (int)Math.Sqrt(directories));
            var dirs = Enumerable.Range(0, directories).Select(i => Path.Combine(root, "site" + (i / perTop).ToString("D3", Inv), "dir" + (i % perTop).ToString("D3", Inv))).ToArray();
            foreach (var d in dirs) Directory.CreateDirectory(d);
            long bytes = 0;
            for (var i = 0; i < smallFiles; i++)
            {
                var size = random.Next(1024, 64 * 1024 + 1);
                buffer[i % buffer.Length] ^= (byte)i; // distinct content per file
                using (var f = new FileStream(Path.Combine(dirs[i % dirs.Length], "file" + i.ToString("D5", Inv) + ".dat"), FileMode.Create, FileAccess.Write, System.IO.FileShare.None, 1))
                    f.Write(buffer, 0, size);
                bytes += size;
            }
            if (largeFiles > 0)
            {
                var large = Path.Combine(root, "large");
                Directory.CreateDirectory(large);
                var block = new byte[1024 * 1024];
                for (var i = 0; i < largeFiles; i++)
                {
                    using var f = new FileStream(Path.Combine(large, "blob" + i.ToString("D2", Inv) + ".bin"), FileMode.Create, FileAccess.Write, System.IO.FileShare.None, 1);
                    for (var m = 0; m < largeMiB; m++)
                    {
                        random.NextBytes(block);
                        f.Write(block, 0, block.Length);
                    }
                    bytes += (long)largeMiB * 1024 * 1024;
                }
            }
            return (smallFiles + largeFiles, bytes);
        }

        /// <summary>Reads every source file once so that every tool starts with the same warm page cache.</summary>
        private static void Warm(string root)
        {
            var buffer = new byte[1024 * 1024];
            foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, System.IO.FileShare.Read, 1);
                while (s.Read(buffer, 0, buffer.Length) > 0) { }
            }
        }

        private static long MemoryRun(string work, int fileCount, int threads)
        {
            var source = Path.Combine(work, "mem-src-" + fileCount.ToString(Inv));
            var dest = Path.Combine(work, "mem-dst-" + fileCount.ToString(Inv));
            var dirs = Math.Max(1, fileCount / 40);
            for (var d = 0; d < dirs; d++) Directory.CreateDirectory(Path.Combine(source, "d" + d.ToString(Inv)));
            var one = new byte[] { 42 };
            for (var i = 0; i < fileCount; i++) File.WriteAllBytes(Path.Combine(source, "d" + (i % dirs).ToString(Inv), "f" + i.ToString(Inv)), one);
            Time(EngineCommand(source, dest, threads), out var output);
            Remove(source);
            Remove(dest);
            return Peak(output);
        }

        private static void CheckSame(string source, string dest)
        {
            var a = Directory.EnumerateFileSystemEntries(source, "*", SearchOption.AllDirectories).Count();
            var b = Directory.EnumerateFileSystemEntries(dest, "*", SearchOption.AllDirectories).Count();
            if (a != b) throw new InvalidOperationException($"{dest} has {b} entries, the source {a}.");
        }

        private static void Remove(string path)
        {
            if (Directory.Exists(path)) Directory.Delete(path, true);
        }
    }
}
