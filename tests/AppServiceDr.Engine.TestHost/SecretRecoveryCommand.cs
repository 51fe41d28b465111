using AppServiceDr.Testing;
using System;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.KeyVault;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// <c>secret-recovery &lt;stateDir&gt; &lt;resourceManagerEndpoint&gt; &lt;vaultUri&gt; &lt;certificateSha256&gt; [what-if]</c>:
    /// seed 004 scenario 2 the way Invoke-KeyVaultSecretRecovery runs it from a PowerShell session. The
    /// environment is built from the cmdlet's parameters by the same engine call, with no test transport: how
    /// the process reaches the fabric's host names is up to its own environment (HTTPS_PROXY).
    /// </summary>
    public sealed class SecretRecoveryCommand : ITestHostCommand
    {
        public string Name => "secret-recovery";

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            var whatIf = args.Length > 4 && args[4] == "what-if";
            var environment = DrEnvironment.Create("AzureCloud", new Uri(args[1]), args[3], DrCredential.FromAccessToken("secret-recovery-child-token"));
            environment.RetryDelay = TimeSpan.FromMilliseconds(50);
            var request = new SecretRecoveryRequest
            {
                VaultUri = new Uri(args[2]),
                Names = new[] { SecretDeletedScenario.DeletedSecret },
                PollInterval = TimeSpan.FromMilliseconds(100),
                App = new WebAppTarget
                {
                    SubscriptionId = SecretDeletedScenario.Subscription, ResourceGroupName = SecretDeletedScenario.ResourceGroup,
                    Name = SecretDeletedScenario.Site, HealthPollInterval = TimeSpan.FromMilliseconds(100), HealthTimeout = TimeSpan.FromMinutes(2),
                },
            };
            var outcome = await new RunbookRunner(new RunStore(args[0])).RunAsync(new KeyVaultRecoveryRunbook(), request,
                new RunContext(new RecordingHost(), new RunOptions { WhatIf = whatIf }, environment), cancellationToken).ConfigureAwait(false);
            var report = outcome.Report;
            foreach (var result in outcome.TypedResults)
                Console.WriteLine($"{result.Name} {result.Action}: {result.Plan}");
            foreach (var step in report.Steps)
                if (step.Error != null) Console.WriteLine($"{step.StepId} failed: {step.Error}");
            Console.WriteLine("run " + report.Status);
            return report.Status == (whatIf ? RunStatus.WhatIf : RunStatus.Succeeded) ? 0 : 1;
        }
    }
}
