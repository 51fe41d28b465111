using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// Method + path-template routing for one service. Templates use {name} for one path segment;
/// matching is case-insensitive (ARM paths are) and tolerates a trailing slash.
/// </summary>
public sealed class Router
{
    private readonly List<(string Method, Regex Pattern, Func<FabricRequest, FabricResult> Handler)> _routes =
        new List<(string, Regex, Func<FabricRequest, FabricResult>)>();

    public void Map(string method, string template, Func<FabricRequest, FabricResult> handler)
    {
        var pattern = "^" + Regex.Replace(Regex.Escape(template).Replace(@"\{", "{"), "{([A-Za-z]+)}", "(?<$1>[^/]+)") + "/?$";
        _routes.Add((method, new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant), handler));
    }

    private Func<FabricRequest, FabricResult>? _fallback;

    /// <summary>Answers every request no template matches (a site host serves any path).</summary>
    public void MapFallback(Func<FabricRequest, FabricResult> handler) => _fallback = handler;

    /// <summary>Finds the handler; a path that matches with another method yields 405.</summary>
    public (Func<FabricRequest, FabricResult>? Handler, Match? Match, bool PathKnown) Find(string method, string path)
    {
        var pathKnown = false;
        foreach (var route in _routes)
        {
            var match = route.Pattern.Match(path);
            if (!match.Success)
            {
                continue;
            }
            pathKnown = true;
            if (string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                return (route.Handler, match, true);
            }
        }
        if (!pathKnown && _fallback != null)
        {
            return (_fallback, Match.Empty, true);
        }
        return (null, null, pathKnown);
    }
}
