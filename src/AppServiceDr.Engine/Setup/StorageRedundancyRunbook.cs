using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Storage;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Setup
{
    /// <summary>Seed 004 tier 3: the storage account's redundancy (RA-GRS, or back to GRS).</summary>
    public sealed class StorageRedundancyRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string StorageAccountName { get; set; } = "";
        /// <summary>The sku wanted: Standard_RAGRS by default.</summary>
        public string SkuName { get; set; } = "Standard_RAGRS";

        /// <summary>Filled by the pre-flight: the sku the account had.</summary>
        public string PreviousSkuName { get; set; } = "";
    }

    /// <summary>
    /// Changes a storage account's redundancy in place (one PATCH of its sku), within the family the service changes
    /// at once: LRS, GRS and RA-GRS, or ZRS, GZRS and RA-GZRS. Other changes (to or from zone redundancy, premium) are
    /// conversions and are refused before anything changes, as is an account that is failing over. The step reads
    /// the account first, so a second run changes nothing; it ends when the account reports the new sku (and, with
    /// read access, its secondary endpoints).
    /// </summary>
    public sealed class StorageRedundancyRunbook : Runbook<StorageRedundancyRequest, StorageRedundancyResult>
    {
        private const string SkuStep = "sku";

        private static readonly string[][] Families =
        {
            new[] { "Standard_LRS", "Standard_GRS", "Standard_RAGRS" },
            new[] { "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS" },
        };

        public override string Name => "StorageRedundancy";
        public override string Command => "Set-StorageRedundancy";

        /// <summary>The account as the step left it.</summary>
        private sealed class AccountOutcome
        {
            public string? Sku { get; set; }
            public string? PrimaryLocation { get; set; }
            public string? SecondaryLocation { get; set; }
            public string? SecondaryBlobEndpoint { get; set; }
        }

        protected internal override async Task PreflightAsync(RunContext run, StorageRedundancyRequest request, CancellationToken ct)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.StorageAccountName);
            NewStorageAccount.ValidateName(request.StorageAccountName, "-StorageAccountName");
            var wanted = Families.SelectMany(f => f).FirstOrDefault(s => string.Equals(s, request.SkuName, StringComparison.OrdinalIgnoreCase))
                ?? throw DrException.Precondition("UnsupportedSku", DrErrorCategory.InvalidArgument,
                    $"'{request.SkuName}' is not a redundancy this cmdlet sets; use one of {string.Join(", ", Families.SelectMany(f => f))}.", request.SkuName);
            request.SkuName = wanted;
            var account = await run.Azure.Arm.GetAsync(AccountId(request), ArmApi.StorageAccounts, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                    $"Storage account '{request.StorageAccountName}' was not found in resource group '{request.ResourceGroupName}'.", request.StorageAccountName);
            var current = Sku(account) ?? "";
            request.PreviousSkuName = current;
            if (StorageAccountFailover.InProgress(account))
                throw DrException.Precondition("StorageFailoverInProgress", DrErrorCategory.ResourceBusy,
                    $"Storage account '{request.StorageAccountName}' is failing over; change its redundancy once the failover has finished.", request.StorageAccountName);
            if (!string.Equals(current, wanted, StringComparison.OrdinalIgnoreCase)
                && !Families.Any(f => f.Contains(current, StringComparer.OrdinalIgnoreCase) && f.Contains(wanted)))
                throw DrException.Precondition("RedundancyChangeNotInPlace", DrErrorCategory.InvalidOperation,
                    $"Storage account '{request.StorageAccountName}' is {current}; {wanted} is not a change the service makes in place (to or from zone redundancy is a conversion). Nothing was changed.", request.StorageAccountName);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, StorageRedundancyRequest request)
        {
            yield return new RunbookStep(SkuStep, $"Make storage account {request.StorageAccountName} {request.SkuName} (it was {request.PreviousSkuName})",
                ctx => SkuAsync(ctx, request));
        }

        private static async Task<StepResult> SkuAsync(StepContext ctx, StorageRedundancyRequest r)
        {
            var arm = ctx.Azure.Arm;
            var ct = ctx.CancellationToken;
            var account = await arm.GetAsync(AccountId(r), ArmApi.StorageAccounts, ct).ConfigureAwait(false)
                ?? throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{r.StorageAccountName}' no longer exists.", r.StorageAccountName);
            if (Usable(account, r))
            {
                ctx.Publish(Describe(account));
                return StepResult.AlreadyDone($"{r.StorageAccountName} is {r.SkuName}.");
            }
            if (!ctx.ShouldProcess(r.StorageAccountName, ctx.Step.Plan)) return StepResult.Declined("Redundancy not changed.");
            var body = ArmText.Body(w =>
            {
                w.WriteStartObject("sku");
                w.WriteString("name", r.SkuName);
                w.WriteEndObject();
            });
            await arm.SendAsync(RequestMethod.Patch, AccountId(r), ArmApi.StorageAccounts, body, ct).ConfigureAwait(false);
            ctx.RecordChange($"storage account {r.StorageAccountName} changed from {Sku(account)} to {r.SkuName}");
            var after = await ctx.WaitAsync($"Waiting for {r.StorageAccountName} to report {r.SkuName}", TimeSpan.FromMinutes(10), ctx.Azure.Environment.DefaultPollInterval, async token =>
            {
                var now = await arm.GetAsync(AccountId(r), ArmApi.StorageAccounts, token).ConfigureAwait(false);
                return now is { } a && Usable(a, r) ? WaitProbe<JsonElement>.Done(a) : WaitProbe<JsonElement>.Pending(now is { } b ? Sku(b) ?? "?" : "not found");
            }, elapsed => new DrException("RedundancyNotChanged", DrErrorCategory.OperationTimeout,
                $"Storage account '{r.StorageAccountName}' did not report {r.SkuName} within {elapsed.TotalMinutes:0} min.", r.StorageAccountName)).ConfigureAwait(false);
            ctx.Publish(Describe(after));
            return StepResult.Done($"{r.StorageAccountName} is {r.SkuName}.");
        }

        /// <summary>The sku as asked, and for read access the secondary endpoints to read from.</summary>
        private static bool Usable(JsonElement account, StorageRedundancyRequest r) =>
            string.Equals(Sku(account), r.SkuName, StringComparison.OrdinalIgnoreCase)
            && (!r.SkuName.StartsWith("Standard_RA", StringComparison.Ordinal) || SecondaryBlob(account) != null);

        private static AccountOutcome Describe(JsonElement account) => new AccountOutcome
        {
            Sku = Sku(account),
            PrimaryLocation = StorageAccountFailover.PrimaryLocation(account),
            SecondaryLocation = PropertyText(account, "secondaryLocation"),
            SecondaryBlobEndpoint = SecondaryBlob(account),
        };

        private static string? Sku(JsonElement account) => account.TryGetProperty("sku", out var s) ? Text(s, "name") : null;

        private static string? SecondaryBlob(JsonElement account) =>
            account.TryGetProperty("properties", out var p) && p.TryGetProperty("secondaryEndpoints", out var e) ? Text(e, "blob") : null;

        protected internal override IEnumerable<StorageRedundancyResult> Results(StorageRedundancyRequest request, RunReport report)
        {
            var failure = SetupRuns.Failure(report);
            var seen = report.Steps.FirstOrDefault(s => s.StepId == SkuStep)?.Published<AccountOutcome>();
            yield return new StorageRedundancyResult
            {
                StorageAccountName = request.StorageAccountName,
                Action = SetupRuns.ActionOf(report, created: false),
                PreviousSkuName = request.PreviousSkuName,
                SkuName = seen?.Sku ?? request.PreviousSkuName,
                PrimaryLocation = seen?.PrimaryLocation,
                SecondaryLocation = seen?.SecondaryLocation,
                SecondaryBlobEndpoint = seen?.SecondaryBlobEndpoint,
                Duration = SetupRuns.Duration(report),
                ErrorId = failure?.ErrorId,
                Error = failure?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        private static string AccountId(StorageRedundancyRequest r) => StorageAccountFailover.AccountId(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);
    }
}
