using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Fabric.Core;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>A local Azure fabric for one test, and the engine environment that points at it: the
    /// fabric's endpoints, its pinned certificate (through the fabric's client handler) and a token.</summary>
    public sealed class FabricFixture : IAsyncDisposable
    {
        public const string Subscription = "11111111-2222-3333-4444-555555555555";
        public const string Token = "fabric-test-token-5b1f0c9e";

        private FabricFixture(FabricServer server)
        {
            Server = server;
            Environment = new DrEnvironment
            {
                Name = "Fabric",
                ResourceManagerEndpoint = server.ArmEndpoint,
                ResourceManagerAudience = "https://management." + server.DnsSuffix + "/",
                GraphEndpoint = server.GraphEndpoint,
                GraphAudience = "https://graph." + server.DnsSuffix,
                AuthorityHost = server.LoginEndpoint,
                KeyVaultDnsSuffix = "vault." + server.DnsSuffix,
                SqlDatabaseAudience = "https://database." + server.DnsSuffix + "/",
                Transport = server.CreateClientHandler(),
                Credential = DrCredential.FromAccessToken(Token),
                RetryDelay = TimeSpan.FromMilliseconds(20),
                DefaultPollInterval = TimeSpan.FromMilliseconds(50),
            };
        }

        public FabricServer Server { get; }
        public DrEnvironment Environment { get; }

        /// <summary>An environment for the fabric's Azure Stack Hub stamp with <paramref name="profile"/>: only its
        /// Resource Manager endpoint is given; the rest is read from the stamp's metadata when the run connects.</summary>
        public DrEnvironment StackEnvironment(ApiProfile profile)
        {
            var environment = DrEnvironment.AzureStackHub(Server.StackArmEndpoint, profile);
            environment.Transport = Server.CreateClientHandler();
            environment.Credential = DrCredential.FromAccessToken(Token);
            environment.RetryDelay = TimeSpan.FromMilliseconds(20);
            environment.DefaultPollInterval = TimeSpan.FromMilliseconds(50);
            return environment;
        }

        public static async Task<FabricFixture> StartAsync(Action<FabricOptions>? configure = null)
        {
            var options = new FabricOptions();
            configure?.Invoke(options);
            return new FabricFixture(await FabricServer.StartAsync(options));
        }

        /// <summary>A Key Vault client of the test's own (not the engine's) for one of the fabric's vaults.</summary>
        public SecretClient SecretClient(string vault) => new SecretClient(Environment.VaultUri(vault), new StaticToken(),
            new SecretClientOptions { Transport = new HttpClientTransport(Server.CreateClientHandler()) });

        private sealed class StaticToken : TokenCredential
        {
            public override AccessToken GetToken(TokenRequestContext r, CancellationToken c) => new AccessToken("test", DateTimeOffset.UtcNow.AddHours(1));
            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext r, CancellationToken c) => new ValueTask<AccessToken>(GetToken(r, c));
        }

        /// <summary>Successful state changes whose path contains <paramref name="pathPart"/>.</summary>
        public int Mutations(string pathPart) => Server.Log.Entries.Count(e => e.Succeeded && e.Path.IndexOf(pathPart, StringComparison.OrdinalIgnoreCase) >= 0);

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}
