using System;
using System.Collections.Generic;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// Everything a fabric instance knows. Handlers run one at a time under <see cref="Sync"/>; the
/// in-process control API takes the same lock, so state is never seen half-changed.
/// </summary>
public sealed class FabricState
{
    internal FabricState(FabricOptions options)
    {
        Options = options;
        Operations = new LongRunningOperations(this);
    }

    public object Sync { get; } = new object();

    public FabricOptions Options { get; }

    public FabricTimings Timings => Options.Timings;

    /// <summary>
    /// The current time; while a timed transition runs it is that transition's due time, so whatever
    /// it starts (a warm-up, a follow-up step) is timed from when it was due, not from when it was noticed.
    /// </summary>
    public DateTimeOffset Now => _transitionTime ?? Options.Time.GetUtcNow();

    private DateTimeOffset? _transitionTime;

    internal DateTimeOffset? TransitionTime
    {
        set => _transitionTime = value;
    }

    public ArmStore Arm { get; } = new ArmStore();

    public LongRunningOperations Operations { get; }

    public FaultInjector Faults { get; } = new FaultInjector();

    public OperationLog Log { get; } = new OperationLog();

    /// <summary>Provider-owned stores (Key Vault vaults, Graph applications, ...), one per type.</summary>
    private readonly Dictionary<Type, object> _stores = new Dictionary<Type, object>();

    public T Store<T>()
        where T : class, new()
    {
        if (!_stores.TryGetValue(typeof(T), out var store))
        {
            store = new T();
            _stores[typeof(T)] = store;
        }
        return (T)store;
    }

    /// <summary>Runs <paramref name="action"/> under the lock after applying due transitions.</summary>
    public T Read<T>(Func<T> action)
    {
        lock (Sync)
        {
            Operations.Tick();
            return action();
        }
    }

    public void Write(Action action)
    {
        lock (Sync)
        {
            Operations.Tick();
            action();
        }
    }

    public string ServiceHost(string prefix) => prefix + "." + Options.DnsSuffix;
}
