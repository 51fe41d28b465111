using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Fabric.Core;

/// <summary>One mutating request the fabric answered (or refused, or dropped).</summary>
public sealed record LoggedOperation(
    DateTimeOffset Time,
    string Method,
    string Host,
    string Path,
    int Status,
    string? Fault,
    string? TokenAudience)
{
    /// <summary>True when the request reached the service and was accepted (2xx).</summary>
    public bool Succeeded => Status >= 200 && Status < 300 && Fault == null;
}

/// <summary>Every mutating request in order, so tests can assert "nothing changed" and "applied once".</summary>
public sealed class OperationLog
{
    private readonly object _sync = new object();
    private readonly List<LoggedOperation> _entries = new List<LoggedOperation>();

    public IReadOnlyList<LoggedOperation> Entries
    {
        get
        {
            lock (_sync)
            {
                return _entries.ToList();
            }
        }
    }

    /// <summary>Successful mutations whose method matches and whose path contains <paramref name="pathPart"/>.</summary>
    public int CountSucceeded(string method, string pathPart) =>
        Entries.Count(e => e.Succeeded
                           && string.Equals(e.Method, method, StringComparison.OrdinalIgnoreCase)
                           && e.Path.IndexOf(pathPart, StringComparison.OrdinalIgnoreCase) >= 0);

    public void Clear()
    {
        lock (_sync)
        {
            _entries.Clear();
        }
    }

    internal void Add(LoggedOperation entry)
    {
        lock (_sync)
        {
            _entries.Add(entry);
        }
    }

    /// <summary>Whether a request changes state: anything but reads and the POST actions that only read.</summary>
    internal static bool IsMutating(string method, string path)
    {
        if (method == "GET" || method == "HEAD" || method == "OPTIONS")
        {
            return false;
        }
        if (method == "POST")
        {
            var last = path.TrimEnd('/');
            last = last.Substring(last.LastIndexOf('/') + 1);
            return !(last.Equals("list", StringComparison.OrdinalIgnoreCase)
                     || last.Equals("listKeys", StringComparison.OrdinalIgnoreCase)
                     || last.Equals("backup", StringComparison.OrdinalIgnoreCase)
                     || last.Equals("token", StringComparison.OrdinalIgnoreCase));
        }
        return true;
    }
}
