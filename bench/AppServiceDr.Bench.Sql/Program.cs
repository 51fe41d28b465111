using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security;
using System.Threading.Tasks;
using AppServiceDr.Engine;
using AppServiceDr.Testing;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Bench.Sql
{
    /// <summary>
    /// Restores the two App Service databases against the TDS server, whose RESTORE takes a fixed time, and
    /// prints: two in parallel against one alone (goal: at most 1.2 times), and the engine's own time per
    /// database beyond the server's restore time (goal: under 50 ms). Usage: [seconds per restore] [rounds].
    /// Every connection is encrypted as in production: TLS, with the server's certificate (from an authority
    /// made for the run) pinned through ServerCertificate, so the handshakes are part of what is measured.
    /// </summary>
    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2.0;
            var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
            var duration = TimeSpan.FromSeconds(seconds);

            using var authority = SimCertificateAuthority.Create("AppServiceDr Bench Root CA");
            using var certificate = authority.IssueServerCertificate("localhost", "127.0.0.1");
            using var server = new SimSqlServer { DefaultRestoreDuration = duration, Certificate = certificate };
            server.AddLogin("bench", "bench-password");
            var names = SqlRestoreRequest.AppServiceDatabases;
            var folder = Path.Combine(Path.GetTempPath(), "asdr-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var certificateFile = SimCertificateAuthority.WritePem(certificate, Path.Combine(folder, "tds-server.cer"));
                foreach (var name in names)
                {
                    var file = Path.Combine(folder, name + "_full.bak");
                    File.WriteAllText(file, name);
                    server.Catalog.AddBackup(SimBackup.Typical(file, name));
                }
                return await MeasureAsync(server, certificateFile, folder, names, duration, rounds);
            }
            finally
            {
                Directory.Delete(folder, true);
            }
        }

        private static async Task<int> MeasureAsync(SimSqlServer server, string certificateFile, string folder, IReadOnlyList<string> names, TimeSpan duration, int rounds)
        {
            // Warm-up: JIT, first connections.
            await RunAsync(server, certificateFile, folder, names);

            var alone = new List<double>();
            var pair = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                alone.Add(await RunAsync(server, certificateFile, folder, names.Take(1).ToList()));
                pair.Add(await RunAsync(server, certificateFile, folder, names));
            }

            var oneMs = Median(alone);
            var twoMs = Median(pair);
            var serverMs = duration.TotalMilliseconds;
            var ratio = twoMs / oneMs;
            var overheadAlone = oneMs - serverMs;
            var overheadPair = twoMs - serverMs;

            Console.WriteLine("Simulated RESTORE time per database: " + F(serverMs) + " ms; rounds: " + rounds.ToString(CultureInfo.InvariantCulture) + " (medians)");
            Console.WriteLine("One database alone:        " + F(oneMs) + " ms wall");
            Console.WriteLine("Two databases in parallel: " + F(twoMs) + " ms wall");
            Console.WriteLine("Parallel / alone:          " + ratio.ToString("0.000", CultureInfo.InvariantCulture) + " (goal <= 1.2) " + (ratio <= 1.2 ? "met" : "NOT met"));
            Console.WriteLine("Engine overhead, alone:    " + F(overheadAlone) + " ms beyond the server's time (goal < 50 ms) " + (overheadAlone < 50 ? "met" : "NOT met"));
            Console.WriteLine("Engine overhead, parallel: " + F(overheadPair) + " ms beyond the server's time for both (goal < 50 ms) " + (overheadPair < 50 ? "met" : "NOT met"));
            Console.WriteLine("Overhead / server time:    " + (overheadAlone / serverMs).ToString("0.0000", CultureInfo.InvariantCulture));
            return 0;
        }

        private static string F(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }

        /// <summary>Restores the given databases from the backup folder in one request (the engine runs them side by
        /// side) after dropping them on the server, and returns the wall time in ms.</summary>
        private static async Task<double> RunAsync(SimSqlServer server, string certificateFile, string folder, IReadOnlyList<string> names)
        {
            foreach (var name in names) server.Catalog.Remove(name);
            var password = new SecureString();
            foreach (var c in "bench-password") password.AppendChar(c);
            password.MakeReadOnly();
            var request = new SqlRestoreRequest
            {
                Server = new SqlServerConnectionInfo
                {
                    ServerInstance = server.DataSource,
                    Authentication = SqlAuthenticationKind.SqlLogin,
                    UserName = "bench",
                    Password = password,
                    ServerCertificate = certificateFile,
                },
                BackupPath = folder,
                DatabaseNames = names,
            };
            var state = Path.Combine(Path.GetTempPath(), "appservicedr-sql-benchmark-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                var clock = Stopwatch.StartNew();
                var outcome = await new RunbookRunner(new RunStore(state)).RunAsync(new SqlRestoreRunbook(), request,
                    new RunContext(new RecordingHost(), new RunOptions { MaxParallel = 2 }));
                clock.Stop();
                var failed = outcome.TypedResults.FirstOrDefault(r => r.Error != null);
                if (failed != null) throw new InvalidOperationException("Restore of " + failed.Database + " failed: " + failed.Error);
                return clock.Elapsed.TotalMilliseconds;
            }
            finally
            {
                if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
            }
        }
    }
}
