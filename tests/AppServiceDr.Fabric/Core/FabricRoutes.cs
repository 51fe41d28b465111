using System;
using System.Collections.Generic;

namespace AppServiceDr.Fabric.Core;

/// <summary>The routing tables providers add to, one per service, plus how to find a request's region.</summary>
public sealed class FabricRoutes
{
    private readonly Dictionary<FabricService, Router> _routers = new Dictionary<FabricService, Router>();
    private readonly Dictionary<FabricService, Func<string, string, string?>> _regions =
        new Dictionary<FabricService, Func<string, string, string?>>();

    public Router For(FabricService service)
    {
        if (!_routers.TryGetValue(service, out var router))
        {
            router = new Router();
            _routers[service] = router;
        }
        return router;
    }

    public Router Arm => For(FabricService.Arm);

    /// <summary>Providers that can create resources from a template deployment.</summary>
    public List<IResourceDeployer> Deployers { get; } = new List<IResourceDeployer>();

    /// <summary>Admin endpoints under https://management.{suffix}/_fabric/.</summary>
    public Router Admin { get; } = new Router();

    /// <summary>Tells the region a request on <paramref name="service"/> concerns: (service name, path) -> region.</summary>
    public void RegionOf(FabricService service, Func<string, string, string?> resolver) => _regions[service] = resolver;

    private readonly List<Func<string, (bool Decided, string? Region)>> _armRegionRules = new List<Func<string, (bool, string?)>>();

    /// <summary>
    /// Lets a provider decide the region of some ARM paths before the default (the region of the
    /// deepest resource on the path): e.g. geo-backups that stay listable during an outage.
    /// </summary>
    public void ArmRegionRule(Func<string, (bool Decided, string? Region)> rule) => _armRegionRules.Add(rule);

    internal string? Region(FabricService service, string serviceName, string path)
    {
        if (service == FabricService.Arm)
        {
            foreach (var rule in _armRegionRules)
            {
                var (decided, region) = rule(path);
                if (decided)
                {
                    return region;
                }
            }
        }
        return _regions.TryGetValue(service, out var resolve) ? resolve(serviceName, path) : null;
    }
}

/// <summary>One resource of a template deployment, its expressions already evaluated.</summary>
public sealed record DeploymentTarget(string Subscription, string ResourceGroup, string Type, string Name, string Location, System.Text.Json.Nodes.JsonObject Definition)
{
    /// <summary>The resource id: type segments interleaved with name segments (servers/a/databases/b).</summary>
    public string Id
    {
        get
        {
            var types = Type.Split('/');
            var names = Name.Split('/');
            var path = $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/{types[0]}";
            for (var i = 1; i < types.Length; i++)
            {
                path += "/" + types[i] + "/" + (i - 1 < names.Length ? names[i - 1] : string.Empty);
            }
            return path;
        }
    }
}

/// <summary>A provider able to create some resource types when a deployment runs.</summary>
public interface IResourceDeployer
{
    bool CanDeploy(string type);

    /// <summary>Creates or updates the resource in its final state; throws <see cref="FabricError"/> when it cannot.</summary>
    void Deploy(FabricState state, DeploymentTarget target);
}

/// <summary>One modelled service area (Key Vault, Microsoft.Sql, ...).</summary>
public interface IFabricProvider
{
    void Register(FabricState state, FabricRoutes routes);
}
