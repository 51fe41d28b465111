using System;
using System.Net.Http;
using System.Net.Security;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using global::Azure.Core;
using global::Azure.Core.Pipeline;
using global::Azure.Identity;
using global::Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>
    /// The Azure SDK side of an environment: one credential and one HTTP transport, shared by the Resource
    /// Manager and Graph pipelines and the Key Vault clients made from it. Every pipeline retries transient
    /// failures (429 with Retry-After, 5xx, resets, timeouts) the same way.
    /// </summary>
    internal sealed class AzureConnection
    {
        private readonly HttpPipelineTransport _transport;

        public AzureConnection(DrEnvironment environment, SecretRedactor redactor)
        {
            Environment = environment;
            Redactor = redactor;
            var handler = environment.Transport ?? CreateHandler(environment.PinnedCertificateSha256);
            if (environment.DiscoverFromMetadata) EnvironmentMetadata.Apply(environment, handler);
            Credential = CreateCredential(environment, redactor);
            _transport = new HttpClientTransport(handler);
            Arm = new ArmRestClient(Build(Scope(environment.ResourceManagerAudience)), environment);
            Graph = Build(Scope(environment.GraphAudience));
        }

        public DrEnvironment Environment { get; }
        public SecretRedactor Redactor { get; }
        public TokenCredential Credential { get; }
        public ArmRestClient Arm { get; }
        public HttpPipeline Graph { get; }

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SecretClient> _vaults =
            new System.Collections.Concurrent.ConcurrentDictionary<string, SecretClient>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The run's client for one vault (made once, shared by every step that uses that vault). It sends the
        /// Key Vault data-plane version of the environment's API profile; ApiVersionNotInProfile when the profile names
        /// one this client cannot send.</summary>
        public SecretClient SecretClient(Uri vaultUri)
        {
            Environment.Profile.RequireKeyVault(vaultUri.Host.Split('.')[0]);
            return _vaults.GetOrAdd(vaultUri.GetLeftPart(UriPartial.Authority), _ =>
            {
                var options = Environment.Profile.KeyVaultDataPlaneVersion is string version
                    ? new SecretClientOptions(KeyVaultServiceVersion(version))
                    : new SecretClientOptions();
                Configure(options);
                return new SecretClient(vaultUri, Credential, options);
            });
        }

        private static SecretClientOptions.ServiceVersion KeyVaultServiceVersion(string version) => version switch
        {
            "7.0" => SecretClientOptions.ServiceVersion.V7_0,
            "7.1" => SecretClientOptions.ServiceVersion.V7_1,
            "7.2" => SecretClientOptions.ServiceVersion.V7_2,
            "7.3" => SecretClientOptions.ServiceVersion.V7_3,
            "7.4" => SecretClientOptions.ServiceVersion.V7_4,
            "7.5" => SecretClientOptions.ServiceVersion.V7_5,
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "Not a Key Vault data-plane version the client sends."),
        };

        internal static string Scope(string audience) => audience.TrimEnd('/') + "/.default";

        private HttpPipeline Build(string scope)
        {
            var options = new PipelineOptions();
            Configure(options);
            return HttpPipelineBuilder.Build(options, new BearerTokenAuthenticationPolicy(Credential, scope));
        }

        private void Configure(ClientOptions options)
        {
            options.Transport = _transport;
            options.RetryPolicy = new DrRetryPolicy(Environment.MaxRetries, Environment.RetryDelay, TimeSpan.FromSeconds(60));
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
            options.Diagnostics.IsLoggingEnabled = false;
            options.Diagnostics.IsDistributedTracingEnabled = false;
            options.Diagnostics.ApplicationId = "AppServiceDr";
        }

        private sealed class PipelineOptions : ClientOptions { }

        internal static TokenCredential CreateCredential(DrEnvironment environment, SecretRedactor redactor)
        {
            var credential = CreateSignInCredential(environment, redactor);
            var databaseToken = environment.Credential.DatabaseToken;
            if (databaseToken == null) return credential;
            var token = SecureStrings.Unprotect(databaseToken);
            redactor.Register(token);
            return new DatabaseTokenCredential(credential, Scope(environment.SqlDatabaseAudience), new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1)));
        }

        private static TokenCredential CreateSignInCredential(DrEnvironment environment, SecretRedactor redactor)
        {
            var c = environment.Credential;
            switch (c.Kind)
            {
                case DrCredentialKind.AccessToken:
                    var token = c.Token ?? SecureStrings.Unprotect(c.SecureToken!);
                    redactor.Register(token);
                    return new StaticTokenCredential(token, c.TokenExpiresOn);
                case DrCredentialKind.ManagedIdentity:
                    return new ManagedIdentityCredential(c.ClientId == null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(c.ClientId));
                case DrCredentialKind.ClientSecret:
                    var secret = SecureStrings.Unprotect(c.ClientSecret!);
                    redactor.Register(secret);
                    return new ClientSecretCredential(Tenant(environment, c.TenantId), c.ClientId, secret,
                        new ClientSecretCredentialOptions { AuthorityHost = environment.AuthorityHost, DisableInstanceDiscovery = Adfs(environment) });
                default:
                    return new DefaultAzureCredential(new DefaultAzureCredentialOptions
                    {
                        AuthorityHost = environment.AuthorityHost,
                        TenantId = Tenant(environment, c.TenantId),
                        ManagedIdentityClientId = c.ClientId,
                        DisableInstanceDiscovery = Adfs(environment),
                    });
            }
        }

        private static bool Adfs(DrEnvironment environment) => environment.IdentityProvider == DrIdentityProvider.Adfs;

        /// <summary>AD FS has one tenant, named "adfs", whatever was given.</summary>
        private static string? Tenant(DrEnvironment environment, string? tenantId) => Adfs(environment) ? "adfs" : tenantId;

        /// <summary>The default transport: the platform's certificate checks, plus exactly one pinned
        /// certificate when the environment names one. A proxy declared in HTTPS_PROXY/HTTP_PROXY/NO_PROXY is
        /// followed on both targets; without one, .NET Framework uses the Windows system proxy.</summary>
        internal static HttpMessageHandler CreateHandler(string? pinnedSha256)
        {
            // .NET 8's default proxy already reads the proxy variables (and the system proxy on Windows);
            // .NET Framework's reads only the system proxy, so there the variables are applied here.
#if NETFRAMEWORK
            var handler = new HttpClientHandler();
            var proxy = EnvironmentProxy.FromEnvironment(System.Environment.GetEnvironmentVariable);
            if (proxy != null)
            {
                handler.Proxy = proxy;
                handler.UseProxy = true;
            }
            if (pinnedSha256 != null)
                handler.ServerCertificateCustomValidationCallback = (_, cert, _, errors) => Accept(cert, errors, pinnedSha256);
            return handler;
#else
            var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            if (pinnedSha256 != null)
                handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => Accept(cert as X509Certificate2 ?? (cert == null ? null : new X509Certificate2(cert)), errors, pinnedSha256);
            return handler;
#endif
        }

        internal static bool Accept(X509Certificate2? certificate, SslPolicyErrors errors, string pinnedSha256)
        {
            if (errors == SslPolicyErrors.None) return true;
            if (certificate == null) return false;
            return string.Equals(Sha256Hex(certificate), pinnedSha256.Replace(":", "").Trim(), StringComparison.OrdinalIgnoreCase);
        }

        public static string Sha256Hex(X509Certificate2 certificate)
        {
            using var sha = SHA256.Create();
            return BitConverter.ToString(sha.ComputeHash(certificate.RawData)).Replace("-", "");
        }

        /// <summary>The database token for the database scope; every other scope goes to the sign-in credential.</summary>
        private sealed class DatabaseTokenCredential : TokenCredential
        {
            private readonly TokenCredential _signIn;
            private readonly string _databaseScope;
            private readonly AccessToken _databaseToken;

            public DatabaseTokenCredential(TokenCredential signIn, string databaseScope, AccessToken databaseToken)
            {
                _signIn = signIn;
                _databaseScope = databaseScope;
                _databaseToken = databaseToken;
            }

            private bool ForDatabase(TokenRequestContext context) =>
                context.Scopes.Length == 1 && string.Equals(context.Scopes[0], _databaseScope, StringComparison.OrdinalIgnoreCase);

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
                ForDatabase(requestContext) ? _databaseToken : _signIn.GetToken(requestContext, cancellationToken);

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
                ForDatabase(requestContext) ? new ValueTask<AccessToken>(_databaseToken) : _signIn.GetTokenAsync(requestContext, cancellationToken);
        }

        /// <summary>A token handed to us (Get-AzAccessToken, or a test), returned for every scope.</summary>
        private sealed class StaticTokenCredential : TokenCredential
        {
            private readonly AccessToken _token;

            public StaticTokenCredential(string token, DateTimeOffset expiresOn)
            {
                _token = new AccessToken(token, expiresOn);
            }

            public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => _token;

            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
                new ValueTask<AccessToken>(_token);
        }
    }
}
