using System.Collections.Generic;

namespace AppServiceDr.Fabric.Core;

/// <summary>Azure's region pairs (the subset the runbooks' examples use), for geo-redundant defaults.</summary>
public static class Regions
{
    /// <summary>Display names of the regions the fabric knows, by normalized name.</summary>
    public static readonly IReadOnlyDictionary<string, string> DisplayNames = new Dictionary<string, string>
    {
        ["westus"] = "West US",
        ["eastus"] = "East US",
        ["eastus2"] = "East US 2",
        ["centralus"] = "Central US",
        ["westus2"] = "West US 2",
        ["westcentralus"] = "West Central US",
        ["northeurope"] = "North Europe",
        ["westeurope"] = "West Europe",
        ["southeastasia"] = "Southeast Asia",
        ["eastasia"] = "East Asia",
        ["japaneast"] = "Japan East",
        ["japanwest"] = "Japan West",
        ["uksouth"] = "UK South",
        ["ukwest"] = "UK West",
    };

    private static readonly Dictionary<string, string> Pairs = new Dictionary<string, string>
    {
        ["westus"] = "eastus",
        ["eastus"] = "westus",
        ["eastus2"] = "centralus",
        ["centralus"] = "eastus2",
        ["westus2"] = "westcentralus",
        ["westcentralus"] = "westus2",
        ["northeurope"] = "westeurope",
        ["westeurope"] = "northeurope",
        ["southeastasia"] = "eastasia",
        ["eastasia"] = "southeastasia",
        ["japaneast"] = "japanwest",
        ["japanwest"] = "japaneast",
        ["uksouth"] = "ukwest",
        ["ukwest"] = "uksouth",
    };

    /// <summary>The paired region, or the region itself when no pair is known.</summary>
    public static string Paired(string region)
    {
        var normalized = ArmStore.NormalizeRegion(region);
        return Pairs.TryGetValue(normalized, out var pair) ? pair : normalized;
    }
}
