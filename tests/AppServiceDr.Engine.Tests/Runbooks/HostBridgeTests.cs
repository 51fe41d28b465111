using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Tests.Runbooks
{
    public class HostBridgeTests
    {
        /// <summary>Records the thread of every call, like a PowerShell host that only works on its pipeline thread.</summary>
        private sealed class ThreadCheckingHost : IDrHost
        {
            public readonly ConcurrentQueue<int> Threads = new ConcurrentQueue<int>();
            public readonly ConcurrentQueue<string> Messages = new ConcurrentQueue<string>();
            public Func<string, bool> Answer = _ => true;
            public Exception? ThrowOnVerbose;

            public void Progress(DrProgress progress) { Threads.Enqueue(Environment.CurrentManagedThreadId); Messages.Enqueue("progress " + progress.Status); }
            public void Verbose(string message)
            {
                Threads.Enqueue(Environment.CurrentManagedThreadId);
                if (ThrowOnVerbose != null) throw ThrowOnVerbose;
                Messages.Enqueue("verbose " + message);
            }
            public void Warning(string message) { Threads.Enqueue(Environment.CurrentManagedThreadId); Messages.Enqueue("warning " + message); }
            public bool ShouldProcess(string target, string action) { Threads.Enqueue(Environment.CurrentManagedThreadId); return Answer(target); }
            public bool ShouldContinue(string query, string caption) { Threads.Enqueue(Environment.CurrentManagedThreadId); return Answer(query); }
        }

        [Fact]
        public void Every_host_call_runs_on_the_calling_thread_and_answers_reach_the_workers()
        {
            var host = new ThreadCheckingHost { Answer = t => t != "no" };
            var pipeline = Environment.CurrentManagedThreadId;

            var result = HostBridge.Run(host, async bridge =>
            {
                var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
                {
                    bridge.Verbose("item " + i);
                    bridge.Progress(new DrProgress(1, "copy", "item " + i));
                    return bridge.ShouldProcess(i == 7 ? "no" : "yes", "change");
                })));
                bridge.Warning("done");
                return answers.Count(a => a);
            });

            Assert.Equal(19, result);
            Assert.All(host.Threads, t => Assert.Equal(pipeline, t));
            Assert.Equal(61, host.Threads.Count);
            Assert.Equal("warning done", host.Messages.Last());
        }

        [Fact]
        public void Work_exceptions_are_rethrown_on_the_calling_thread()
        {
            var host = new ThreadCheckingHost();
            var ex = Assert.Throws<DrException>(() => HostBridge.Run<int>(host, async bridge =>
            {
                await Task.Yield();
                bridge.Verbose("before");
                throw new DrException("Boom", DrErrorCategory.InvalidOperation, "failed");
            }));
            Assert.Equal("Boom", ex.ErrorId);
            Assert.Contains("verbose before", host.Messages);
        }

        [Fact]
        public void A_host_that_throws_while_stopping_ends_the_work_and_its_exception_wins()
        {
            var host = new ThreadCheckingHost { ThrowOnVerbose = new OperationCanceledException("pipeline stopping") };
            using var cts = new CancellationTokenSource();
            var ex = Assert.Throws<OperationCanceledException>(() => HostBridge.Run(host, async bridge =>
            {
                bridge.Verbose("first");
                // A worker asking a question after the host failed is answered with the host's exception.
                await Task.Delay(50);
                return bridge.ShouldProcess("t", "a");
            }));
            Assert.Equal("pipeline stopping", ex.Message);
        }
    }
}
