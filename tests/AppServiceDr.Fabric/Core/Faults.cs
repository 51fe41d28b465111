using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace AppServiceDr.Fabric.Core;

/// <summary>What an injected fault does to a matching request.</summary>
public enum FaultKind
{
    /// <summary>429 TooManyRequests with Retry-After.</summary>
    Throttle,
    /// <summary>500 InternalServerError.</summary>
    InternalError,
    /// <summary>503 ServiceUnavailable with Retry-After.</summary>
    Unavailable,
    /// <summary>403 AuthorizationFailed: the caller lacks permission for this operation.</summary>
    Forbidden,
    /// <summary>The connection is aborted before the request is processed: nothing changes.</summary>
    ConnectionReset,
    /// <summary>
    /// The request is processed (its change is applied) and then the connection is aborted, so the
    /// client never sees the answer: the case that tests idempotent retries and resumption.
    /// </summary>
    ResetAfterProcessing,
    /// <summary>The request is answered normally after a delay.</summary>
    Latency,
}

/// <summary>
/// A fault for the next <see cref="Count"/> requests whose method matches (null: any) and whose path
/// matches <see cref="PathPattern"/> (a regular expression, case-insensitive, searched in the path).
/// </summary>
public sealed class FaultRule
{
    public string? Method { get; set; }

    public string PathPattern { get; set; } = ".*";

    public FaultKind Kind { get; set; }

    /// <summary>How many requests it hits; a negative count means every matching request.</summary>
    public int Count { get; set; } = 1;

    public int RetryAfterSeconds { get; set; } = 1;

    public int LatencyMs { get; set; }

    internal bool Matches(string method, string path) =>
        (Method == null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && Regex.IsMatch(path, PathPattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

/// <summary>Makes the next <see cref="Count"/> long-running operations started by matching requests end differently.</summary>
public sealed class OperationFaultRule
{
    public string? Method { get; set; }

    public string PathPattern { get; set; } = ".*";

    public OperationOutcome Outcome { get; set; } = OperationOutcome.Failed;

    public int Count { get; set; } = 1;

    public string Code { get; set; } = "InternalServerError";

    public string Message { get; set; } = "The operation failed.";

    internal bool Matches(string method, string path) =>
        (Method == null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && Regex.IsMatch(path, PathPattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

/// <summary>The one fault injector: request faults, operation outcomes and region outages.</summary>
public sealed class FaultInjector
{
    private readonly object _sync = new object();
    private readonly List<FaultRule> _rules = new List<FaultRule>();
    private readonly List<OperationFaultRule> _operationRules = new List<OperationFaultRule>();
    private readonly HashSet<string> _downRegions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds a request fault; <see cref="ArgumentException"/> when its path pattern is not a regular expression.</summary>
    public void Add(FaultRule rule)
    {
        Validate(rule.PathPattern);
        lock (_sync)
        {
            _rules.Add(rule);
        }
    }

    /// <summary>Adds an operation fault; <see cref="ArgumentException"/> when its path pattern is not a regular expression.</summary>
    public void AddOperationFault(OperationFaultRule rule)
    {
        Validate(rule.PathPattern);
        lock (_sync)
        {
            _operationRules.Add(rule);
        }
    }

    private static void Validate(string pattern)
    {
        try
        {
            _ = Regex.Match(string.Empty, pattern);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The path pattern '{pattern}' is not a valid regular expression: {e.Message}", nameof(pattern), e);
        }
    }

    /// <summary>Removes every rule and ends every outage.</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _rules.Clear();
            _operationRules.Clear();
            _downRegions.Clear();
        }
    }

    public void SetRegionOutage(string region, bool down)
    {
        lock (_sync)
        {
            if (down)
            {
                _downRegions.Add(ArmStore.NormalizeRegion(region));
            }
            else
            {
                _downRegions.Remove(ArmStore.NormalizeRegion(region));
            }
        }
    }

    public bool IsRegionDown(string? region)
    {
        if (region == null)
        {
            return false;
        }
        lock (_sync)
        {
            return _downRegions.Contains(ArmStore.NormalizeRegion(region));
        }
    }

    public IReadOnlyList<string> DownRegions
    {
        get
        {
            lock (_sync)
            {
                return _downRegions.OrderBy(r => r, StringComparer.Ordinal).ToList();
            }
        }
    }

    /// <summary>The first rule hitting this request, consuming one of its count.</summary>
    internal FaultRule? Take(string method, string path) => Consume(_rules, r => r.Matches(method, path), r => r.Count, (r, c) => r.Count = c);

    internal OperationFaultRule? TakeOperationFault(string method, string path) =>
        Consume(_operationRules, r => r.Matches(method, path), r => r.Count, (r, c) => r.Count = c);

    private T? Consume<T>(List<T> rules, Func<T, bool> matches, Func<T, int> count, Action<T, int> setCount)
        where T : class
    {
        lock (_sync)
        {
            var rule = rules.FirstOrDefault(matches);
            if (rule == null)
            {
                return null;
            }
            var left = count(rule);
            if (left > 0)
            {
                setCount(rule, left - 1);
                if (left == 1)
                {
                    rules.Remove(rule);
                }
            }
            return rule;
        }
    }
}
