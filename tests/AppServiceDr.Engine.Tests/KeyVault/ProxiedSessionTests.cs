using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Engine.Tests.KeyVault
{
    /// <summary>
    /// Scenario 2 from a separate process that knows the fabric only the way a PowerShell session running the
    /// module does: a Resource Manager endpoint, a vault URI, a certificate thumbprint and HTTPS_PROXY. This is
    /// the route the module rehearsal (build.ps1 -Task Rehearse) depends on.
    /// </summary>
    public sealed class ProxiedSessionTests : IAsyncLifetime
    {
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync() => _fabric = await FabricFixture.StartAsync(o => o.Seed = SecretDeletedScenario.Apply);

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private Dictionary<string, string?> ProxyEnvironment()
        {
            var variables = new Dictionary<string, string?> { ["HTTPS_PROXY"] = _fabric.Server.Proxy.Endpoint.ToString() };
            foreach (var other in new[] { "https_proxy", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" })
                variables[other] = null;
            return variables;
        }

        private async Task<(int ExitCode, string Output)> RunAsync(params string[] extra)
        {
            var args = new List<string>
            {
                _state.Path, _fabric.Server.ArmEndpoint.ToString(), _fabric.Server.VaultUri(SecretDeletedScenario.Vault).ToString(),
                _fabric.Server.Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256),
            };
            args.AddRange(extra);
            using var child = TestHostProcess.Start(ProxyEnvironment(), "secret-recovery", args.ToArray());
            var exit = await child.WaitForExitAsync(TimeSpan.FromMinutes(3));
            return (exit, child.Output);
        }

        private async Task<int> SiteStatusAsync()
        {
            using var http = new HttpClient(_fabric.Server.CreateClientHandler());
            using var answer = await http.GetAsync("https://" + _fabric.Server.SiteHostName(SecretDeletedScenario.Site) + "/");
            return (int)answer.StatusCode;
        }

        [Fact]
        public async Task Through_the_proxy_alone_WhatIf_changes_nothing_and_the_real_run_recovers_the_secret_and_the_app()
        {
            Assert.Equal(503, await SiteStatusAsync());

            var plan = await RunAsync("what-if");
            Assert.True(plan.ExitCode == 0, plan.Output);
            Assert.Contains("run WhatIf", plan.Output);
            Assert.Contains("Recover deleted secret '" + SecretDeletedScenario.DeletedSecret + "'", plan.Output);
            Assert.True(!_fabric.Server.Log.Entries.Any(e => e.Succeeded), string.Join("\n", _fabric.Server.Log.Entries));
            Assert.True(_fabric.Server.Proxy.Tunnels > 0, "the child process did not go through the proxy");

            var run = await RunAsync();
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains(SecretDeletedScenario.DeletedSecret + " Recovered", run.Output);
            Assert.Contains("run Succeeded", run.Output);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("POST", "/deletedsecrets/" + SecretDeletedScenario.DeletedSecret + "/recover"));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("POST", "/sites/" + SecretDeletedScenario.Site + "/restart"));
            Assert.Equal(200, await SiteStatusAsync());
            Assert.Equal(0, _fabric.Server.Proxy.Refused);
        }
    }
}
