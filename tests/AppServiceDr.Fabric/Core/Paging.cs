using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Core;

/// <summary>{"value":[...],"nextLink":...} pages honouring maxresults and an offset $skiptoken.</summary>
public static class Paging
{
    public static JsonObject Page(FabricRequest request, IReadOnlyList<JsonNode> items, int defaultPageSize = 25)
    {
        var size = int.TryParse(request.Query("maxresults"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) && max > 0
            ? max
            : defaultPageSize;
        var skip = int.TryParse(request.Query("$skiptoken"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 0;
        var page = new JsonArray(items.Skip(skip).Take(size).Select(i => (JsonNode?)i).ToArray());
        string? next = null;
        if (skip + size < items.Count)
        {
            next = $"{request.BaseUri}{request.Path}?api-version={Uri.EscapeDataString(request.Query("api-version") ?? string.Empty)}" +
                   $"&$skiptoken={skip + size}&maxresults={size}";
        }
        return new JsonObject { ["value"] = page, ["nextLink"] = next };
    }
}
