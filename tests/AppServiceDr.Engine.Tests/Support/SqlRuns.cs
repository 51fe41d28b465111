using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>Runs the SQL Server restore runbook the way Restore-AppServiceDatabase does (a -WhatIf run for
    /// -OutputScriptOnly), each run with a state directory of its own.</summary>
    public static class SqlRuns
    {
        public static async Task<RunOutcome<SqlRestoreResult>> RunAsync(SqlRestoreRequest request, IDrHost host, CancellationToken cancel = default, RunOptions? options = null)
        {
            using var state = new TempDirectory();
            options ??= new RunOptions();
            options.WhatIf |= request.OutputScriptOnly;
            return await new RunbookRunner(new RunStore(state.Path)).RunAsync(new SqlRestoreRunbook(), request, new RunContext(host, options), cancel);
        }

        public static async Task<IReadOnlyList<SqlRestoreResult>> RestoreAsync(SqlRestoreRequest request, IDrHost host, CancellationToken cancel = default) =>
            (await RunAsync(request, host, cancel)).TypedResults;
    }
}
