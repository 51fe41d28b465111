using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.KeyVault;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Rehearsal
{
    /// <summary>
    /// Rehearses seed 004 scenario 2 end to end: the app's Key Vault reference breaks because a secret was
    /// deleted; the recovery runbook recovers it, restarts the app and waits until it answers healthy.
    /// Usage: AppServiceDr.Rehearsal [--state DIR] [--report FILE]
    /// Exit code 0 when the app is healthy again and the run succeeded.
    /// </summary>
    public static class Program
    {
        private const string Subscription = SecretDeletedScenario.Subscription;
        private const string ResourceGroup = SecretDeletedScenario.ResourceGroup;
        private const string Vault = SecretDeletedScenario.Vault;
        private const string Site = SecretDeletedScenario.Site;

        public static async Task<int> Main(string[] args)
        {
            string? Arg(string name) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
            var state = Arg("--state") ?? Path.Combine(Path.GetTempPath(), "appservicedr-rehearsal-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            var reportPath = Arg("--report");

            Console.WriteLine("AppServiceDr rehearsal: Key Vault secret deleted (seed 004, scenario 2)");
            var options = new FabricOptions { Seed = SecretDeletedScenario.Apply };
            SecretDeletedScenario.ApplyTimings(options.Timings);
            await using var fabric = await FabricServer.StartAsync(options);
            Console.WriteLine($"Local Azure fabric on 127.0.0.1:{fabric.Port}, certificate pinned (SHA-256 {AzureThumbprint(fabric)})");
            var environment = EnvironmentFor(fabric);
            var health = await ProbeAsync(fabric);
            Console.WriteLine($"The app is down: https://{fabric.SiteHostName(Site)}/ answers {health.Status} ({health.Body.Trim()})");

            SecretRecoveryRequest Request(bool all = false, bool restart = true) => new SecretRecoveryRequest
            {
                VaultUri = environment.VaultUri(Vault),
                Names = all ? Array.Empty<string>() : new[] { SecretDeletedScenario.DeletedSecret },
                All = all,
                PollInterval = TimeSpan.FromMilliseconds(250),
                App = !restart ? null : new WebAppTarget
                {
                    SubscriptionId = Subscription, ResourceGroupName = ResourceGroup, Name = Site,
                    HealthPollInterval = TimeSpan.FromMilliseconds(250), HealthTimeout = TimeSpan.FromMinutes(2),
                },
            };
            var redactor = new SecretRedactor();
            var store = new RunStore(state);
            var runner = new RunbookRunner(store);
            var runbook = new KeyVaultRecoveryRunbook();
            RunContext Context(bool whatIf) => new RunContext(new ConsoleHost(whatIf), new RunOptions { WhatIf = whatIf, Redactor = redactor }, environment);

            Console.WriteLine();
            Console.WriteLine("== Invoke-KeyVaultSecretRecovery -VaultName kv-portal -All -WhatIf");
            var mutationsBefore = fabric.Log.Entries.Count(e => e.Succeeded);
            var deleted = (await runner.RunAsync(runbook, Request(all: true, restart: false), Context(whatIf: true))).TypedResults;
            foreach (var d in deleted)
                Console.WriteLine($"{d.Name}: deleted {d.DeletedOn:u}, purge scheduled {d.ScheduledPurgeDate:u}, recovery level {d.RecoveryLevel}");

            Console.WriteLine();
            Console.WriteLine("== Invoke-KeyVaultSecretRecovery -VaultName kv-portal -Name AzureAdClientSecret -WebAppName portal -WhatIf");
            var plan = (await runner.RunAsync(runbook, Request(), Context(whatIf: true))).Report;
            var changedByWhatIf = fabric.Log.Entries.Count(e => e.Succeeded) - mutationsBefore;
            Console.WriteLine($"-WhatIf changed {changedByWhatIf} thing(s) and wrote no journal: {(plan.JournalPath == null ? "yes" : "no")}");

            Console.WriteLine();
            Console.WriteLine("== Invoke-KeyVaultSecretRecovery -VaultName kv-portal -Name AzureAdClientSecret -WebAppName portal");
            var recovery = await runner.RunAsync(runbook, Request(), Context(whatIf: false));
            var report = recovery.Report;
            foreach (var r in recovery.TypedResults)
                Console.WriteLine($"{r.VaultName}/{r.Name}: {r.Action} in {ReportExporter.Duration(r.Duration)}");

            health = await ProbeAsync(fabric);
            Console.WriteLine($"The app answers {health.Status} ({health.Body.Trim()})");
            Console.WriteLine();
            Console.WriteLine(ReportExporter.ToMarkdown(report));
            if (reportPath != null) ReportExporter.Write(report, ReportFormat.Markdown, reportPath, overwrite: true);

            var ok = deleted.Any(d => d.Name == SecretDeletedScenario.DeletedSecret) && changedByWhatIf == 0 && plan.JournalPath == null && report.Status == RunStatus.Succeeded && health.Status == 200;
            Console.WriteLine(ok ? "Rehearsal passed: the app is healthy again." : "Rehearsal FAILED.");
            return ok ? 0 : 1;
        }

        private static DrEnvironment EnvironmentFor(FabricServer fabric) => new DrEnvironment
        {
            Name = "Fabric",
            ResourceManagerEndpoint = fabric.ArmEndpoint,
            ResourceManagerAudience = "https://management." + fabric.DnsSuffix + "/",
            KeyVaultDnsSuffix = "vault." + fabric.DnsSuffix,
            GraphEndpoint = fabric.GraphEndpoint,
            AuthorityHost = fabric.LoginEndpoint,
            Transport = fabric.CreateClientHandler(),
            Credential = DrCredential.FromAccessToken("rehearsal-token"),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            DefaultPollInterval = TimeSpan.FromMilliseconds(250),
        };

        private static async Task<(int Status, string Body)> ProbeAsync(FabricServer fabric)
        {
            using var http = new HttpClient(fabric.CreateClientHandler());
            using var r = await http.GetAsync("https://" + fabric.SiteHostName(Site) + "/");
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        private static string AzureThumbprint(FabricServer fabric) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(fabric.Certificate.RawData)).Substring(0, 16) + "…";
    }
}
