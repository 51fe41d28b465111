using System;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>
    /// Removes a SQL Server database a drill restored, and only such a one: its name must be a drill name
    /// (&lt;db&gt;_drill_&lt;UTC time&gt;). Sessions still in it are thrown out (SINGLE_USER WITH ROLLBACK IMMEDIATE),
    /// then it is dropped. The cleanup's check and, on failure, the leftover are published for the drill's result.
    /// </summary>
    internal static class SqlDrillDatabases
    {
        private static SqlStatement SingleUser(string database) =>
            new SqlStatement("ALTER DATABASE " + SqlStatement.QuoteIdentifier(database) + " SET SINGLE_USER WITH ROLLBACK IMMEDIATE;", true);

        // DROP DATABASE takes no variables: the name is bracket-quoted with closing brackets doubled.
        private static SqlStatement Drop(string database) =>
            new SqlStatement("DROP DATABASE " + SqlStatement.QuoteIdentifier(database) + ";", true);

        public static async Task<StepResult> DropAsync(StepContext ctx, SqlServerConnectionInfo server, string name)
        {
            var outcome = new DrillStepOutcome { Cleanup = true };
            try
            {
                if (!Drill.IsSqlServerDrillName(name))
                    throw new DrException("DrillCleanupRefused", DrErrorCategory.SecurityError, $"'{name}' is not a drill database name (<db>_drill_<time>); it was left alone.", name);
                ctx.Redactor.Register(server.AccessToken);
                var context = new SqlErrorContext(server.ServerInstance, "Dropping drill database '" + name + "'", name);
                using var factory = new SqlConnectionFactory(server);
                using var session = await SqlSession.OpenAsync(factory, "master", context, false, ctx.CancellationToken).ConfigureAwait(false);
                string? state = null;
                await session.ExecuteAsync(SqlBackupRestorer.DatabaseState(name), 60, context, false, ctx.CancellationToken,
                    r => state = Convert.ToString(r["state_desc"], System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
                if (state == null)
                {
                    // Under -WhatIf the restore was only planned: plan the drop as well.
                    if (ctx.WhatIf && ctx.Step.DependsOn.Any(ctx.Changed))
                    {
                        ctx.ShouldProcess(name, "Drop drill database " + name);
                        return StepResult.Declined($"What if: {name} would be dropped once the drill has run.");
                    }
                    outcome.Checks.Add(Drill.Pass("cleanup", $"{name} does not exist on {server.ServerInstance}: nothing to remove."));
                    ctx.Publish(outcome);
                    return StepResult.AlreadyDone($"{name} does not exist.");
                }
                if (!ctx.ShouldProcess(name, "Drop drill database " + name)) return StepResult.Declined($"{name} was not dropped.");
                if (string.Equals(state, "ONLINE", StringComparison.OrdinalIgnoreCase))
                    await session.ExecuteAsync(SingleUser(name), 600, context, false, ctx.CancellationToken).ConfigureAwait(false);
                await session.ExecuteAsync(Drop(name), 600, context, false, ctx.CancellationToken).ConfigureAwait(false);
                ctx.RecordChange($"dropped drill database {name}");
                outcome.Checks.Add(Drill.Pass("cleanup", $"{name} was dropped from {server.ServerInstance}."));
                ctx.Publish(outcome);
                return StepResult.Done($"{name} dropped.");
            }
            catch (DrException ex)
            {
                outcome.Checks.Add(Drill.Fail("cleanup", $"{name} could not be dropped: {ex.Message} Drop it with -Resume {ctx.RunId}."));
                outcome.Leftovers.Add(name);
                ctx.Publish(outcome);
                throw;
            }
        }
    }
}
