using System;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// A clock a test moves by hand (pass it as <see cref="FabricOptions.Time"/>), so the fabric's timed
/// transitions happen exactly when the test says and never depend on machine load.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private readonly object _sync = new object();
    private DateTimeOffset _now;

    public ManualClock()
        : this(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public ManualClock(DateTimeOffset start)
    {
        _now = start;
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_sync)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_sync)
        {
            _now += by;
        }
    }
}
