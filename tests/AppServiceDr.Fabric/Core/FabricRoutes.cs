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

    internal string? Region(FabricService service, string serviceName, string path) =>
        _regions.TryGetValue(service, out var resolve) ? resolve(serviceName, path) : null;
}

/// <summary>One modelled service area (Key Vault, Microsoft.Sql, ...).</summary>
public interface IFabricProvider
{
    void Register(FabricState state, FabricRoutes routes);
}
