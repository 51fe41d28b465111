using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// One request the fabric answered (or refused, or dropped: status 0). <see cref="Body"/> is the request body
/// exactly as sent, kept for Resource Manager mutations only (so a test can check the value a client wrote);
/// Key Vault, Graph and token requests never keep theirs.
/// </summary>
public sealed record LoggedOperation(
    DateTimeOffset Time,
    string Method,
    string Host,
    string Path,
    int Status,
    string? Fault,
    string? TokenAudience,
    string? Body = null)
{
    /// <summary>True when the service accepted the request (2xx), whether or not the client saw the answer.</summary>
    public bool Succeeded => Status >= 200 && Status < 300;
}

/// <summary>
/// Every mutating request in order, so tests can assert "nothing changed" and "applied once"; and
/// every request of any kind, so tests can count polls.
/// </summary>
public sealed class OperationLog
{
    private readonly object _sync = new object();
    private readonly List<LoggedOperation> _entries = new List<LoggedOperation>();
    private readonly List<LoggedOperation> _requests = new List<LoggedOperation>();

    /// <summary>All requests (reads included), admin requests excepted.</summary>
    public IReadOnlyList<LoggedOperation> Requests
    {
        get
        {
            lock (_sync)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>Requests of any kind whose method matches and whose path contains <paramref name="pathPart"/>.</summary>
    public int CountRequests(string method, string pathPart) =>
        Requests.Count(e => string.Equals(e.Method, method, StringComparison.OrdinalIgnoreCase)
                            && e.Path.IndexOf(pathPart, StringComparison.OrdinalIgnoreCase) >= 0);

    /// <summary>Mutating requests only.</summary>
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
            _requests.Clear();
        }
    }

    internal void Add(LoggedOperation entry, bool mutating)
    {
        lock (_sync)
        {
            _requests.Add(entry);
            if (mutating)
            {
                _entries.Add(entry);
            }
        }
    }

    /// <summary>Whether a request changes state: anything but reads and the POST actions that only read (a deployment's validate and whatIf
    /// included: they evaluate the template and change nothing).</summary>
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
                     || last.Equals("validate", StringComparison.OrdinalIgnoreCase)
                     || last.Equals("whatIf", StringComparison.OrdinalIgnoreCase)
                     || last.Equals("token", StringComparison.OrdinalIgnoreCase)
                     || last.StartsWith("checkTrafficManagerNameAvailability", StringComparison.OrdinalIgnoreCase));
        }
        return true;
    }
}
