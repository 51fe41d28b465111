using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>One look at something being waited for: done with a value, or not yet (with what it says now).</summary>
    public readonly struct WaitProbe<T>
    {
        private WaitProbe(bool done, T value, string status, TimeSpan? retryAfter)
        {
            IsDone = done;
            Value = value;
            Status = status;
            RetryAfter = retryAfter;
        }

        public bool IsDone { get; }
        public T Value { get; }
        public string Status { get; }
        /// <summary>When the service said when to look again.</summary>
        public TimeSpan? RetryAfter { get; }

        public static WaitProbe<T> Done(T value) => new WaitProbe<T>(true, value, "done", null);
        public static WaitProbe<T> Pending(string status, TimeSpan? retryAfter = null) => new WaitProbe<T>(false, default!, status, retryAfter);
    }

    /// <summary>
    /// The one way the engine waits for something to become usable (a secret readable, an app healthy, a database
    /// Online): look, and look again after the interval (or the service's Retry-After), until done or the timeout
    /// passes; each look is reported as progress, and the progress record is completed however the wait ends.
    /// </summary>
    public static class Wait
    {
        public static async Task<T> UntilAsync<T>(
            Func<CancellationToken, Task<WaitProbe<T>>> probe,
            TimeSpan timeout,
            TimeSpan interval,
            Func<TimeSpan, DrException> timedOut,
            WaitProgress? progress,
            CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var looks = 0;
            try
            {
                while (true)
                {
                    var seen = await probe(ct).ConfigureAwait(false);
                    looks++;
                    if (seen.IsDone) return seen.Value;
                    if (clock.Elapsed >= timeout) throw timedOut(clock.Elapsed);
                    progress?.Report(seen.Status, looks, clock.Elapsed, timeout);
                    var delay = seen.RetryAfter ?? interval;
                    var left = timeout - clock.Elapsed;
                    await Task.Delay(delay < left ? delay : left > TimeSpan.Zero ? left : TimeSpan.Zero, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                progress?.Complete();
            }
        }
    }

    /// <summary>Where a wait reports: one progress record, a child of the step's, completed when the wait ends.</summary>
    public sealed class WaitProgress
    {
        private readonly IDrHost _host;
        private readonly int _activityId;
        private readonly int _parentId;
        private readonly string _activity;

        public WaitProgress(IDrHost host, int activityId, int parentId, string activity)
        {
            _host = host;
            _activityId = activityId;
            _parentId = parentId;
            _activity = activity;
        }

        public void Report(string status, int looks, TimeSpan elapsed, TimeSpan timeout) =>
            _host.Progress(new DrProgress(_activityId, _activity, status)
            {
                ParentActivityId = _parentId,
                CurrentOperation = $"look {looks}, {DurationText.Format(elapsed)} of at most {DurationText.Format(timeout)}",
                PercentComplete = timeout.Ticks <= 0 ? -1 : (int)Math.Min(99, elapsed.Ticks * 100 / timeout.Ticks),
                Remaining = timeout - elapsed,
            });

        public void Complete() => _host.Progress(new DrProgress(_activityId, _activity, "Done") { ParentActivityId = _parentId, PercentComplete = 100, Completed = true });
    }
}
