using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>Runs every pre-flight check of a runbook, keeps every problem, and reports them together before any
    /// change: one run shows everything that is wrong with its targets, not the first thing only.</summary>
    internal sealed class Preflight
    {
        private readonly List<DrException> _problems = new List<DrException>();

        public async Task CheckAsync(Func<Task> check)
        {
            // A certificate, connection or sign-in fault fails every check alike: the first one is the answer, and
            // the checks after it would only repeat it (each after its own retries).
            if (_problems.Any(IsConnectionFault)) return;
            try { await check().ConfigureAwait(false); }
            catch (DrException ex) { _problems.Add(ex); }
        }

        private static bool IsConnectionFault(DrException problem) =>
            problem.Category == DrErrorCategory.ConnectionError || problem.Category == DrErrorCategory.SecurityError
            || problem.Category == DrErrorCategory.AuthenticationError;

        /// <summary>One problem is thrown as it is (marked as found before any change); several become one
        /// <paramref name="errorId"/> listing each with its own id.</summary>
        public void ThrowIfAny(string errorId, string what)
        {
            if (_problems.Count == 1)
            {
                var p = _problems[0];
                throw p.IsPrecondition ? p : DrException.Precondition(p.ErrorId, p.Category, p.Message + " Nothing was changed.", p.Target, p);
            }
            if (_problems.Count > 1)
                throw DrException.Precondition(errorId, _problems[0].Category,
                    $"The {what} cannot start; nothing was changed. {_problems.Count} problems:" + string.Concat(_problems.Select(p => $"{Environment.NewLine}- [{p.ErrorId}] {p.Message}")),
                    string.Join(", ", _problems.Select(p => p.ErrorId)));
        }
    }
}
