using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Storage;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>Which storage account to judge ready for a failover, and the recovery point it must meet.</summary>
    public sealed class StorageReadinessDrillRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string StorageAccountName { get; set; } = "";
        /// <summary>The largest acceptable time since the last sync to the secondary (what a failover now would lose).</summary>
        public TimeSpan RpoTarget { get; set; } = TimeSpan.FromMinutes(15);
    }

    /// <summary>
    /// Seed 004 scenario 4 proved ready without failing anything over: the account must be geo-redundant (GRS, RA-GRS,
    /// GZRS, RA-GZRS), report that it can fail over now (geoReplicationStats.canFailover), have no failover running, and
    /// its last sync time must be within the RPO target (the writes an unplanned failover now would lose). Reads only.
    /// Step: <c>readiness</c>.
    /// </summary>
    public sealed class StorageReadinessDrillRunbook : Runbook<StorageReadinessDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-StorageFailoverReadiness";
        private static readonly string[] GeoRedundant = { "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS" };

        public override string Name => "StorageReadinessDrill";
        public override string Command => CommandName;

        protected internal override async Task PreflightAsync(RunContext run, StorageReadinessDrillRequest request, CancellationToken ct)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.StorageAccountName);
            if (request.RpoTarget < TimeSpan.Zero)
                throw DrException.Precondition("RpoTargetInvalid", DrErrorCategory.InvalidArgument, "-RpoTarget must be zero or more.", request.RpoTarget);
            if (await StorageAccountFailover.GetAsync(run.Azure.Arm, Id(request), ct).ConfigureAwait(false) == null)
                throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                    $"Storage account '{request.StorageAccountName}' was not found in resource group '{request.ResourceGroupName}'.", request.StorageAccountName);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, StorageReadinessDrillRequest request)
        {
            yield return new RunbookStep("readiness", $"Read the redundancy, failover state and last sync time of {request.StorageAccountName} (target RPO {DurationText.Format(request.RpoTarget)})",
                async ctx =>
                {
                    var account = await StorageAccountFailover.GetAsync(ctx.Azure.Arm, Id(request), ctx.CancellationToken).ConfigureAwait(false)
                        ?? throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{request.StorageAccountName}' is gone.", request.StorageAccountName);
                    var outcome = Judge(account, request, ctx.Run.Now);
                    ctx.Publish(outcome);
                    return StepResult.Done(string.Join(" ", outcome.Checks.Select(c => c.Detail)));
                });
        }

        private static DrillStepOutcome Judge(System.Text.Json.JsonElement account, StorageReadinessDrillRequest request, DateTimeOffset now)
        {
            var name = request.StorageAccountName;
            var outcome = new DrillStepOutcome();
            var sku = account.TryGetProperty("sku", out var s) ? ArmJson.Text(s, "name") : null;
            outcome.Checks.Add(GeoRedundant.Contains(sku, StringComparer.OrdinalIgnoreCase)
                ? Drill.Pass("redundancy", $"{name} is {sku}: a secondary region holds a copy.")
                : Drill.Fail("redundancy", $"{name} is {sku ?? "of unknown redundancy"}: without GRS, RA-GRS, GZRS or RA-GZRS there is no secondary region to fail over to."));
            outcome.Checks.Add(StorageAccountFailover.InProgress(account)
                ? Drill.Fail("failover in progress", $"{name} reports a failover in progress; it cannot fail over again until it ends.")
                : Drill.Pass("failover in progress", $"{name} has no failover running."));
            var stats = StorageAccountFailover.GeoStats(account);
            var can = stats is { } c ? StorageAccountFailover.Bool(c, "canFailover") : null;
            outcome.Checks.Add(can == true
                ? Drill.Pass("can fail over", $"{name} reports that it can fail over now (primary {StorageAccountFailover.PrimaryLocation(account)}, secondary {ArmJson.PropertyText(account, "secondaryLocation")}).")
                : Drill.Fail("can fail over", $"{name} reports that it cannot fail over now (geoReplicationStats.canFailover is {(can == false ? "false" : "absent")})."));
            if (stats is { } g && StorageAccountFailover.Date(g, "lastSyncTime") is { } lastSync)
            {
                var lag = now - lastSync;
                if (lag < TimeSpan.Zero) lag = TimeSpan.Zero;
                outcome.Rpo = lag;
                outcome.Checks.Add(Drill.Within("last sync", lag, request.RpoTarget, $"Writes since {ArmText.Iso(lastSync)} are not yet in the secondary; a failover now would lose"));
            }
            else
            {
                outcome.Checks.Add(Drill.Fail("last sync", $"{name} reports no last sync time, so what a failover would lose is unknown."));
            }
            return outcome;
        }

        protected internal override IEnumerable<DrillTestResult> Results(StorageReadinessDrillRequest request, RunReport report)
        {
            yield return Drill.Result(CommandName, request.StorageAccountName, null, report, createsResources: false);
        }

        private static string Id(StorageReadinessDrillRequest r) => StorageAccountFailover.AccountId(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);
    }
}
