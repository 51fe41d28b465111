using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>The per-item log (-LogPath): one tab-separated line per item, written from any worker.</summary>
    internal sealed class ShareCopyLog : IDisposable
    {
        private readonly StreamWriter? _writer;

        private ShareCopyLog(StreamWriter? writer) { _writer = writer; }

        public static ShareCopyLog Open(string? path)
        {
            if (path == null) return new ShareCopyLog(null);
            var dir = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, System.IO.FileShare.Read, 64 * 1024);
            return new ShareCopyLog(new StreamWriter(stream, new UTF8Encoding(false)));
        }

        public bool Enabled => _writer != null;

        public void Write(string action, long size, string relativePath, string? error = null)
        {
            if (_writer == null) return;
            var line = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "\t" + action + "\t" +
                size.ToString(CultureInfo.InvariantCulture) + "\t" + Clean(relativePath) + "\t" + (error == null ? "" : Clean(error));
            lock (_writer) _writer.WriteLine(line);
        }

        private static string Clean(string text) =>
            text.IndexOfAny(new[] { '\t', '\r', '\n' }) < 0 ? text : text.Replace("\t", "\\t").Replace("\r", "\\r").Replace("\n", "\\n");

        public void Dispose()
        {
            if (_writer == null) return;
            lock (_writer) _writer.Dispose();
        }
    }

    /// <summary>Reports files and bytes done, rate and ETA at most twice a second, whatever the file sizes.</summary>
    internal sealed class CopyProgress : IDisposable
    {
        public const int ActivityId = 5150;
        private readonly IDrHost _host;
        private readonly Stopwatch _clock;
        private readonly Func<(long filesDone, long filesSeen, long bytesDone, long bytesSeen, bool listingDone)> _read;
        private readonly string _activity;
        private readonly Timer _timer;
        private int _stopped;

        public CopyProgress(IDrHost host, string activity, Stopwatch clock, Func<(long, long, long, long, bool)> read)
        {
            _host = host;
            _activity = activity;
            _clock = clock;
            _read = read;
            _timer = new Timer(_ => Report(false), null, 500, 500);
        }

        private void Report(bool completed)
        {
            if (!completed && Volatile.Read(ref _stopped) != 0) return;
            var (filesDone, filesSeen, bytesDone, bytesSeen, listingDone) = _read();
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var rate = bytesDone / seconds;
            var percent = bytesSeen > 0 ? (int)Math.Min(100, bytesDone * 100 / bytesSeen) : -1;
            TimeSpan? remaining = null;
            if (listingDone && rate > 0 && !completed) remaining = TimeSpan.FromSeconds((bytesSeen - bytesDone) / rate);
            var status = string.Format(CultureInfo.InvariantCulture, "{0}/{1}{2} files, {3}/{4} MiB, {5:0.0} MiB/s",
                filesDone, filesSeen, listingDone ? "" : "+", bytesDone >> 20, bytesSeen >> 20, rate / (1024 * 1024));
            _host.Progress(new DrProgress(ActivityId, _activity, status)
            {
                PercentComplete = completed ? 100 : (listingDone ? percent : -1),
                Remaining = remaining,
                Completed = completed,
            });
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
            using (var done = new ManualResetEvent(false))
            {
                if (_timer.Dispose(done)) done.WaitOne();
            }
            Report(true);
        }
    }
}
