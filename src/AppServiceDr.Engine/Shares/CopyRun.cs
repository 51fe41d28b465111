using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>One execution of a copy: the directory walk (on the calling thread) and the worker pool.</summary>
    internal sealed class CopyRun
    {
        private const long ChunkSize = 4L * 1024 * 1024;
        private const long ResumeAlignment = 1024 * 1024;
        private const int QueueCapacity = 256;
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        private readonly ShareCopyRequest _request;
        private readonly CheckedArguments _args;
        private readonly CopyRoots _roots;
        private readonly IDrHost _host;
        private readonly ShareCopyHooks _hooks;
        private readonly CancellationToken _ct;
        private readonly IFileTransfer _transfer = FileTransfer.ForPlatform();
        private readonly CountSet _dirs = new CountSet(), _files = new CountSet(), _bytes = new CountSet();
        private readonly BoundedList _failures, _mismatches, _extras, _copied;
        private readonly Stopwatch _clock = new Stopwatch();
        private readonly HashSet<string> _visited = new HashSet<string>(StringComparer.Ordinal);
        private BlockingCollection<CopyJob>? _queue;
        private BlockingCollection<DirTask>? _dirQueue;
        private int _pendingDirs;
        private ShareCopyLog _log = ShareCopyLog.Open(null);
        private long _bytesTransferred, _bytesResumed, _bytesDone;
        private bool _plan, _mirrorDeletes, _listingDone;
        private string? _fatal;

        public CopyRun(ShareCopyRequest request, CheckedArguments args, CopyRoots roots, IDrHost host, ShareCopyHooks hooks, CancellationToken ct)
        {
            _request = request;
            _args = args;
            _roots = roots;
            _host = host;
            _hooks = hooks;
            _ct = ct;
            _failures = new BoundedList(request.MaxListedItems);
            _mismatches = new BoundedList(request.MaxListedItems);
            _extras = new BoundedList(request.MaxListedItems);
            _copied = new BoundedList(request.MaxListedItems);
        }

        public ShareCopyResult Execute()
        {
            _clock.Start();
            var action = $"Copy new and changed files from '{_roots.Source}'" + (_request.Mirror ? " and remove what the source does not have" : "");
            _plan = !_host.ShouldProcess(_roots.Destination, action);
            if (!_plan && _request.Mirror)
            {
                _mirrorDeletes = _host.ShouldContinue(
                    $"Files and directories under '{_roots.Destination}' that are not in '{_roots.Source}' will be deleted.",
                    "Mirror removes destination extras");
                if (!_mirrorDeletes) _host.Warning("Mirror deletions were declined: extras are listed but kept.");
            }

            var destinationExisted = Directory.Exists(_roots.Destination);
            if (!_plan && !destinationExisted)
            {
                try { Directory.CreateDirectory(_roots.Destination); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    throw DrException.Precondition("FileShareDestinationNotCreatable", DrErrorCategory.WriteError,
                        $"The destination '{_roots.Destination}' could not be created: {ex.Message}", _roots.Destination, ex);
                }
            }

            var workers = new List<Thread>();
            using (_log = _plan ? ShareCopyLog.Open(null) : ShareCopyLog.Open(_request.LogPath))
            using (new CopyProgress(_host, (_plan ? "Planning copy to " : "Copying to ") + _roots.Destination, _clock, ReadProgress))
            {
                if (!_plan)
                {
                    _queue = new BlockingCollection<CopyJob>(QueueCapacity);
                    for (var i = 0; i < _args.Threads; i++)
                    {
                        var t = new Thread(WorkerLoop) { IsBackground = true, Name = "share-copy-" + i };
                        t.Start();
                        workers.Add(t);
                    }
                }
                try
                {
                    Walk(destinationExisted);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException) && !(ex is DrException))
                {
                    _fatal = ex.Message;
                    _host.Warning("The copy stopped early: " + ex.Message);
                }
                finally
                {
                    _listingDone = true;
                    _queue?.CompleteAdding();
                    foreach (var t in workers) t.Join();
                    _queue?.Dispose();
                }
            }
            _ct.ThrowIfCancellationRequested();
            _clock.Stop();
            return BuildResult();
        }

        private (long, long, long, long, bool) ReadProgress() =>
            (_files.Copied + _files.Skipped, _files.Total, Interlocked.Read(ref _bytesDone), _bytes.Total, Volatile.Read(ref _listingDone));

        private ShareCopyResult BuildResult()
        {
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
            var transferred = Interlocked.Read(ref _bytesTransferred);
            var files = _files.Snapshot();
            return new ShareCopyResult
            {
                Source = _roots.Source,
                Destination = _roots.Destination,
                IsPlan = _plan,
                Mirror = _request.Mirror,
                Dirs = _dirs.Snapshot(),
                Files = files,
                Bytes = _bytes.Snapshot(),
                BytesTransferred = transferred,
                BytesResumed = Interlocked.Read(ref _bytesResumed),
                Duration = _clock.Elapsed,
                BytesPerSecond = transferred / seconds,
                FilesPerSecond = files.Copied / seconds,
                FatalError = _fatal,
                Failures = _failures.ToArray(),
                Mismatches = _mismatches.ToArray(),
                Extras = _extras.ToArray(),
                Copied = _copied.ToArray(),
                ListsTruncated = _failures.Truncated || _mismatches.Truncated || _extras.Truncated || _copied.Truncated,
            };
        }

        public static ShareCopyResult WithPermissionsReset(ShareCopyResult r, int failures) => new ShareCopyResult
        {
            Source = r.Source, Destination = r.Destination, IsPlan = r.IsPlan, Mirror = r.Mirror,
            Dirs = r.Dirs, Files = r.Files, Bytes = r.Bytes, BytesTransferred = r.BytesTransferred, BytesResumed = r.BytesResumed,
            Duration = r.Duration, BytesPerSecond = r.BytesPerSecond, FilesPerSecond = r.FilesPerSecond, FatalError = r.FatalError,
            Failures = r.Failures, Mismatches = r.Mismatches, Extras = r.Extras, Copied = r.Copied, ListsTruncated = r.ListsTruncated,
            PermissionsReset = true,
            PermissionResetFailures = failures,
        };

        // ---------------------------------------------------------------- the walk

        private sealed class DirTask
        {
            public DirTask(string source, string dest, string rel, ShareEntry sourceMeta, bool destExisted, ShareEntry? destMeta)
            {
                Source = source; Dest = dest; Rel = rel; SourceMeta = sourceMeta; DestExisted = destExisted; DestMeta = destMeta;
            }

            public string Source { get; }
            public string Dest { get; }
            public string Rel { get; }
            public ShareEntry SourceMeta { get; }
            public bool DestExisted { get; }
            public ShareEntry? DestMeta { get; }
        }

        private static ShareEntry DirectoryMeta(string path)
        {
            var info = new DirectoryInfo(path);
            return new ShareEntry(info.Name, EntryKind.Directory, 0, info.LastWriteTimeUtc, info.LastAccessTimeUtc, info.CreationTimeUtc, info.Attributes);
        }

        private void Walk(bool destinationExisted)
        {
            _dirs.AddTotal(1);
            if (destinationExisted) _dirs.AddSkipped(1);
            else _dirs.AddCopied(1);
            // Directories are listed by a few walkers in parallel (a re-run is nothing but metadata reads); the
            // pending directories are the only thing that grows with the tree, and only with its directory count.
            using (_dirQueue = new BlockingCollection<DirTask>(new ConcurrentStack<DirTask>()))
            {
                AddDirectory(new DirTask(_roots.Source, _roots.Destination, "", DirectoryMeta(_roots.Source), destinationExisted,
                    destinationExisted ? DirectoryMeta(_roots.Destination) : null));
                var walkers = new List<Thread>();
                for (var i = 1; i < WalkerCount; i++)
                {
                    var t = new Thread(WalkerLoop) { IsBackground = true, Name = "share-walk-" + i };
                    t.Start();
                    walkers.Add(t);
                }
                WalkerLoop();
                foreach (var t in walkers) t.Join();
            }
            _ct.ThrowIfCancellationRequested();
        }

        private static int WalkerCount => Math.Min(8, Math.Max(2, Environment.ProcessorCount));

        private void AddDirectory(DirTask task)
        {
            Interlocked.Increment(ref _pendingDirs);
            _dirQueue!.Add(task);
        }

        private void WalkerLoop()
        {
            try
            {
                foreach (var task in _dirQueue!.GetConsumingEnumerable(_ct))
                {
                    try { ProcessDirectory(task); }
                    catch (OperationCanceledException) { throw; }
                    catch (Exception ex)
                    {
                        Interlocked.CompareExchange(ref _fatal, ex.Message, null);
                        FailItem(task.Rel, ShareItemKind.Directory, 0, "The directory could not be processed: " + ex.Message);
                        _dirs.AddFailed(1);
                    }
                    finally
                    {
                        if (Interlocked.Decrement(ref _pendingDirs) == 0) _dirQueue.CompleteAdding();
                    }
                }
            }
            catch (OperationCanceledException) { }
        }

        private bool Visit(string identity)
        {
            lock (_visited) return _visited.Add(identity);
        }

        private static string Rel(string parent, string name) => parent.Length == 0 ? name : parent + Path.DirectorySeparatorChar + name;

        private void ProcessDirectory(DirTask task)
        {
            if (UnixNative.IsSupported && UnixNative.TryLStat(task.Source, out var id) && !Visit(id.Device + ":" + id.Inode))
            {
                FailItem(task.Rel, ShareItemKind.Directory, 0, "Directory loop: this directory was already copied under another path (bind mount); not descended.");
                _dirs.AddFailed(1);
                return;
            }

            Dictionary<string, ShareEntry>? dest = null;
            if (task.DestExisted)
            {
                try
                {
                    dest = new Dictionary<string, ShareEntry>(PathSafety.Comparer);
                    foreach (var e in DirectoryLister.List(task.Dest)) dest[e.Name] = e;
                }
                catch (DirectoryNotFoundException) { dest = null; }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    FailItem(task.Rel, ShareItemKind.Directory, 0, "The destination directory could not be listed: " + ex.Message);
                    _dirs.AddFailed(1);
                    return;
                }
            }
            HashSet<string>? tempsInUse = null;
            if (dest != null)
                foreach (var name in dest.Keys)
                    if (TempNames.LooksLikeTemp(name)) { tempsInUse = new HashSet<string>(PathSafety.Comparer); break; }

            var needsTimes = task.DestMeta == null || !SameTime(task.SourceMeta.LastWriteUtc, task.DestMeta.LastWriteUtc);
            var state = new DirState(this, task.Dest, task.SourceMeta, needsTimes);
            try
            {
                foreach (var entry in DirectoryLister.List(task.Source))
                {
                    if (_ct.IsCancellationRequested) break;
                    ShareEntry? existing = null;
                    if (dest != null && dest.TryGetValue(entry.Name, out existing)) dest.Remove(entry.Name);
                    var rel = Rel(task.Rel, entry.Name);
                    if (entry.Kind == EntryKind.Directory)
                    {
                        if (WildcardPattern.Any(_args.ExcludeDirectories, entry.Name, rel)) continue;
                        HandleDirectory(task, entry, existing, rel, state);
                    }
                    else
                    {
                        if (WildcardPattern.Any(_args.ExcludeFiles, entry.Name, rel)) continue;
                        if (tempsInUse != null)
                        {
                            tempsInUse.Add(TempNames.Partial(entry.Name));
                            tempsInUse.Add(TempNames.Info(entry.Name));
                        }
                        if (entry.Kind == EntryKind.Link) HandleLink(task, entry, existing, rel, state);
                        else HandleFile(task, entry, existing, rel, state);
                    }
                }
                _ct.ThrowIfCancellationRequested();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // A partly listed directory: its extras are unknown, so nothing in it is removed.
                FailItem(task.Rel, ShareItemKind.Directory, 0, "The source directory could not be listed: " + ex.Message);
                _dirs.AddFailed(1);
                state.Release();
                return;
            }
            catch
            {
                state.Release();
                throw;
            }

            if (dest != null)
            {
                foreach (var extra in dest.Values)
                {
                    if (TempNames.LooksLikeTemp(extra.Name))
                    {
                        if (!_plan && (tempsInUse == null || !tempsInUse.Contains(extra.Name))) TryDeleteFile(Path.Combine(task.Dest, extra.Name));
                        continue;
                    }
                    var rel = Rel(task.Rel, extra.Name);
                    var patterns = extra.Kind == EntryKind.Directory ? _args.ExcludeDirectories : _args.ExcludeFiles;
                    if (WildcardPattern.Any(patterns, extra.Name, rel)) continue;
                    RemoveExtra(task, extra, rel, state, null);
                }
            }
            state.Release();
        }

        private bool SameTime(DateTime a, DateTime b)
        {
            var diff = a.Ticks - b.Ticks;
            if (diff < 0) diff = -diff;
            return diff <= _request.ModifiedTimeTolerance.Ticks;
        }

        private void HandleDirectory(DirTask task, ShareEntry entry, ShareEntry? existing, string rel, DirState state)
        {
            _dirs.AddTotal(1);
            var destPath = Path.Combine(task.Dest, entry.Name);
            if (existing != null && existing.Kind != EntryKind.Directory)
            {
                if (!RemoveExtra(task, existing, rel, state, "a source directory has this name"))
                {
                    _dirs.AddFailed(1);
                    FailItem(rel, ShareItemKind.Directory, 0, "The destination has a file or link where the source has a directory (use Mirror to replace it).");
                    return;
                }
                existing = null;
            }
            if (existing != null)
            {
                _dirs.AddSkipped(1);
            }
            else
            {
                if (!_plan)
                {
                    try { Directory.CreateDirectory(destPath); }
                    catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                    {
                        _dirs.AddFailed(1);
                        FailItem(rel, ShareItemKind.Directory, 0, "The directory could not be created: " + ex.Message);
                        return;
                    }
                    state.MarkChanged();
                }
                _dirs.AddCopied(1);
                _copied.Add(new ShareCopyItem(rel, ShareItemKind.Directory, _plan ? ShareItemAction.WouldCopy : ShareItemAction.Copied, 0, null));
                _log.Write("NewDir", 0, rel);
            }
            AddDirectory(new DirTask(Path.Combine(task.Source, entry.Name), destPath, rel, entry, existing != null, existing));
        }

        private void HandleFile(DirTask task, ShareEntry entry, ShareEntry? existing, string rel, DirState state)
        {
            _files.AddTotal(1);
            _bytes.AddTotal(entry.Size);
            if (existing != null && existing.Kind == EntryKind.Directory)
            {
                if (!RemoveExtra(task, existing, rel, state, "a source file has this name"))
                {
                    FailFile(rel, entry.Size, "The destination has a directory where the source has a file (use Mirror to replace it).");
                    return;
                }
                existing = null;
            }
            var same = existing != null && existing.Kind == EntryKind.File && existing.Size == entry.Size && SameTime(existing.LastWriteUtc, entry.LastWriteUtc);
            if (same && (_plan || _request.Verify != ShareVerifyMode.All))
            {
                _files.AddSkipped(1);
                _bytes.AddSkipped(entry.Size);
                Interlocked.Add(ref _bytesDone, entry.Size);
                _log.Write("Same", entry.Size, rel);
                return;
            }
            if (_plan)
            {
                _files.AddCopied(1);
                _bytes.AddCopied(entry.Size);
                _copied.Add(new ShareCopyItem(rel, ShareItemKind.File, ShareItemAction.WouldCopy, entry.Size, existing == null ? "new" : "changed"));
                return;
            }
            if (!same) state.MarkChanged();
            state.AddPending();
            try
            {
                _queue!.Add(new CopyJob(state, entry, rel, Path.Combine(task.Source, entry.Name), Path.Combine(task.Dest, entry.Name), same), _ct);
            }
            catch
            {
                state.Release();
                throw;
            }
        }

        private void HandleLink(DirTask task, ShareEntry entry, ShareEntry? existing, string rel, DirState state)
        {
            _files.AddTotal(1);
            var sourcePath = Path.Combine(task.Source, entry.Name);
            var destPath = Path.Combine(task.Dest, entry.Name);
            var target = LinkCopy.ReadTarget(sourcePath);
            string? linkText = target == null ? null : LinkCopy.ContainedTarget(sourcePath, target, _roots);
            if (linkText == null)
            {
                _files.AddSkipped(1);
                var why = target == null ? "it is a reparse point that cannot be read as a link" : "its target '" + target + "' is outside the source tree";
                _host.Warning($"Skipped link '{rel}': {why}; links are never followed.");
                _log.Write("LinkSkipped", 0, rel, why);
                return;
            }
            if (existing != null && existing.Kind == EntryKind.Link && string.Equals(LinkCopy.ReadTarget(destPath), linkText, StringComparison.Ordinal))
            {
                _files.AddSkipped(1);
                _log.Write("Same", 0, rel);
                return;
            }
            if (existing != null && existing.Kind == EntryKind.Directory && !RemoveExtra(task, existing, rel, state, "a source link has this name"))
            {
                FailFile(rel, 0, "The destination has a directory where the source has a link (use Mirror to replace it).");
                return;
            }
            if (!_plan)
            {
                try
                {
                    LinkCopy.Create(Path.Combine(task.Dest, TempNames.Partial(entry.Name)), destPath, linkText, (entry.Attributes & FileAttributes.Directory) != 0, _transfer, entry);
                    state.MarkChanged();
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is PlatformNotSupportedException)
                {
                    _files.AddSkipped(1);
                    _host.Warning($"Skipped link '{rel}': it could not be created ({ex.Message}).");
                    _log.Write("LinkSkipped", 0, rel, ex.Message);
                    return;
                }
            }
            _files.AddCopied(1);
            _copied.Add(new ShareCopyItem(rel, ShareItemKind.Link, _plan ? ShareItemAction.WouldCopy : ShareItemAction.Copied, 0, "-> " + linkText));
            _log.Write("Link", 0, rel);
        }

        /// <summary>Counts (and under Mirror removes, after asking) a destination item the source does not have.
        /// True when the item is gone, or would be gone in a plan.</summary>
        private bool RemoveExtra(DirTask task, ShareEntry extra, string rel, DirState state, string? reason)
        {
            var path = Path.Combine(task.Dest, extra.Name);
            var kind = extra.Kind == EntryKind.Directory ? ShareItemKind.Directory : extra.Kind == EntryKind.Link ? ShareItemKind.Link : ShareItemKind.File;
            long files = 0, dirs = 0, bytes = 0;
            if (kind == ShareItemKind.Directory)
            {
                dirs = 1;
                if (_request.Mirror) CountTree(path, ref files, ref dirs, ref bytes);
            }
            else
            {
                files = 1;
                bytes = extra.Size;
            }
            _dirs.AddExtras(dirs);
            _files.AddExtras(files);
            _bytes.AddExtras(bytes);

            ShareItemAction action;
            string? error = null;
            var what = kind == ShareItemKind.Directory ? "Remove extra directory and its content" : "Remove extra " + (kind == ShareItemKind.Link ? "link" : "file");
            if (reason != null) what += " (" + reason + ")";
            if (!_request.Mirror) action = ShareItemAction.KeptExtra;
            else if (_plan)
            {
                // Asked so that -WhatIf prints the deletion; in a plan nothing is removed whatever the answer.
                _host.ShouldProcess(path, what);
                action = ShareItemAction.WouldDelete;
            }
            else if (!_mirrorDeletes || !_host.ShouldProcess(path, what)) action = ShareItemAction.KeptExtra;
            else
            {
                try
                {
                    if (kind == ShareItemKind.Directory) DeleteTree(path);
                    else DeleteFile(path, extra);
                    state.MarkChanged();
                    action = ShareItemAction.Deleted;
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    action = ShareItemAction.KeptExtra;
                    error = ex.Message;
                    FailItem(rel, kind, bytes, "The extra item could not be removed: " + ex.Message);
                }
            }
            _extras.Add(new ShareCopyItem(rel, kind, action, bytes, error ?? reason));
            _log.Write(action == ShareItemAction.Deleted ? "Deleted" : "Extra", bytes, rel, error);
            return action == ShareItemAction.Deleted || action == ShareItemAction.WouldDelete;
        }

        private static void CountTree(string path, ref long files, ref long dirs, ref long bytes)
        {
            foreach (var e in DirectoryLister.List(path))
            {
                if (e.Kind == EntryKind.Directory)
                {
                    dirs++;
                    CountTree(Path.Combine(path, e.Name), ref files, ref dirs, ref bytes);
                }
                else
                {
                    files++;
                    bytes += e.Size;
                }
            }
        }

        /// <summary>Removes a destination directory tree; links inside it are removed, never followed.</summary>
        private static void DeleteTree(string path)
        {
            foreach (var e in DirectoryLister.List(path))
            {
                var child = Path.Combine(path, e.Name);
                if (e.Kind == EntryKind.Directory) DeleteTree(child);
                else DeleteFile(child, e);
            }
            Directory.Delete(path, false);
        }

        private static void DeleteFile(string path, ShareEntry e)
        {
            if (e.Kind == EntryKind.Link && (e.Attributes & FileAttributes.Directory) != 0 && IsWindows)
            {
                Directory.Delete(path, false);
                return;
            }
            if (IsWindows && (e.Attributes & FileAttributes.ReadOnly) != 0) File.SetAttributes(path, FileAttributes.Normal);
            File.Delete(path);
        }

        private static void TryDeleteFile(string path)
        {
            try { File.Delete(path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { }
        }

        private void FailItem(string rel, ShareItemKind kind, long size, string message)
        {
            _failures.Add(new ShareCopyItem(rel, kind, ShareItemAction.Failed, size, message));
            _host.Warning($"'{(rel.Length == 0 ? "." : rel)}': {message}");
            _log.Write("Failed", size, rel, message);
        }

        private void FailFile(string rel, long size, string message)
        {
            _files.AddFailed(1);
            _bytes.AddFailed(size);
            FailItem(rel, ShareItemKind.File, size, message);
        }

        // ---------------------------------------------------------------- directory completion

        /// <summary>Counts the outstanding work of one destination directory; when the last file of it is in place
        /// the directory gets the source's times (writing files into it would otherwise change them again).</summary>
        private sealed class DirState
        {
            private readonly CopyRun _run;
            private int _pending = 1;
            private int _changed;

            public DirState(CopyRun run, string destPath, ShareEntry source, bool changed)
            {
                _run = run;
                DestPath = destPath;
                Source = source;
                _changed = changed ? 1 : 0;
            }

            public string DestPath { get; }
            public ShareEntry Source { get; }

            public void MarkChanged() => Volatile.Write(ref _changed, 1);
            public void AddPending() => Interlocked.Increment(ref _pending);

            public void Release()
            {
                if (Interlocked.Decrement(ref _pending) != 0) return;
                if (_run._plan || Volatile.Read(ref _changed) == 0) return;
                try { _run._transfer.SetDirectoryTimes(DestPath, Source); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    _run._host.Verbose($"The times of '{DestPath}' could not be set: {ex.Message}");
                }
            }
        }

        private sealed class CopyJob
        {
            public CopyJob(DirState dir, ShareEntry source, string rel, string sourcePath, string destPath, bool verifyExisting)
            {
                Dir = dir; Source = source; Rel = rel; SourcePath = sourcePath; DestPath = destPath; VerifyExisting = verifyExisting;
            }

            public DirState Dir { get; }
            public ShareEntry Source { get; }
            public string Rel { get; }
            public string SourcePath { get; }
            public string DestPath { get; }
            /// <summary>Metadata matched: only compare content (Verify All), copy when it differs.</summary>
            public bool VerifyExisting { get; set; }
        }

        private sealed class VerifyMismatchException : IOException
        {
            public VerifyMismatchException(string rel) : base($"The SHA-256 of the copy of '{rel}' differs from the source.") { }
        }

        // ---------------------------------------------------------------- workers

        private void WorkerLoop()
        {
            var buffer = new byte[1024 * 1024];
            try
            {
                foreach (var job in _queue!.GetConsumingEnumerable(_ct))
                {
                    try { RunJob(job, buffer); }
                    finally { job.Dir.Release(); }
                }
            }
            catch (OperationCanceledException) { }
        }

        private void RunJob(CopyJob job, byte[] buffer)
        {
            var size = job.Source.Size;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    _hooks.BeforeOpenSource?.Invoke(job.Rel, attempt);
                    if (job.VerifyExisting)
                    {
                        if (Hash(job.SourcePath, true).AsSpanEquals(Hash(job.DestPath, false)))
                        {
                            _files.AddSkipped(1);
                            _bytes.AddSkipped(size);
                            Interlocked.Add(ref _bytesDone, size);
                            _log.Write("Same", size, job.Rel);
                            return;
                        }
                        _files.AddMismatch(1);
                        _bytes.AddMismatch(size);
                        _mismatches.Add(new ShareCopyItem(job.Rel, ShareItemKind.File, ShareItemAction.Mismatch, size, "destination content differed with equal size and time; copied again"));
                        _host.Warning($"'{job.Rel}': the destination content differs from the source although size and time match; copying it again.");
                        _log.Write("Mismatch", size, job.Rel);
                        job.VerifyExisting = false;
                        job.Dir.MarkChanged();
                    }
                    CopyFile(job, buffer);
                    _files.AddCopied(1);
                    _bytes.AddCopied(size);
                    _copied.Add(new ShareCopyItem(job.Rel, ShareItemKind.File, ShareItemAction.Copied, size, null));
                    _log.Write("Copied", size, job.Rel);
                    return;
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    var final = attempt >= _request.RetryCount || ex is NotRegularFileException;
                    if (!final)
                    {
                        _host.Verbose($"'{job.Rel}' failed (try {attempt + 1} of {_request.RetryCount + 1}), retrying: {ex.Message}");
                        if (_ct.WaitHandle.WaitOne(_request.RetryWait)) throw new OperationCanceledException(_ct);
                        continue;
                    }
                    if (ex is VerifyMismatchException)
                    {
                        _files.AddMismatch(1);
                        _bytes.AddMismatch(size);
                        _mismatches.Add(new ShareCopyItem(job.Rel, ShareItemKind.File, ShareItemAction.Mismatch, size, ex.Message));
                        _host.Warning($"'{job.Rel}': {ex.Message} The destination file was left as it was.");
                        _log.Write("Mismatch", size, job.Rel, ex.Message);
                    }
                    else
                    {
                        FailFile(job.Rel, size, $"failed after {attempt + 1} tries: {ex.Message}");
                    }
                    if (size < _request.ResumableThreshold) TryDeleteFile(Path.Combine(job.Dir.DestPath, TempNames.Partial(job.Source.Name)));
                    return;
                }
            }
        }

        private void CopyFile(CopyJob job, byte[] buffer)
        {
            var entry = job.Source;
            var temp = Path.Combine(job.Dir.DestPath, TempNames.Partial(entry.Name));
            var resumable = entry.Size >= _request.ResumableThreshold;
            string? info = null;
            long resumeFrom = 0;
            if (resumable)
            {
                info = Path.Combine(job.Dir.DestPath, TempNames.Info(entry.Name));
                var stamp = entry.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " +
                            entry.LastWriteUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
                resumeFrom = ResumePoint(temp, info, stamp, entry.Size);
                if (resumeFrom > 0)
                {
                    Interlocked.Add(ref _bytesResumed, resumeFrom);
                    Interlocked.Add(ref _bytesDone, resumeFrom);
                    _host.Verbose($"Resuming '{job.Rel}' at byte {resumeFrom} of {entry.Size}.");
                }
                else
                {
                    File.WriteAllText(info, stamp);
                }
            }
            _transfer.CopyToTemp(job.SourcePath, temp, resumeFrom, entry, buffer, resumable ? ChunkSize : long.MaxValue, (inTemp, added) =>
            {
                Interlocked.Add(ref _bytesTransferred, added);
                Interlocked.Add(ref _bytesDone, added);
                if (!resumable) return;
                _hooks.AfterChunk?.Invoke(job.Rel, inTemp);
                _ct.ThrowIfCancellationRequested();
            });
            if (_request.Verify != ShareVerifyMode.None && !Hash(job.SourcePath, true).AsSpanEquals(Hash(temp, false)))
            {
                TryDeleteFile(temp);
                if (info != null) TryDeleteFile(info);
                throw new VerifyMismatchException(job.Rel);
            }
            _transfer.MoveIntoPlace(temp, job.DestPath, entry);
            if (info != null) TryDeleteFile(info);
        }

        /// <summary>Where a partial file of an earlier run can be continued: only when its side record names the
        /// same source size and time; the last (possibly torn) megabyte is copied again.</summary>
        private static long ResumePoint(string temp, string info, string stamp, long size)
        {
            try
            {
                if (!File.Exists(info) || !File.Exists(temp)) return 0;
                if (!string.Equals(File.ReadAllText(info), stamp, StringComparison.Ordinal)) return 0;
                var length = new FileInfo(temp).Length;
                if (length > size) return 0;
                return Math.Max(0, (length / ResumeAlignment - 1) * ResumeAlignment);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return 0;
            }
        }

        private static HashValue Hash(string path, bool source)
        {
            if (source && UnixNative.IsSupported && UnixNative.TryLStat(path, out var st) && st.Type != UnixNative.TypeRegular)
                throw new NotRegularFileException(path);
            return new HashValue(FileHash.Sha256(path));
        }

        private readonly struct HashValue
        {
            private readonly byte[] _bytes;
            public HashValue(byte[] bytes) { _bytes = bytes; }

            public bool AsSpanEquals(HashValue other)
            {
                if (_bytes.Length != other._bytes.Length) return false;
                for (var i = 0; i < _bytes.Length; i++)
                    if (_bytes[i] != other._bytes[i]) return false;
                return true;
            }
        }
    }
}
