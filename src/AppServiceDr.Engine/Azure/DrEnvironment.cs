using System;
using System.Net.Http;
using System.Security;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>How the engine signs in.</summary>
    public enum DrCredentialKind
    {
        /// <summary>Environment, workload identity, managed identity, Azure CLI, Azure PowerShell ... in that order.</summary>
        Default,
        /// <summary>A managed identity: system-assigned, or user-assigned when a client id is given. For scheduled runs.</summary>
        ManagedIdentity,
        /// <summary>A service principal with a client secret.</summary>
        ClientSecret,
        /// <summary>A bearer token obtained elsewhere (Get-AzAccessToken), used as is for every audience.</summary>
        AccessToken,
    }

    /// <summary>The credential the engine uses. Secret parts are held as SecureString or kept out of any text.</summary>
    public sealed class DrCredential
    {
        private DrCredential(DrCredentialKind kind) { Kind = kind; }

        public DrCredentialKind Kind { get; }
        public string? TenantId { get; private set; }
        public string? ClientId { get; private set; }
        internal SecureString? ClientSecret { get; private set; }
        internal string? Token { get; private set; }
        internal SecureString? SecureToken { get; private set; }
        internal DateTimeOffset TokenExpiresOn { get; private set; }

        public static DrCredential Default(string? tenantId = null, string? managedIdentityClientId = null) =>
            new DrCredential(DrCredentialKind.Default) { TenantId = tenantId, ClientId = managedIdentityClientId };

        public static DrCredential ManagedIdentity(string? clientId = null) =>
            new DrCredential(DrCredentialKind.ManagedIdentity) { ClientId = clientId };

        public static DrCredential FromClientSecret(string tenantId, string clientId, SecureString secret) =>
            new DrCredential(DrCredentialKind.ClientSecret) { TenantId = tenantId, ClientId = clientId, ClientSecret = secret };

        public static DrCredential FromAccessToken(string token, DateTimeOffset? expiresOn = null)
        {
            if (string.IsNullOrWhiteSpace(token))
                throw DrException.Precondition("AccessTokenEmpty", DrErrorCategory.InvalidArgument, "The access token is empty.");
            return new DrCredential(DrCredentialKind.AccessToken) { Token = token, TokenExpiresOn = expiresOn ?? DateTimeOffset.UtcNow.AddHours(1) };
        }

        /// <summary>A token held as SecureString until the first request needs it.</summary>
        public static DrCredential FromAccessToken(SecureString token, DateTimeOffset? expiresOn = null)
        {
            if (token == null || token.Length == 0)
                throw DrException.Precondition("AccessTokenEmpty", DrErrorCategory.InvalidArgument, "The access token is empty.");
            return new DrCredential(DrCredentialKind.AccessToken) { SecureToken = token, TokenExpiresOn = expiresOn ?? DateTimeOffset.UtcNow.AddHours(1) };
        }

        /// <summary>A token for Azure SQL Database connections (audience <see cref="DrEnvironment.SqlDatabaseAudience"/>),
        /// used instead of asking this credential for one. A token passed with <see cref="FromAccessToken(SecureString, DateTimeOffset?)"/>
        /// is a Resource Manager token, which a database refuses, so that kind needs this to connect to a database.</summary>
        internal SecureString? DatabaseToken { get; private set; }

        public bool HasDatabaseAccessToken => DatabaseToken != null;

        /// <summary>This credential, with a separate token for Azure SQL Database connections
        /// (for example from Get-AzAccessToken -ResourceUrl https://database.windows.net/ -AsSecureString).</summary>
        public DrCredential WithDatabaseAccessToken(SecureString token)
        {
            if (token == null || token.Length == 0)
                throw DrException.Precondition("DatabaseAccessTokenEmpty", DrErrorCategory.InvalidArgument, "The database access token is empty.");
            var copy = (DrCredential)MemberwiseClone();
            copy.DatabaseToken = token;
            return copy;
        }

        public override string ToString() => Kind + (ClientId != null ? " " + ClientId : "");
    }

    /// <summary>
    /// Where Azure is: endpoints and audiences for Resource Manager, Microsoft Graph and Key Vault, the
    /// sign-in authority, and how to reach them. The same engine runs against public Azure, sovereign
    /// clouds, Azure Stack Hub and the local test fabric by changing only this object.
    /// </summary>
    public sealed class DrEnvironment
    {
        public string Name { get; set; } = "AzureCloud";
        public Uri ResourceManagerEndpoint { get; set; } = new Uri("https://management.azure.com/");
        /// <summary>The token audience for Resource Manager (the scope is audience + "/.default").</summary>
        public string ResourceManagerAudience { get; set; } = "https://management.core.windows.net/";
        public Uri GraphEndpoint { get; set; } = new Uri("https://graph.microsoft.com/");
        public string GraphAudience { get; set; } = "https://graph.microsoft.com";
        public Uri AuthorityHost { get; set; } = new Uri("https://login.microsoftonline.com/");
        /// <summary>The token audience for Azure SQL Database connections (Entra ID authentication).</summary>
        public string SqlDatabaseAudience { get; set; } = "https://database.windows.net/";
        /// <summary>Vault host suffix: a vault named v lives at https://v.{suffix}/.</summary>
        public string KeyVaultDnsSuffix { get; set; } = "vault.azure.net";
        /// <summary>Storage host suffix: an account named a has its blobs at https://a.blob.{suffix}/.</summary>
        public string StorageEndpointSuffix { get; set; } = "core.windows.net";
        public DrCredential Credential { get; set; } = DrCredential.Default();

        /// <summary>The api-versions this cloud serves; every Resource Manager and Key Vault call takes its version from here.</summary>
        public ApiProfile Profile { get; set; } = ApiProfile.Latest;

        /// <summary>Who signs in: Entra ID, or AD FS on a disconnected Azure Stack Hub (tenant "adfs", no instance discovery).</summary>
        public DrIdentityProvider IdentityProvider { get; set; } = DrIdentityProvider.EntraId;

        /// <summary>True while the sign-in authority, audiences and suffixes are still to be read from the Resource
        /// Manager endpoint's metadata (Azure Stack Hub); the run's Azure connection reads them before its first call.</summary>
        public bool DiscoverFromMetadata { get; set; }

        /// <summary>SHA-256 (hex) of a server certificate to accept in addition to the normal chain checks:
        /// for Azure Stack Hub endpoints with a private CA, or the local fabric. Never a blanket bypass.</summary>
        public string? PinnedCertificateSha256 { get; set; }

        /// <summary>A transport to use instead of the default (for example one that routes test host names to
        /// a loopback server). When set, it alone decides how connections are made and certificates checked.</summary>
        public HttpMessageHandler? Transport { get; set; }

        /// <summary>Transient failures (429, 5xx, resets, timeouts) retried per request before the call fails.</summary>
        public int MaxRetries { get; set; } = 6;

        /// <summary>Delay base for retries without a Retry-After; exponential with jitter.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Poll interval for long-running operations that do not say when to come back.</summary>
        public TimeSpan DefaultPollInterval { get; set; } = TimeSpan.FromSeconds(5);

        public static DrEnvironment AzureCloud() => new DrEnvironment();

        public static DrEnvironment AzureUSGovernment() => new DrEnvironment
        {
            Name = "AzureUSGovernment",
            ResourceManagerEndpoint = new Uri("https://management.usgovcloudapi.net/"),
            ResourceManagerAudience = "https://management.core.usgovcloudapi.net/",
            GraphEndpoint = new Uri("https://graph.microsoft.us/"),
            GraphAudience = "https://graph.microsoft.us",
            AuthorityHost = new Uri("https://login.microsoftonline.us/"),
            SqlDatabaseAudience = "https://database.usgovcloudapi.net/",
            KeyVaultDnsSuffix = "vault.usgovcloudapi.net",
            StorageEndpointSuffix = "core.usgovcloudapi.net",
        };

        public static DrEnvironment AzureChinaCloud() => new DrEnvironment
        {
            Name = "AzureChinaCloud",
            ResourceManagerEndpoint = new Uri("https://management.chinacloudapi.cn/"),
            ResourceManagerAudience = "https://management.core.chinacloudapi.cn/",
            GraphEndpoint = new Uri("https://microsoftgraph.chinacloudapi.cn/"),
            GraphAudience = "https://microsoftgraph.chinacloudapi.cn",
            AuthorityHost = new Uri("https://login.chinacloudapi.cn/"),
            SqlDatabaseAudience = "https://database.chinacloudapi.cn/",
            KeyVaultDnsSuffix = "vault.azure.cn",
            StorageEndpointSuffix = "core.chinacloudapi.cn",
        };

        /// <summary>
        /// What a cmdlet's sign-in parameters describe: a named cloud (AzureCloud, AzureUSGovernment,
        /// AzureChinaCloud), optionally another Resource Manager endpoint (Azure Stack Hub), optionally one more
        /// trusted certificate, and how to sign in.
        /// </summary>
        public static DrEnvironment Create(string cloud, Uri? resourceManagerEndpoint, string? pinnedCertificateSha256, DrCredential credential) =>
            Create(cloud, resourceManagerEndpoint, pinnedCertificateSha256, credential, null);

        /// <summary>
        /// As above, with an API profile. A hybrid profile (<c>2020-09-01-hybrid</c>, <c>2019-03-01-hybrid</c>) describes
        /// Azure Stack Hub: it needs the stamp's Resource Manager endpoint, whose metadata gives the sign-in authority
        /// (Entra ID or AD FS) and audience; the storage and Key Vault suffixes follow from its host name.
        /// </summary>
        public static DrEnvironment Create(string cloud, Uri? resourceManagerEndpoint, string? pinnedCertificateSha256, DrCredential credential, string? apiProfile)
        {
            var profile = apiProfile == null ? ApiProfile.Latest : ApiProfile.Find(apiProfile);
            if (profile != ApiProfile.Latest)
            {
                if (resourceManagerEndpoint == null)
                    throw DrException.Precondition("AzureStackHubNeedsEndpoint", DrErrorCategory.InvalidArgument,
                        $"The {profile.Name} API profile is Azure Stack Hub's: give the stamp's Resource Manager endpoint with -ResourceManagerEndpoint (for example https://management.local.azurestack.external/).", profile.Name);
                var stack = AzureStackHub(resourceManagerEndpoint, profile);
                stack.PinnedCertificateSha256 = pinnedCertificateSha256;
                stack.Credential = credential ?? throw new ArgumentNullException(nameof(credential));
                return stack;
            }
            var environment = cloud switch
            {
                "AzureCloud" => AzureCloud(),
                "AzureUSGovernment" => AzureUSGovernment(),
                "AzureChinaCloud" => AzureChinaCloud(),
                _ => throw DrException.Precondition("UnknownEnvironment", DrErrorCategory.InvalidArgument,
                    $"'{cloud}' is not a cloud this module knows; use AzureCloud, AzureUSGovernment or AzureChinaCloud, with -ResourceManagerEndpoint for Azure Stack Hub.", cloud),
            };
            if (resourceManagerEndpoint != null)
            {
                environment.Name = "Custom";
                environment.ResourceManagerEndpoint = resourceManagerEndpoint;
            }
            environment.PinnedCertificateSha256 = pinnedCertificateSha256;
            environment.Credential = credential ?? throw new ArgumentNullException(nameof(credential));
            return environment;
        }

        public Uri VaultUri(string vaultName) => new Uri("https://" + vaultName + "." + KeyVaultDnsSuffix + "/");

        /// <summary>
        /// An Azure Stack Hub stamp known by its Resource Manager endpoint (https://management.{region}.{fqdn}/). As the
        /// Az modules do, the storage suffix is the endpoint's host without its first label ({region}.{fqdn}) and the Key
        /// Vault suffix is vault.{region}.{fqdn}; the sign-in authority and audience are read from the endpoint's
        /// metadata (<see cref="DiscoverFromMetadata"/>) when the run first connects.
        /// </summary>
        public static DrEnvironment AzureStackHub(Uri resourceManagerEndpoint, ApiProfile profile)
        {
            if (resourceManagerEndpoint == null) throw new ArgumentNullException(nameof(resourceManagerEndpoint));
            if (!resourceManagerEndpoint.IsAbsoluteUri || resourceManagerEndpoint.Scheme != Uri.UriSchemeHttps)
                throw DrException.Precondition("InvalidResourceManagerEndpoint", DrErrorCategory.InvalidArgument,
                    $"'{resourceManagerEndpoint}' is not an https Resource Manager endpoint.", resourceManagerEndpoint.ToString());
            var host = resourceManagerEndpoint.Host;
            var dot = host.IndexOf('.');
            if (dot <= 0 || dot == host.Length - 1)
                throw DrException.Precondition("InvalidResourceManagerEndpoint", DrErrorCategory.InvalidArgument,
                    $"'{resourceManagerEndpoint}' does not look like an Azure Stack Hub Resource Manager endpoint (management.<region>.<domain>).", resourceManagerEndpoint.ToString());
            var domain = host.Substring(dot + 1);
            return new DrEnvironment
            {
                Name = "AzureStackHub",
                ResourceManagerEndpoint = resourceManagerEndpoint,
                StorageEndpointSuffix = domain,
                KeyVaultDnsSuffix = "vault." + domain,
                Profile = profile ?? throw new ArgumentNullException(nameof(profile)),
                DiscoverFromMetadata = true,
            };
        }
    }

    /// <summary>The sign-in service of a cloud.</summary>
    public enum DrIdentityProvider
    {
        /// <summary>Microsoft Entra ID (public Azure, sovereign clouds, connected Azure Stack Hub).</summary>
        EntraId,
        /// <summary>Active Directory Federation Services (disconnected Azure Stack Hub).</summary>
        Adfs,
    }
}
