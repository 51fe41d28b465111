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

/// <summary>One modelled service area (Key Vault, Microsoft.Sql, ...).</summary>
public interface IFabricProvider
{
    void Register(FabricState state, FabricRoutes routes);
}
