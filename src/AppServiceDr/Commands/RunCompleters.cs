using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>Tab completion for run ids (-RunId, -Resume): the runs in the state directory the command line
    /// names (or the default one), newest first; for -Resume, only the runs that command resumes.</summary>
    internal sealed class RunIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var runbooks = parameterName.Equals("Resume", StringComparison.OrdinalIgnoreCase)
                ? RunbookCatalog.Of(commandName).Select(r => r.Name).ToArray() : null;
            foreach (var run in RunCompletion.Runs(fakeBoundParameters))
            {
                if (runbooks != null && Array.IndexOf(runbooks, run.Runbook) < 0) continue;
                if (!run.RunId.StartsWith(RunCompletion.Unquote(wordToComplete), StringComparison.OrdinalIgnoreCase)) continue;
                yield return new CompletionResult(run.RunId, run.RunId, CompletionResultType.ParameterValue,
                    $"{run.Runbook} {run.Status}, started {run.StartedAt.ToLocalTime():yyyy-MM-dd HH:mm}");
            }
        }
    }

    /// <summary>Tab completion for -Runbook: the runbook names found in the state directory.</summary>
    internal sealed class RunbookNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var prefix = RunCompletion.Unquote(wordToComplete);
            return RunCompletion.Runs(fakeBoundParameters)
                .Select(r => r.Runbook)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
                .ToList();
        }
    }

    internal static class RunCompletion
    {
        public static string Unquote(string word) => (word ?? "").Trim('\'', '"');

        /// <summary>A path as the session sees it (relative to its current location). Completion runs inside the
        /// session's own pipeline, so this asks through a nested command rather than the runspace's proxy.</summary>
        private static string ResolveInSession(string path)
        {
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            shell.AddScript("param($p) $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p)").AddArgument(path);
            var resolved = shell.Invoke();
            return resolved.Count == 1 && resolved[0]?.BaseObject is string full ? full : path;
        }

        /// <summary>The runs of the state directory given on the command line (resolved against the session's
        /// current location), or of the default one. A state directory that cannot be read completes nothing.</summary>
        public static IEnumerable<RunReport> Runs(IDictionary fakeBoundParameters)
        {
            string? directory = null;
            if (fakeBoundParameters != null && fakeBoundParameters.Contains("StateDirectory"))
            {
                var given = fakeBoundParameters["StateDirectory"]?.ToString();
                if (!string.IsNullOrEmpty(given)) directory = ResolveInSession(given!);
            }
            try
            {
                return new RunStore(directory).List().ToList();
            }
            catch (Exception)
            {
                return Array.Empty<RunReport>();
            }
        }
    }
}
