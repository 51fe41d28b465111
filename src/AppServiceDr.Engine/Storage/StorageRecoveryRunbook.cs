using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Storage
{
    /// <summary>
    /// Seed 004 scenario 4 (storage account failure) as one runbook, in one of two ways:
    /// <list type="bullet">
    /// <item>failover (default): <c>failover:&lt;account&gt;</c> fails the geo-redundant account over to its
    /// secondary region (planned, or the unplanned customer-initiated failover), then <c>restart:&lt;app&gt;</c>;</item>
    /// <item>new account: <c>create:&lt;account&gt;</c>, <c>secret:&lt;name&gt;</c> (the vault secret gets the new
    /// account's connection string), then <c>restart:&lt;app&gt;</c>, whose Key Vault references are read at start.</item>
    /// </list>
    /// An unplanned failover can lose data: its step asks <see cref="IDrHost.ShouldContinue"/> first, as the
    /// region failover does, so a cmdlet's -Force is its <c>SkipDataLossPrompt</c>; <see cref="LosesData"/> tells
    /// beforehand whether the run as planned will ask.
    /// </summary>
    public sealed class StorageRecoveryRunbook : Runbook<StorageRecoveryRequest, StorageRecoveryResult>
    {
        private const string FailoverPrefix = "failover:";
        private const string CreatePrefix = "create:";
        private const string SecretPrefix = "secret:";

        public override string Name => "StorageRecovery";
        public override string Command => "Invoke-StorageRecovery";

        /// <summary>Checks the request and everything the chosen branch needs (all problems reported together,
        /// nothing changed), and completes the request with the target region and the failover to do.</summary>
        protected internal override async Task PreflightAsync(RunContext run, StorageRecoveryRequest request, CancellationToken ct)
        {
            Validate(request);
            var azure = run.Azure;
            var preflight = new Preflight();
            if (request.NewStorageAccountName == null)
            {
                await preflight.CheckAsync(() => PlanFailoverAsync(azure, request, ct)).ConfigureAwait(false);
            }
            else
            {
                if (request.Location == null)
                    await preflight.CheckAsync(async () => request.NewAccountLocation = await FailedAccountRegionAsync(azure, request, ct).ConfigureAwait(false)).ConfigureAwait(false);
                if (request.NewAccountLocation != null)
                    await preflight.CheckAsync(() => NewAccount(azure, request).CheckExistingAsync(ct)).ConfigureAwait(false);
                await preflight.CheckAsync(() => NewStorageAccount.CheckVaultAsync(azure, request.VaultUri!, request.SecretName, ct)).ConfigureAwait(false);
            }
            if (request.RestartApp != null)
                await preflight.CheckAsync(() => new WebApps(azure).GetHealthUrlAsync(request.RestartApp, ct)).ConfigureAwait(false);
            preflight.ThrowIfAny("StorageRecoveryPreflightFailed", "storage recovery");
        }

        /// <summary>True when the request, as checked, fails the account over without its primary (an unplanned
        /// failover), which loses the writes made after the last sync. The failover step itself asks
        /// <see cref="IDrHost.ShouldContinue"/> before it (skipped by a host whose -Force is given).</summary>
        public static bool LosesData(StorageRecoveryRequest request) => request.FailoverType == StorageAccountFailover.Unplanned;

        // ---------------------------------------------------------------- checks

        private static void Validate(StorageRecoveryRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);
            NewStorageAccount.ValidateName(r.StorageAccountName, "-StorageAccountName");
            r.RestartApp?.Validate();
            if (r.Timeout <= TimeSpan.Zero)
                throw DrException.Precondition("InvalidTimeout", DrErrorCategory.InvalidArgument, "The timeout must be positive.", r.StorageAccountName);
            if (r.NewStorageAccountName == null)
            {
                if (r.Location != null || r.NewAccountResourceGroupName != null)
                    throw DrException.Precondition("NewAccountNotNamed", DrErrorCategory.InvalidArgument,
                        "-Location and -NewAccountResourceGroupName describe a new account: give -NewStorageAccountName too, or leave them out to fail the account over.", r.StorageAccountName);
                return;
            }
            if (r.PlannedFailover || r.TargetLocation != null)
                throw DrException.Precondition("StorageRecoveryAmbiguous", DrErrorCategory.InvalidArgument,
                    "-Planned and -TargetLocation choose how the account is failed over; with -NewStorageAccountName a new account replaces it instead. Give one or the other.", r.StorageAccountName);
            NewStorageAccount.ValidateName(r.NewStorageAccountName, "-NewStorageAccountName");
            r.NewAccountGroup = r.NewAccountResourceGroupName ?? r.ResourceGroupName;
            ArmPath.Validate(r.SubscriptionId, r.NewAccountGroup, r.NewStorageAccountName);
            if (r.NewStorageAccountName == r.StorageAccountName)
                throw DrException.Precondition("NewAccountIsTheFailedOne", DrErrorCategory.InvalidArgument,
                    $"The new account must have another name than the failed account '{r.StorageAccountName}' (storage account names are unique across Azure).", r.NewStorageAccountName);
            r.SkuName = NewStorageAccount.ValidateSku(r.SkuName);
            if (r.VaultUri == null)
                throw DrException.Precondition("VaultUriRequired", DrErrorCategory.InvalidArgument,
                    $"Name the vault whose secret '{r.SecretName}' the app reads: the new account's connection string goes there.", r.NewStorageAccountName);
            if (!r.VaultUri.IsAbsoluteUri || r.VaultUri.Scheme != Uri.UriSchemeHttps)
                throw DrException.Precondition("InvalidVaultUri", DrErrorCategory.InvalidArgument, $"'{r.VaultUri}' is not an https vault URI.", r.VaultUri.ToString());
            NewStorageAccount.ValidateSecretName(r.SecretName);
            r.NewAccountLocation = r.Location;
        }

        /// <summary>Where the account is to be primary, and which failover gets it there (None: it is there already).</summary>
        private static async Task PlanFailoverAsync(AzureConnection azure, StorageRecoveryRequest request, CancellationToken ct)
        {
            var name = request.StorageAccountName;
            var account = await StorageAccountFailover.GetAsync(azure.Arm, AccountId(request), ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                    $"Storage account '{name}' was not found in resource group '{request.ResourceGroupName}'.", name);
            var location = StorageAccountFailover.PrimaryLocation(account);
            var failedOverBefore = PropertyText(account, "secondaryLocation") == null && PropertyText(account, "lastGeoFailoverTime") != null;
            if (request.TargetLocation != null ? SameRegion(location, request.TargetLocation) : failedOverBefore)
            {
                // An earlier failover (this runbook's or anyone's) already made it primary where wanted.
                request.FailoverTarget = location;
                request.FailoverType = StorageAccountFailover.NoFailover;
                return;
            }
            var (target, type) = StorageAccountFailover.Decide(account, name, planned: request.PlannedFailover);
            if (request.TargetLocation != null && !SameRegion(target, request.TargetLocation))
                throw DrException.Precondition("StorageTargetNotSecondary", DrErrorCategory.InvalidArgument,
                    $"Storage account '{name}' is primary in {location} and fails over to {target}, not {request.TargetLocation}.", name);
            request.FailoverTarget = target;
            request.FailoverType = type;
        }

        private static async Task<string> FailedAccountRegionAsync(AzureConnection azure, StorageRecoveryRequest request, CancellationToken ct)
        {
            var name = request.StorageAccountName;
            System.Text.Json.JsonElement? account;
            try
            {
                account = await azure.Arm.GetAsync(AccountId(request), ArmApi.StorageAccounts, ct).ConfigureAwait(false);
            }
            catch (DrException ex)
            {
                throw DrException.Precondition("StorageLocationUnknown", DrErrorCategory.ResourceUnavailable,
                    $"The region of the failed account '{name}' could not be read ({ex.ErrorId}); give the new account's region with -Location.", name);
            }
            return (account is { } a ? StorageAccountFailover.PrimaryLocation(a) : null)
                   ?? throw DrException.Precondition("StorageLocationUnknown", DrErrorCategory.ObjectNotFound,
                       $"The failed account '{name}' was not found in resource group '{request.ResourceGroupName}', so its region is unknown; give the new account's region with -Location.", name);
        }

        private static string AccountId(StorageRecoveryRequest r) => StorageAccountFailover.AccountId(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);

        private static NewStorageAccount NewAccount(AzureConnection azure, StorageRecoveryRequest r) =>
            new NewStorageAccount(azure, r.SubscriptionId, r.NewAccountGroup!, r.NewStorageAccountName!, r.NewAccountLocation!, r.SkuName, r.Timeout);

        // ---------------------------------------------------------------- steps

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, StorageRecoveryRequest request)
        {
            var azure = run.Azure;
            var steps = new List<RunbookStep>();
            if (request.NewStorageAccountName == null)
            {
                var failover = new StorageAccountFailover(azure, AccountId(request), request.StorageAccountName, request.FailoverTarget!,
                    request.PlannedFailover, request.Timeout, StorageLossAccounting.UnplannedSinceRunStart);
                steps.Add(new RunbookStep(FailoverPrefix + request.StorageAccountName,
                    StorageAccountFailover.Plan(request.StorageAccountName, request.FailoverTarget!, request.FailoverType!), failover.RunAsync));
            }
            else
            {
                var account = NewAccount(azure, request);
                var vaultUri = request.VaultUri!;
                var create = CreatePrefix + account.Name;
                steps.Add(new RunbookStep(create,
                    $"Create storage account {account.Name} ({account.Sku}, StorageV2, TLS 1.2, no public blob access) in {account.Location}, resource group {account.ResourceGroup}",
                    account.CreateAsync));
                steps.Add(new RunbookStep(SecretPrefix + request.SecretName,
                    $"Put the connection string of storage account {account.Name} into secret '{request.SecretName}' in vault '{vaultUri.Host.Split('.')[0]}'",
                    ctx => account.SetSecretAsync(ctx, vaultUri, request.SecretName), create));
            }
            // A run that changed nothing leaves a healthy app alone, so a repeated run restarts nothing.
            if (request.RestartApp != null)
                steps.Add(WebAppRestartStep.Create(request.RestartApp, steps.Select(s => s.Id).ToList(), onlyAfterChange: true,
                    request.NewStorageAccountName != null ? "(its Key Vault references are read again)" : null));
            return steps;
        }

        // ---------------------------------------------------------------- results

        /// <summary>The run's one result, read back from its report (so a resumed run reports what its earlier
        /// attempts did). Action is Failed when any step failed, including a restart after which the app never
        /// answered healthy.</summary>
        protected internal override IEnumerable<StorageRecoveryResult> Results(StorageRecoveryRequest request, RunReport report)
        {
            StepReport? Step(string prefix) => report.Steps.FirstOrDefault(s => s.StepId.StartsWith(prefix, StringComparison.Ordinal));
            var newAccount = request.NewStorageAccountName;
            var work = newAccount == null ? new[] { Step(FailoverPrefix) } : new[] { Step(CreatePrefix), Step(SecretPrefix) };
            var outcome = (newAccount == null ? Step(FailoverPrefix) : Step(CreatePrefix))?.Published<StorageAccountFailover.StorageFailoverOutcome>();
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            var finished = work.All(s => s != null && (s.Outcome == StepOutcome.Succeeded || s.Outcome == StepOutcome.AlreadyDone));
            var changed = work.Any(s => s != null && s.Changes.Count > 0);
            var action = failed != null ? StorageRecoveryAction.Failed
                : !finished ? StorageRecoveryAction.Skipped
                : changed ? (newAccount == null ? StorageRecoveryAction.FailedOver : StorageRecoveryAction.Created)
                : StorageRecoveryAction.AlreadyPrimary;
            var result = new StorageRecoveryResult
            {
                StorageAccountName = newAccount ?? request.StorageAccountName,
                Action = action,
                PrimaryLocation = outcome?.PrimaryLocation,
                LastSyncTime = outcome?.LastSyncTime,
                SecretName = newAccount == null ? null : request.SecretName,
                WebAppName = request.RestartApp?.Name,
                TimeToHealthy = WebAppRestartStep.Outcome(report)?.TimeToHealthy,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
            if (outcome?.FailoverType == StorageAccountFailover.Planned) result.DataLossWindow = TimeSpan.Zero;
            else if (outcome?.FailoverType == StorageAccountFailover.Unplanned && result.LastSyncTime is { } last)
                result.DataLossWindow = report.StartedAt > last ? report.StartedAt - last : TimeSpan.Zero;
            yield return result;
        }
    }
}
