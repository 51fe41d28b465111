using System;

namespace AppServiceDr
{
    /// <summary>
    /// The emergency record of seed 004: the names of what makes up the app, kept outside Azure so that a recovery
    /// can start when the portal cannot be reached. Its properties are named as the recovery cmdlets' parameters,
    /// so the record pipes into them by property name. It never holds a secret: connection strings, keys and the query
    /// of a package URL (a SAS) are left out.
    /// </summary>
    public sealed class DrInventory
    {
        /// <summary>The record's format version.</summary>
        public int FormatVersion { get; set; } = 1;
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        /// <summary>The region the app runs in.</summary>
        public string? PrimaryLocation { get; set; }
        /// <summary>The region to recover into: the failover group partner's, else the primary's pair.</summary>
        public string? SecondaryLocation { get; set; }
        public string? ServerName { get; set; }
        public string? DatabaseName { get; set; }
        public string? FailoverGroupName { get; set; }
        public string? PartnerServerName { get; set; }
        public string? PartnerResourceGroupName { get; set; }
        public string? StorageAccountName { get; set; }
        public string? StorageSkuName { get; set; }
        public string? VaultName { get; set; }
        public Uri? VaultUri { get; set; }
        public bool? VaultSoftDeleteEnabled { get; set; }
        public bool? VaultPurgeProtectionEnabled { get; set; }
        public string? WebAppName { get; set; }
        /// <summary>The app's default host name.</summary>
        public string? WebAppHostName { get; set; }
        /// <summary>Another app of the record's Traffic Manager profile (the standby in the other region).</summary>
        public string? SecondaryWebAppName { get; set; }
        public string? SecondaryResourceGroupName { get; set; }
        public string? TrafficManagerProfileName { get; set; }
        public string? DnsZoneName { get; set; }
        /// <summary>The template the resource group was deployed from (query left out).</summary>
        public Uri? TemplateUri { get; set; }
        /// <summary>WEBSITE_RUN_FROM_PACKAGE when the record was made, without its query (a SAS is a secret).</summary>
        public string? PackageUrl { get; set; }
        /// <summary>The release in the package's file name (1.33.0), for a rollback by -Version.</summary>
        public string? PackageVersion { get; set; }
        /// <summary>The Entra ID app registration of the single-page front end.</summary>
        public string? SpaApplicationId { get; set; }
        /// <summary>The Entra ID app registration of the API.</summary>
        public string? WebApplicationId { get; set; }
        public DateTimeOffset ExportedAt { get; set; }
        /// <summary>SHA-256 of the record's content: an import refuses a record that was changed after it was written.</summary>
        public string Checksum { get; set; } = "";
        /// <summary>The file the record was read from or written to.</summary>
        public string? Path { get; set; }
        /// <summary>The Export-DrInventory run that wrote it, for Get-DrRun and Export-DrReport; not part of the record.</summary>
        public string? RunId { get; set; }
    }
}
