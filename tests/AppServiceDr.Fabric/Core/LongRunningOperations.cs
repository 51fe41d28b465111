using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AppServiceDr.Fabric.Core;

/// <summary>How a long-running operation ends.</summary>
public enum OperationOutcome
{
    Succeeded,
    Failed,
    /// <summary>Stays InProgress forever.</summary>
    NeverCompletes,
}

/// <summary>A timed state change: an ARM long-running operation, or an internal transition.</summary>
public sealed class LongRunningOperation
{
    internal LongRunningOperation(string id, DateTimeOffset started, DateTimeOffset due, OperationOutcome outcome)
    {
        Id = id;
        StartTime = started;
        DueTime = due;
        Outcome = outcome;
    }

    public string Id { get; }

    public string Namespace { get; internal set; } = "Microsoft.Resources";

    public string Location { get; internal set; } = "global";

    public DateTimeOffset StartTime { get; }

    public DateTimeOffset DueTime { get; }

    public DateTimeOffset? EndTime { get; private set; }

    public OperationOutcome Outcome { get; }

    /// <summary>InProgress, Succeeded or Failed (ARM's status strings).</summary>
    public string Status { get; private set; } = "InProgress";

    public string FailureCode { get; internal set; } = "InternalServerError";

    public string FailureMessage { get; internal set; } = "The operation failed.";

    internal Action? OnSucceeded { get; set; }

    internal Action? OnFailed { get; set; }

    /// <summary>Body the Location URL answers with once succeeded (null: 204 would be wrong, ARM sends 200 with the resource or 204 with none).</summary>
    internal Func<JsonNode?>? Result { get; set; }

    /// <summary>Checked when the operation would succeed; an error makes it end Failed instead.</summary>
    internal Func<FabricError?>? Verify { get; set; }

    internal bool Complete(DateTimeOffset now)
    {
        if (Status != "InProgress" || Outcome == OperationOutcome.NeverCompletes || now < DueTime)
        {
            return false;
        }
        EndTime = now;
        var error = Outcome == OperationOutcome.Succeeded ? Verify?.Invoke() : null;
        if (error != null)
        {
            FailureCode = error.Code;
            FailureMessage = error.Message;
        }
        if (Outcome == OperationOutcome.Succeeded && error == null)
        {
            Status = "Succeeded";
            OnSucceeded?.Invoke();
        }
        else
        {
            Status = "Failed";
            OnFailed?.Invoke();
        }
        return true;
    }
}

/// <summary>
/// The single mechanism behind every timed change in the fabric. State moves only when the clock is
/// checked (<see cref="Tick"/>, called before every request and every in-process read), so each
/// completion action runs exactly once, under the fabric lock.
/// </summary>
public sealed class LongRunningOperations
{
    private static readonly Regex SubscriptionPattern = new Regex("^/subscriptions/([^/]+)", RegexOptions.IgnoreCase);
    private readonly FabricState _state;
    private readonly Dictionary<string, LongRunningOperation> _operations = new Dictionary<string, LongRunningOperation>(StringComparer.OrdinalIgnoreCase);
    private readonly List<LongRunningOperation> _pending = new List<LongRunningOperation>();

    internal LongRunningOperations(FabricState state)
    {
        _state = state;
    }

    public LongRunningOperation? Find(string id) => _operations.TryGetValue(id, out var op) ? op : null;

    /// <summary>
    /// Runs every due completion in due-time order, each seeing its own due time as "now"; transitions
    /// they schedule that are already due run in the same pass. Caller holds the fabric lock.
    /// </summary>
    public void Tick()
    {
        var now = _state.Now;
        while (true)
        {
            var next = _pending.Where(o => o.DueTime <= now && o.Outcome != OperationOutcome.NeverCompletes)
                .OrderBy(o => o.DueTime).FirstOrDefault();
            if (next == null)
            {
                return;
            }
            _pending.Remove(next);
            _state.TransitionTime = next.DueTime;
            try
            {
                next.Complete(next.DueTime);
            }
            finally
            {
                _state.TransitionTime = null;
            }
        }
    }

    /// <summary>An internal transition after <paramref name="delayMs"/> (not visible as an ARM operation).</summary>
    public LongRunningOperation Schedule(int delayMs, Action action) => Schedule(TimeSpan.FromMilliseconds(delayMs), action);

    public LongRunningOperation Schedule(TimeSpan delay, Action action)
    {
        var now = _state.Now;
        var op = new LongRunningOperation(Guid.NewGuid().ToString(), now, now + delay, OperationOutcome.Succeeded)
        {
            OnSucceeded = action,
        };
        _pending.Add(op);
        return op;
    }

