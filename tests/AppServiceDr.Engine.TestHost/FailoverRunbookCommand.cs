using AppServiceDr.Testing;
using System;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// <c>failover-runbook &lt;stateDir&gt; &lt;fabricPort&gt; &lt;fabricCertFile&gt; &lt;subscription&gt;</c>: runs the region
    /// failover (failover group, storage, Traffic Manager, secondary app) against a fabric hosted by the test
    /// process, so the test can kill this process in the middle of a step and resume the run itself.
    /// </summary>
    public sealed class FailoverRunbookCommand : ITestHostCommand
    {
        public string Name => "failover-runbook";

        public static DrEnvironment Environment(int port, X509Certificate2 certificate) => new DrEnvironment
        {
            Name = "Fabric",
            ResourceManagerEndpoint = new Uri($"https://management.fabric.test:{port}/"),
            ResourceManagerAudience = "https://management.fabric.test/",
            KeyVaultDnsSuffix = "vault.fabric.test",
            Transport = FabricClientHandler.Create(port, "fabric.test", certificate),
            Credential = DrCredential.FromAccessToken("failover-child-token"),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            DefaultPollInterval = TimeSpan.FromMilliseconds(100),
        };

        public static RegionFailoverRequest Request(string subscription) => new RegionFailoverRequest
        {
            SubscriptionId = subscription, ResourceGroupName = "rg-east", ServerName = "sql-east", FailoverGroupName = "apprequest-fog",
            StorageAccountName = "stapprequest", StorageAccountResourceGroupName = "rg-west",
            TrafficManagerProfileName = "apprequest-tm", TrafficManagerResourceGroupName = "rg-global",
            SecondaryApp = new WebAppTarget
            {
                SubscriptionId = subscription, ResourceGroupName = "rg-east", Name = "app-east",
                HealthTimeout = TimeSpan.FromSeconds(60), HealthPollInterval = TimeSpan.FromMilliseconds(50),
            },
            Timeout = TimeSpan.FromSeconds(120),
        };

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            var environment = Environment(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), X509CertificateLoader.LoadCertificateFromFile(args[2]));
            var report = (await new RunbookRunner(new RunStore(args[0])).RunAsync(new RegionFailoverRunbook(), Request(args[3]),
                new RunContext(new RecordingHost(), new RunOptions(), environment), cancellationToken)).Report;
            Console.WriteLine(report.RunId + " " + report.Status);
            return report.Status == RunStatus.Succeeded ? 0 : 1;
        }
    }
}
