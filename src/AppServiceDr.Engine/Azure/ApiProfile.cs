using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>
    /// One Resource Manager API the engine calls: a resource provider namespace and the resource type it is
    /// versioned by. Callers name the API; the run's <see cref="ApiProfile"/> says which api-version it is sent with,
    /// so no client pins a version of its own.
    /// </summary>
    public sealed class ArmApi : IEquatable<ArmApi>
    {
        private ArmApi(string providerNamespace, string resourceType)
        {
            Namespace = providerNamespace;
            ResourceType = resourceType;
        }

        public string Namespace { get; }
        public string ResourceType { get; }

        public static readonly ArmApi StorageAccounts = new ArmApi("Microsoft.Storage", "storageAccounts");
        public static readonly ArmApi Sites = new ArmApi("Microsoft.Web", "sites");
        public static readonly ArmApi SqlServers = new ArmApi("Microsoft.Sql", "servers");
        public static readonly ArmApi ResourceGroups = new ArmApi("Microsoft.Resources", "resourceGroups");
        public static readonly ArmApi Deployments = new ArmApi("Microsoft.Resources", "deployments");
        public static readonly ArmApi Locations = new ArmApi("Microsoft.Resources", "subscriptions/locations");
        public static readonly ArmApi DnsZones = new ArmApi("Microsoft.Network", "dnsZones");
        public static readonly ArmApi TrafficManagerProfiles = new ArmApi("Microsoft.Network", "trafficManagerProfiles");
        public static readonly ArmApi Resources = new ArmApi("Microsoft.Resources", "resources");
        public static readonly ArmApi KeyVaults = new ArmApi("Microsoft.KeyVault", "vaults");
        public static readonly ArmApi ActionGroups = new ArmApi("Microsoft.Insights", "actionGroups");
        public static readonly ArmApi MetricAlerts = new ArmApi("Microsoft.Insights", "metricAlerts");
        public static readonly ArmApi ActivityLogAlerts = new ArmApi("Microsoft.Insights", "activityLogAlerts");
        public static readonly ArmApi ResourceHealth = new ArmApi("Microsoft.ResourceHealth", "availabilityStatuses");

        public bool Equals(ArmApi? other) =>
            other != null && string.Equals(Namespace, other.Namespace, StringComparison.OrdinalIgnoreCase)
            && string.Equals(ResourceType, other.ResourceType, StringComparison.OrdinalIgnoreCase);

        public override bool Equals(object? obj) => Equals(obj as ArmApi);

        public override int GetHashCode() =>
            StringComparer.OrdinalIgnoreCase.GetHashCode(Namespace) ^ StringComparer.OrdinalIgnoreCase.GetHashCode(ResourceType);

        public override string ToString() => Namespace + "/" + ResourceType;
    }

    /// <summary>
    /// The api-versions one cloud serves, as one named set: <c>latest</c> for public Azure and the sovereign clouds,
    /// and the Azure Stack Hub profiles (<c>2020-09-01-hybrid</c>, <c>2019-03-01-hybrid</c>) from "Resource provider API
    /// versions supported by profiles in Azure Stack Hub". An API the profile does not list is one the cloud does not
    /// serve: asking for it fails with <c>ApiVersionNotInProfile</c> before anything is sent.
    /// </summary>
    public sealed class ApiProfile
    {
        private readonly IReadOnlyDictionary<ArmApi, string> _versions;

        private ApiProfile(string name, IReadOnlyDictionary<ArmApi, string> versions, string? keyVaultDataPlane, string? keyVaultNote)
        {
            Name = name;
            _versions = versions;
            KeyVaultDataPlaneVersion = keyVaultDataPlane;
            _keyVaultNote = keyVaultNote;
        }

        private readonly string? _keyVaultNote;

        public string Name { get; }

        /// <summary>The Key Vault data-plane version the secret clients send; null means the client library's default
        /// (public Azure serves every version the library knows).</summary>
        public string? KeyVaultDataPlaneVersion { get; }

        /// <summary>Whether the Key Vault data plane can be reached with this profile.</summary>
        public bool ServesKeyVault => _keyVaultNote == null;

        /// <summary>Every API this profile lists, with its version.</summary>
        public IReadOnlyDictionary<ArmApi, string> Versions => _versions;

        /// <summary>The api-version <paramref name="api"/> is sent with; ApiVersionNotInProfile when the profile does not
        /// list it (the cloud does not serve it), raised before any request is sent.</summary>
        public string VersionOf(ArmApi api) =>
            _versions.TryGetValue(api, out var version) ? version
            : throw DrException.Precondition("ApiVersionNotInProfile", DrErrorCategory.InvalidOperation,
                $"The {Name} API profile has no api-version for {api}: this cloud does not serve it, so nothing was sent. " +
                "Run this recovery against a cloud that has the service, or choose the profile the cloud supports with -ApiProfile.", api.ToString());

        /// <summary>Throws ApiVersionNotInProfile when the Key Vault data plane cannot be reached with this profile.</summary>
        public void RequireKeyVault(string vault)
        {
            if (_keyVaultNote != null)
                throw DrException.Precondition("ApiVersionNotInProfile", DrErrorCategory.InvalidOperation,
                    $"The {Name} API profile names Key Vault data-plane version {_keyVaultNote}, which this module's Key Vault client cannot send; nothing was sent to vault '{vault}'. " +
                    "Use -ApiProfile 2020-09-01-hybrid on an Azure Stack Hub update that serves it.", vault);
        }

        /// <summary>The newest versions the engine was built against: public Azure and the sovereign clouds.</summary>
        public static ApiProfile Latest { get; } = new ApiProfile("latest", new Dictionary<ArmApi, string>
        {
            [ArmApi.StorageAccounts] = "2024-01-01",
            [ArmApi.Sites] = "2024-04-01",
            [ArmApi.SqlServers] = "2023-08-01",
            [ArmApi.ResourceGroups] = "2022-09-01",
            [ArmApi.Deployments] = "2022-09-01",
            [ArmApi.Locations] = "2022-09-01",
            [ArmApi.DnsZones] = "2018-05-01",
            [ArmApi.TrafficManagerProfiles] = "2022-04-01",
            [ArmApi.Resources] = "2021-04-01",
            [ArmApi.KeyVaults] = "2025-05-01",
            [ArmApi.ActionGroups] = "2022-06-01",
            [ArmApi.MetricAlerts] = "2018-03-01",
            [ArmApi.ActivityLogAlerts] = "2020-10-01",
            [ArmApi.ResourceHealth] = "2025-05-01",
        }, null, null);

        /// <summary>
        /// Azure Stack Hub's 2020-09-01-hybrid profile: Microsoft.Storage 2019-06-01, Microsoft.Web 2018-02-01,
        /// Microsoft.Resources 2019-10-01 (subscription locations 2016-06-01), DNS zones 2016-04-01. Azure SQL Database
        /// and Traffic Manager are not part of Azure Stack Hub. The profile names Key Vault data-plane 2016-10-01; Azure
        /// Stack Hub updates since accept the data-plane versions up to 7.1, and 7.0 is the oldest this module's client
        /// sends, so that is the one used.
        /// </summary>
        public static ApiProfile Hybrid20200901 { get; } = new ApiProfile("2020-09-01-hybrid", new Dictionary<ArmApi, string>
        {
            [ArmApi.StorageAccounts] = "2019-06-01",
            [ArmApi.Sites] = "2018-02-01",
            [ArmApi.ResourceGroups] = "2019-10-01",
            [ArmApi.Deployments] = "2019-10-01",
            [ArmApi.Locations] = "2016-06-01",
            [ArmApi.DnsZones] = "2016-04-01",
        }, "7.0", null);

        /// <summary>Azure Stack Hub's 2019-03-01-hybrid profile: Microsoft.Storage 2017-10-01, Microsoft.Web 2018-02-01,
        /// Microsoft.Resources 2018-05-01 (subscription locations 2016-06-01), DNS zones 2016-04-01, and Key Vault
        /// data-plane 2016-10-01, which this module's Key Vault client cannot send.</summary>
        public static ApiProfile Hybrid20190301 { get; } = new ApiProfile("2019-03-01-hybrid", new Dictionary<ArmApi, string>
        {
            [ArmApi.StorageAccounts] = "2017-10-01",
            [ArmApi.Sites] = "2018-02-01",
            [ArmApi.ResourceGroups] = "2018-05-01",
            [ArmApi.Deployments] = "2018-05-01",
            [ArmApi.Locations] = "2016-06-01",
            [ArmApi.DnsZones] = "2016-04-01",
        }, null, "2016-10-01");

        public static IReadOnlyList<ApiProfile> All { get; } = new[] { Latest, Hybrid20200901, Hybrid20190301 };

        /// <summary>The profile of that name (case-insensitive); UnknownApiProfile otherwise.</summary>
        public static ApiProfile Find(string name) =>
            All.FirstOrDefault(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw DrException.Precondition("UnknownApiProfile", DrErrorCategory.InvalidArgument,
                $"'{name}' is not an API profile this module knows; use one of {string.Join(", ", All.Select(p => p.Name))}.", name);

        public override string ToString() => Name;
    }
}