    /// <summary>
    /// Starts an ARM operation for <paramref name="request"/>. Its outcome is Succeeded unless an
    /// injected operation fault for the request's method and path says otherwise.
    /// </summary>
    /// <param name="failure">When set, the operation is accepted but ends Failed with this error (a
    /// precondition the service only discovers while working, e.g. an unreachable partner).</param>
    public LongRunningOperation Start(FabricRequest request, string providerNamespace, string? location, int durationMs,
        Action? onSucceeded = null, Action? onFailed = null, Func<JsonNode?>? result = null, FabricError? failure = null,
        Func<FabricError?>? verify = null)
    {
        var now = _state.Now;
        var fault = _state.Faults.TakeOperationFault(request.Method, request.Path);
        var outcome = failure != null ? OperationOutcome.Failed : fault?.Outcome ?? OperationOutcome.Succeeded;
        var op = new LongRunningOperation(Guid.NewGuid().ToString(), now, now.AddMilliseconds(durationMs), outcome)
        {
            Namespace = providerNamespace,
            Location = location ?? "global",
            OnSucceeded = onSucceeded,
            OnFailed = onFailed,
            Result = result,
            Verify = verify,
        };
        if (failure != null)
        {
            op.FailureCode = failure.Code;
            op.FailureMessage = failure.Message;
        }
        else if (fault != null)
        {
            op.FailureCode = fault.Code;
            op.FailureMessage = fault.Message;
        }
        _operations[op.Id] = op;
        _pending.Add(op);
        return op;
    }

    public string StatusUri(LongRunningOperation op, FabricRequest request) =>
        OperationUri(op, request, "operationStatuses");

    public string ResultUri(LongRunningOperation op, FabricRequest request, string kind = ResultsKind) =>
        OperationUri(op, request, kind);

    /// <summary>The Location path most providers use: 204 once done without a result.</summary>
    public const string ResultsKind = "operationResults";

    /// <summary>The Location path Microsoft.Storage uses (<c>.../asyncoperations/{id}</c>): 200 once done, with
    /// the result or an empty body.</summary>
    public const string AsyncOperationsKind = "asyncoperations";

    /// <summary>
    /// The answer that starts polling: status (202 by default), Azure-AsyncOperation and/or Location,
    /// Retry-After and retry-after-ms.
    /// </summary>
    /// <param name="resultKind">The Location path: <see cref="ResultsKind"/> or <see cref="AsyncOperationsKind"/>.</param>
    public FabricResult Accepted(LongRunningOperation op, FabricRequest request, int status = 202, JsonNode? body = null,
        bool asyncOperationHeader = true, bool locationHeader = true, string resultKind = ResultsKind)
    {
        var result = new FabricResult(status, body);
        if (asyncOperationHeader)
        {
            result.Headers["Azure-AsyncOperation"] = StatusUri(op, request);
        }
        if (locationHeader)
        {
            result.Headers["Location"] = ResultUri(op, request, resultKind);
        }
        return WithRetryAfter(result);
    }

    public FabricResult WithRetryAfter(FabricResult result)
    {
        result.Headers["Retry-After"] = _state.Options.Timings.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        result.Headers["retry-after-ms"] = _state.Options.Timings.RetryAfterMs.ToString(CultureInfo.InvariantCulture);
        return result;
    }

    internal void Register(Router arm)
    {
        arm.Map("GET", "/subscriptions/{sub}/providers/{ns}/locations/{location}/operationStatuses/{id}", GetStatus);
        arm.Map("GET", "/subscriptions/{sub}/providers/{ns}/locations/{location}/" + ResultsKind + "/{id}", request => GetResult(request, 204));
        arm.Map("GET", "/subscriptions/{sub}/providers/{ns}/locations/{location}/" + AsyncOperationsKind + "/{id}", request => GetResult(request, 200));
    }

    private FabricResult GetStatus(FabricRequest request)
    {
        var op = Require(request);
        var body = new JsonObject
        {
            ["id"] = request.Path,
            ["name"] = op.Id,
            ["status"] = op.Status,
            ["startTime"] = op.StartTime.ToString("o", CultureInfo.InvariantCulture),
        };
        if (op.EndTime is DateTimeOffset end)
        {
            body["endTime"] = end.ToString("o", CultureInfo.InvariantCulture);
        }
        if (op.Status == "Failed")
        {
            body["error"] = new JsonObject { ["code"] = op.FailureCode, ["message"] = op.FailureMessage };
        }
        var result = FabricResult.Ok(body);
        return op.Status == "InProgress" ? WithRetryAfter(result) : result;
    }

    /// <param name="doneWithoutResult">The status of a finished operation that has no result to return.</param>
    private FabricResult GetResult(FabricRequest request, int doneWithoutResult)
    {
        var op = Require(request);
        switch (op.Status)
        {
            case "InProgress":
                return WithRetryAfter(new FabricResult(202).WithHeader("Location", request.BaseUri + request.Path + request.Http.Request.QueryString.Value));
            case "Failed":
                throw new FabricError(500, op.FailureCode, op.FailureMessage);
            default:
                var body = op.Result?.Invoke();
                return body == null ? new FabricResult(doneWithoutResult) : FabricResult.Ok(body);
        }
    }

    private LongRunningOperation Require(FabricRequest request)
    {
        var op = Find(request.Route("id"));
        if (op == null)
        {
            throw FabricError.NotFound("ResourceNotFound", $"No operation '{request.Route("id")}' is known to the fabric.");
        }
        return op;
    }

    private static string OperationUri(LongRunningOperation op, FabricRequest request, string kind)
    {
        var sub = SubscriptionPattern.Match(request.Path);
        var subscription = sub.Success ? sub.Groups[1].Value : "00000000-0000-0000-0000-000000000000";
        var apiVersion = request.Query("api-version") ?? string.Empty;
        return $"{request.BaseUri}/subscriptions/{subscription}/providers/{op.Namespace}/locations/{op.Location}/{kind}/{op.Id}?api-version={Uri.EscapeDataString(apiVersion)}";
    }
}
