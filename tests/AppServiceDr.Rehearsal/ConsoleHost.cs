using System;
using AppServiceDr.Engine;

namespace AppServiceDr.Rehearsal
{
    /// <summary>Prints what a PowerShell console would show: verbose lines, warnings, "What if:" lines, and
    /// progress reduced to one line per change of status.</summary>
    internal sealed class ConsoleHost : IDrHost
    {
        private readonly bool _whatIf;
        private readonly object _gate = new object();
        private string _lastProgress = "";

        public ConsoleHost(bool whatIf)
        {
            _whatIf = whatIf;
        }

        public void Progress(DrProgress p)
        {
            if (p.Completed || p.ActivityId == 1) return;
            var line = $"  .. {p.Activity}: {p.Status}";
            lock (_gate)
            {
                if (line == _lastProgress) return;
                _lastProgress = line;
                Console.WriteLine(line);
            }
        }

        public void Verbose(string message) => Write("VERBOSE: " + message);
        public void Warning(string message) => Write("WARNING: " + message);

        public bool ShouldProcess(string target, string action)
        {
            if (_whatIf) Write($"What if: Performing the operation \"{action}\" on target \"{target}\".");
            return !_whatIf;
        }

        public bool ShouldContinue(string query, string caption) => !_whatIf;

        private void Write(string line)
        {
            lock (_gate) Console.WriteLine(line);
        }
    }
}
