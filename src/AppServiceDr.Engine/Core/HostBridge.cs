using System;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine
{
    /// <summary>
    /// Runs engine work on worker threads while every host call (progress, messages, ShouldProcess,
    /// ShouldContinue) is executed on the thread that called <see cref="Run{T}"/>: PowerShell only allows
    /// Write* and ShouldProcess from the pipeline thread. Workers asking a question wait for the answer.
    /// </summary>
    public sealed class HostBridge : IDrHost
    {
        private readonly IDrHost _pipelineHost;
        private readonly BlockingCollection<Action> _queue = new BlockingCollection<Action>();
        private readonly int _pipelineThread;
        private ExceptionDispatchInfo? _hostFailure;

        private HostBridge(IDrHost pipelineHost)
        {
            _pipelineHost = pipelineHost;
            _pipelineThread = Environment.CurrentManagedThreadId;
        }

        /// <summary>
        /// Starts <paramref name="work"/> on the thread pool and pumps its host calls on this thread until it
        /// ends; returns its result or rethrows its exception. If the host itself threw (PowerShell throws
        /// PipelineStoppedException from Write* while a pipeline stops), that exception is rethrown instead,
        /// after the work has ended.
        /// </summary>
        public static T Run<T>(IDrHost pipelineHost, Func<IDrHost, Task<T>> work)
        {
            var bridge = new HostBridge(pipelineHost);
            var task = Task.Run(() => work(bridge));
            task.ContinueWith(_ => bridge._queue.CompleteAdding(), TaskScheduler.Default);
            foreach (var call in bridge._queue.GetConsumingEnumerable()) call();
            bridge._hostFailure?.Throw();
            return task.GetAwaiter().GetResult();
        }

        public void Progress(DrProgress progress) => Post(() => _pipelineHost.Progress(progress));
        public void Verbose(string message) => Post(() => _pipelineHost.Verbose(message));
        public void Warning(string message) => Post(() => _pipelineHost.Warning(message));
        public bool ShouldProcess(string target, string action) => Ask(() => _pipelineHost.ShouldProcess(target, action));
        public bool ShouldContinue(string query, string caption) => Ask(() => _pipelineHost.ShouldContinue(query, caption));

        /// <summary>
        /// Runs <paramref name="work"/> on the pipeline thread and completes with its result or its exception: for work
        /// only that thread may do (a nested pipeline in the session's own runspace). The pipeline thread is busy with it
        /// meanwhile; other host calls wait their turn.
        /// </summary>
        public Task<T> OnPipelineThread<T>(Func<T> work)
        {
            if (Environment.CurrentManagedThreadId == _pipelineThread) return Task.FromResult(work());
            _hostFailure?.Throw();
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            TryAdd(() =>
            {
                try { result.SetResult(work()); }
                catch (Exception ex) { result.SetException(ex); }
            });
            return result.Task;
        }

        private void Post(Action call)
        {
            if (Environment.CurrentManagedThreadId == _pipelineThread) { call(); return; }
            if (_hostFailure != null) return;
            TryAdd(() =>
            {
                if (_hostFailure != null) return;
                try { call(); }
                catch (Exception ex) { _hostFailure = ExceptionDispatchInfo.Capture(ex); }
            });
        }

        private bool Ask(Func<bool> question)
        {
            if (Environment.CurrentManagedThreadId == _pipelineThread) return question();
            _hostFailure?.Throw();
            var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            TryAdd(() =>
            {
                try { answer.SetResult(question()); }
                catch (Exception ex)
                {
                    _hostFailure ??= ExceptionDispatchInfo.Capture(ex);
                    answer.SetException(ex);
                }
            });
            return answer.Task.GetAwaiter().GetResult();
        }

        private void TryAdd(Action call)
        {
            // Adding can only fail once the work has ended, and then nobody is left to hear the call.
            try { _queue.Add(call); }
            catch (InvalidOperationException) { }
        }
    }
}
