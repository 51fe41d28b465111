using System;
using System.Collections.Concurrent;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>One metadata view per edition, opened once and shared by every test.</summary>
public static class Packaged
{
    private static readonly ConcurrentDictionary<string, Lazy<ModuleMetadata>> Opened =
        new ConcurrentDictionary<string, Lazy<ModuleMetadata>>(StringComparer.Ordinal);

    public static ModuleMetadata Edition(string edition) =>
        Opened.GetOrAdd(edition, e => new Lazy<ModuleMetadata>(() => ModuleMetadata.Open(e))).Value;

    public static TheoryData<string> Editions()
    {
        var data = new TheoryData<string>();
        foreach (var edition in Repo.Editions)
        {
            data.Add(edition);
        }
        return data;
    }
}
