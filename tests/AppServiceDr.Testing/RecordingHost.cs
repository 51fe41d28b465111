using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using AppServiceDr.Engine;
using AppServiceDr.Testing;

namespace AppServiceDr.Testing
{
    /// <summary>A host that says yes to everything (unless told otherwise) and keeps what it was told: what a test,
    /// a test host process or a benchmark gives the engine where a cmdlet would give its PowerShell host.</summary>
    public sealed class RecordingHost : IDrHost
    {
        private readonly Func<string, string, bool> _shouldProcess;
        private readonly Func<string, string, bool> _shouldContinue;

        public RecordingHost(Func<string, string, bool>? shouldProcess = null, Func<string, string, bool>? shouldContinue = null)
        {
            _shouldProcess = shouldProcess ?? ((_, _) => true);
            _shouldContinue = shouldContinue ?? ((_, _) => true);
        }

        /// <summary>A host that answers every ShouldProcess with false, as PowerShell does under -WhatIf.</summary>
        public static RecordingHost WhatIf() => new RecordingHost((_, _) => false, (_, _) => false);

        public ConcurrentQueue<DrProgress> ProgressRecords { get; } = new ConcurrentQueue<DrProgress>();
        public ConcurrentQueue<string> VerboseMessages { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<string> Warnings { get; } = new ConcurrentQueue<string>();
        /// <summary>Every ShouldProcess question as "target: action", in the order asked.</summary>
        public ConcurrentQueue<string> Questions { get; } = new ConcurrentQueue<string>();

        public void Progress(DrProgress progress) => ProgressRecords.Enqueue(progress);
        public void Verbose(string message) => VerboseMessages.Enqueue(message);
        public void Warning(string message) => Warnings.Enqueue(message);

        public bool ShouldProcess(string target, string action)
        {
            Questions.Enqueue(target + ": " + action);
            return _shouldProcess(target, action);
        }

        public bool ShouldContinue(string query, string caption)
        {
            Questions.Enqueue("continue? " + caption + ": " + query);
            return _shouldContinue(query, caption);
        }

        /// <summary>Everything this host was told, one entry per line, for leak checks.</summary>
        public IEnumerable<string> AllText()
        {
            foreach (var p in ProgressRecords) yield return p.Activity + " | " + p.Status + " | " + p.CurrentOperation;
            foreach (var m in VerboseMessages) yield return m;
            foreach (var m in Warnings) yield return m;
            foreach (var q in Questions) yield return q;
        }
    }
}
