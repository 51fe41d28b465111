using System;
using System.Collections.Generic;
using System.Threading;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>Thread-safe counters behind one <see cref="ShareCopyCounts"/>.</summary>
    internal sealed class CountSet
    {
        private long _total, _copied, _skipped, _mismatch, _failed, _extras;

        public void AddTotal(long n) => Interlocked.Add(ref _total, n);
        public void AddCopied(long n) => Interlocked.Add(ref _copied, n);
        public void AddSkipped(long n) => Interlocked.Add(ref _skipped, n);
        public void AddMismatch(long n) => Interlocked.Add(ref _mismatch, n);
        public void AddFailed(long n) => Interlocked.Add(ref _failed, n);
        public void AddExtras(long n) => Interlocked.Add(ref _extras, n);

        public long Total => Interlocked.Read(ref _total);
        public long Copied => Interlocked.Read(ref _copied);
        public long Skipped => Interlocked.Read(ref _skipped);

        public ShareCopyCounts Snapshot() => new ShareCopyCounts
        {
            Total = Interlocked.Read(ref _total),
            Copied = Interlocked.Read(ref _copied),
            Skipped = Interlocked.Read(ref _skipped),
            Mismatch = Interlocked.Read(ref _mismatch),
            Failed = Interlocked.Read(ref _failed),
            Extras = Interlocked.Read(ref _extras),
        };
    }

    /// <summary>A list that keeps its first N items and remembers that more were offered.</summary>
    internal sealed class BoundedList
    {
        private readonly List<ShareCopyItem> _items = new List<ShareCopyItem>();
        private readonly int _max;

        public BoundedList(int max) { _max = max; }

        public bool Truncated { get; private set; }

        public void Add(ShareCopyItem item)
        {
            lock (_items)
            {
                if (_items.Count < _max) _items.Add(item);
                else Truncated = true;
            }
        }

        public IReadOnlyList<ShareCopyItem> ToArray()
        {
            lock (_items) return _items.ToArray();
        }
    }
}
