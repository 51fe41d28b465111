using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine;
using AppServiceDr.Testing;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Bench.Failover
{
    /// <summary>
    /// Runs the region failover (failover group, storage, app restart, Traffic Manager) against the local
    /// fabric with fixed operation durations and prints: the wall time against the critical path (the
    /// longest dependency chain of measured step durations), the same runbook with one step at a time as
    /// the peer, how much the independent steps overlapped, and the polling requests of each long-running
    /// operation against duration / Retry-After + 1.
    /// Usage: AppServiceDr.Bench.Failover [--operation-ms N] [--retry-after-ms N]
    /// Exit code 0 when the wall time is within 5% plus one polling interval of the critical path and no
    /// operation was polled more than its bound.
    /// </summary>
    public static class Program
    {
        private const string Subscription = "7d3c1a52-9b1e-4f0a-8c55-2b6e0d4f9a10";

        public static async Task<int> Main(string[] args)
        {
            int Arg(string name, int fallback) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback; }
            var operationMs = Arg("--operation-ms", 2000);
            var retryAfterMs = Arg("--retry-after-ms", 250);

            Console.WriteLine($"Region failover benchmark: every operation takes {operationMs} ms, Retry-After {retryAfterMs} ms");
            var parallel = await MeasureAsync(operationMs, retryAfterMs, maxParallel: 4);
            var serial = await MeasureAsync(operationMs, retryAfterMs, maxParallel: 1);

            Print("parallel (MaxParallel 4)", parallel);
            Print("one step at a time (peer)", serial);
            var ratio = parallel.Wall.TotalMilliseconds / parallel.CriticalPath.TotalMilliseconds;
            var allowance = parallel.CriticalPath.TotalMilliseconds * 0.05 + retryAfterMs;
            var withinGoal = parallel.Wall.TotalMilliseconds <= parallel.CriticalPath.TotalMilliseconds + allowance;
            Console.WriteLine();
            Console.WriteLine($"wall / critical path: {ratio:0.000} (goal: at most {(parallel.CriticalPath.TotalMilliseconds + allowance) / parallel.CriticalPath.TotalMilliseconds:0.000}, 5% plus one polling interval) -> {(withinGoal ? "met" : "NOT met")}");
            Console.WriteLine($"parallel wall / one-at-a-time wall: {parallel.Wall.TotalMilliseconds / serial.Wall.TotalMilliseconds:0.000}");
            Console.WriteLine($"overlap of sql-failover and storage-failover: {parallel.Overlap.TotalMilliseconds:0} ms parallel, {serial.Overlap.TotalMilliseconds:0} ms one at a time");
            var bound = (double)operationMs / retryAfterMs + 1;
            var pollsOk = parallel.Polls.All(p => p.Value <= bound);
            Console.WriteLine($"polls per operation (bound {bound:0.#}): {string.Join(", ", parallel.Polls.Select(p => $"{p.Key} {p.Value}"))} -> {(pollsOk ? "met" : "NOT met")}");
            return withinGoal && pollsOk && parallel.Succeeded ? 0 : 1;
        }

        private sealed class Measurement
        {
            public bool Succeeded { get; set; }
            public TimeSpan Wall { get; set; }
            public TimeSpan CriticalPath { get; set; }
            public TimeSpan Overlap { get; set; }
            public IReadOnlyList<StepReport> Steps { get; set; } = Array.Empty<StepReport>();
            public IReadOnlyDictionary<string, int> Polls { get; set; } = new Dictionary<string, int>();
        }

        private static async Task<Measurement> MeasureAsync(int operationMs, int retryAfterMs, int maxParallel)
        {
            await using var fabric = await FabricServer.StartAsync(new FabricOptions
            {
                Timings = { OperationMs = operationMs, RetryAfterMs = retryAfterMs, SiteRestartMs = 100, SiteWarmupMs = operationMs / 2 },
            });
            fabric.Control(s => HighAvailabilitySetup.Seed(s, Subscription, DateTimeOffset.UtcNow.AddMinutes(-5)));
            var environment = new DrEnvironment
            {
                Name = "Fabric",
                ResourceManagerEndpoint = fabric.ArmEndpoint,
                ResourceManagerAudience = "https://management." + fabric.DnsSuffix + "/",
                GraphEndpoint = fabric.GraphEndpoint,
                AuthorityHost = fabric.LoginEndpoint,
                Transport = fabric.CreateClientHandler(),
                Credential = DrCredential.FromAccessToken("benchmark-token"),
                DefaultPollInterval = TimeSpan.FromMilliseconds(retryAfterMs),
            };
            var request = new RegionFailoverRequest
            {
                SubscriptionId = Subscription,
                ResourceGroupName = HighAvailabilitySetup.SecondaryGroup,
                ServerName = HighAvailabilitySetup.SecondaryServer,
                FailoverGroupName = HighAvailabilitySetup.FailoverGroup,
                StorageAccountName = HighAvailabilitySetup.StorageAccount,
                StorageAccountResourceGroupName = HighAvailabilitySetup.PrimaryGroup,
                TrafficManagerProfileName = HighAvailabilitySetup.Profile,
                TrafficManagerResourceGroupName = HighAvailabilitySetup.GlobalGroup,
                SecondaryApp = new WebAppTarget
                {
                    SubscriptionId = Subscription, ResourceGroupName = HighAvailabilitySetup.SecondaryGroup, Name = HighAvailabilitySetup.SecondaryApp,
                    HealthPollInterval = TimeSpan.FromMilliseconds(retryAfterMs), HealthTimeout = TimeSpan.FromMinutes(2),
                },
                Timeout = TimeSpan.FromMinutes(5),
            };
            var state = Path.Combine(Path.GetTempPath(), "appservicedr-failover-benchmark-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                fabric.Log.Clear();
                var report = (await new RunbookRunner(new RunStore(state)).RunAsync(new RegionFailoverRunbook(), request,
                    new RunContext(new RecordingHost(), new RunOptions { MaxParallel = maxParallel }, environment))).Report;
                var polls = fabric.Log.Requests
                    .Where(r => r.Method == "GET" && (r.Path.Contains("/operationStatuses/") || r.Path.Contains("/operationResults/")))
                    .GroupBy(r => OperationOwner(r.Path) + " " + r.Path.Substring(r.Path.LastIndexOf('/') + 1, 8))
                    .ToDictionary(g => g.Key, g => g.Count());
                return new Measurement
                {
                    Succeeded = report.Status == RunStatus.Succeeded,
                    // From the run's start (after its pre-flight) to its end, as the critical path is measured.
                    Wall = report.Duration ?? TimeSpan.Zero,
                    CriticalPath = CriticalPath(report.Steps),
                    Overlap = Overlap(report.Steps.Single(s => s.StepId == "sql-failover"), report.Steps.Single(s => s.StepId == "storage-failover")),
                    Steps = report.Steps,
                    Polls = polls,
                };
            }
            finally
            {
                if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
            }
        }

        private static string OperationOwner(string path) =>
            path.IndexOf("Microsoft.Sql", StringComparison.OrdinalIgnoreCase) >= 0 ? "sql"
            : path.IndexOf("Microsoft.Storage", StringComparison.OrdinalIgnoreCase) >= 0 ? "storage"
            : "other";

        /// <summary>The longest chain of measured step durations through the dependencies.</summary>
        private static TimeSpan CriticalPath(IReadOnlyList<StepReport> steps)
        {
            var byId = steps.ToDictionary(s => s.StepId, StringComparer.OrdinalIgnoreCase);
            var finish = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
            TimeSpan Finish(StepReport s)
            {
                if (finish.TryGetValue(s.StepId, out var known)) return known;
                var start = s.DependsOn.Select(d => Finish(byId[d])).DefaultIfEmpty(TimeSpan.Zero).Max();
                return finish[s.StepId] = start + (s.Duration ?? TimeSpan.Zero);
            }
            return steps.Select(Finish).DefaultIfEmpty(TimeSpan.Zero).Max();
        }

        private static TimeSpan Overlap(StepReport a, StepReport b)
        {
            if (a.StartedAt == null || a.EndedAt == null || b.StartedAt == null || b.EndedAt == null) return TimeSpan.Zero;
            var start = a.StartedAt > b.StartedAt ? a.StartedAt.Value : b.StartedAt.Value;
            var end = a.EndedAt < b.EndedAt ? a.EndedAt.Value : b.EndedAt.Value;
            return end > start ? end - start : TimeSpan.Zero;
        }

        private static void Print(string title, Measurement m)
        {
            Console.WriteLine();
            Console.WriteLine($"== {title}: {(m.Succeeded ? "succeeded" : "FAILED")}, wall {m.Wall.TotalMilliseconds:0} ms, critical path {m.CriticalPath.TotalMilliseconds:0} ms");
            foreach (var s in m.Steps)
                Console.WriteLine($"   {s.StepId,-18} {s.Outcome,-10} {s.Duration?.TotalMilliseconds ?? 0,7:0} ms  after [{string.Join(", ", s.DependsOn)}]");
        }
    }
}
