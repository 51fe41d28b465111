using System.Collections.Generic;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric;

/// <summary>The standard set of modelled services.</summary>
public static class Providers
{
    public static IEnumerable<IFabricProvider> All() => new IFabricProvider[]
    {
        new Resources.ResourceGroupsProvider(),
        new Resources.DeploymentsProvider(),
        new KeyVault.KeyVaultProvider(),
        new Sql.SqlProvider(),
        new Web.WebProvider(),
        new Storage.StorageProvider(),
        new Graph.GraphProvider(),
        new Network.TrafficManagerProvider(),
        new Network.DnsProvider(),
        new Login.LoginProvider(),
        new Monitor.MonitorProvider(),
        new Health.ResourceHealthProvider(),
        new KeyVault.VaultManagementProvider(),
        new Resources.ResourceListProvider(),
    };
}
