using System;

namespace AppServiceDr
{
    /// <summary>Set-StorageRedundancy: a storage account's replication after the run.</summary>
    public sealed class StorageRedundancyResult
    {
        public string StorageAccountName { get; set; } = "";
        public SetupAction Action { get; set; }
        /// <summary>The sku before the run (Standard_GRS, Standard_RAGRS, ...).</summary>
        public string PreviousSkuName { get; set; } = "";
        public string SkuName { get; set; } = "";
        public string? PrimaryLocation { get; set; }
        public string? SecondaryLocation { get; set; }
        /// <summary>With read access (RA-): the secondary's blob endpoint, readable while the primary is down.</summary>
        public string? SecondaryBlobEndpoint { get; set; }
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
