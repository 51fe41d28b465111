using System;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Storage
{
    /// <summary>How a storage failover step measures the data an unplanned failover can lose. A planned
    /// failover loses nothing either way: the secondary is synchronised before the switch.</summary>
    internal enum StorageLossAccounting
    {
        /// <summary>The replication lag when the failover is issued: now minus the last sync.</summary>
        SyncLagAtFailover,
        /// <summary>The run's start minus the last sync.</summary>
        UnplannedSinceRunStart,
    }

    /// <summary>
    /// Customer-initiated failover of one geo-redundant storage account, shared by every runbook that fails
    /// an account over: the pre-flight decision (planned, unplanned, or nothing to do) and the step itself.
    /// <para>
    /// Where an account is primary is <c>properties.primaryLocation</c>: a failover moves it to the former
    /// secondary region and leaves the top-level <c>location</c> (the region the account was created in) as it
    /// was, so <c>location</c> never tells whether a failover happened.
    /// </para>
    /// <para>
    /// The step asks ShouldProcess before the failover and, for an unplanned one, ShouldContinue (the data-loss
    /// question a cmdlet's -Force skips). The kind of failover it sends is checkpointed before the POST, and the
    /// POST is never resent blindly when its answer is lost: the account is read again, and a failover already
    /// under way (or done) is followed instead of being started a second time, which would swing a planned
    /// failover back or fail an unplanned one.
    /// </para>
    /// </summary>
    internal sealed class StorageAccountFailover
    {
        public const string AccountType = "Microsoft.Storage/storageAccounts";
        public const string Planned = "Planned";
        public const string Unplanned = "Unplanned";
        /// <summary>The account is already primary where wanted: the step only checks.</summary>
        public const string NoFailover = "None";
        private const string OperationCheckpoint = "operation";
        /// <summary>The failover type, saved just before the POST: proof that this step sent it.</summary>
        private const string IssuedCheckpoint = "issued";
        /// <summary>Saved once the failover is in the journal as a change, so it is recorded once.</summary>
        private const string RecordedCheckpoint = "recorded";

        private readonly AzureConnection _azure;
        private readonly string _accountId;
        private readonly string _name;
        private readonly string _target;
        private readonly bool? _planned;
        private readonly TimeSpan _timeout;
        private readonly StorageLossAccounting _accounting;

        /// <summary>A step failing the account over to <paramref name="targetLocation"/>. <paramref name="planned"/>:
        /// true for a planned failover only, false for an unplanned one only, null for planned when the account
        /// allows it and unplanned otherwise.</summary>
        public StorageAccountFailover(AzureConnection azure, string accountId, string name, string targetLocation, bool? planned, TimeSpan timeout, StorageLossAccounting accounting)
        {
            _azure = azure;
            _accountId = accountId;
            _name = name;
            _target = targetLocation;
            _planned = planned;
            _timeout = timeout;
            _accounting = accounting;
        }

        public static string AccountId(string subscriptionId, string resourceGroup, string name) =>
            ArmPath.Resource(subscriptionId, resourceGroup, AccountType, name);

        /// <summary>The account with its geo-replication statistics; null when it does not exist.</summary>
        public static Task<JsonElement?> GetAsync(ArmRestClient arm, string accountId, CancellationToken ct) =>
            arm.GetAsync(accountId, ArmApi.StorageAccounts, ct, "$expand=geoReplicationStats");

        /// <summary>The plan line of a failover step.</summary>
        public static string Plan(string name, string target, string failoverType) => failoverType == NoFailover
            ? $"Check that storage account {name} is primary in {target}"
            : $"Fail over storage account {name} to {target} ({failoverType}{(failoverType == Unplanned ? ": the account is left locally redundant" : "")})";

        /// <summary>
        /// Where a geo-redundant account would fail over to (its secondary region) and which failover it can do
        /// now (<paramref name="planned"/> as for the constructor). Throws (as a pre-flight problem) when it is not
        /// geo-redundant or cannot do the failover asked for.
        /// </summary>
        public static (string Target, string FailoverType) Decide(JsonElement account, string name, bool? planned)
        {
            if (InProgress(account))
                throw DrException.Precondition("StorageFailoverInProgress", DrErrorCategory.ResourceBusy,
                    $"A failover of storage account '{name}' is in progress. Resume the run that started it, or run again once it has finished.", name);
            var secondary = PropertyText(account, "secondaryLocation")
                ?? throw DrException.Precondition("StorageNotGeoRedundant", DrErrorCategory.InvalidOperation,
                    $"Storage account '{name}' has no secondary region (it is not GRS/RA-GRS/GZRS); it cannot be failed over.", name);
            var stats = GeoStats(account);
            var canPlanned = stats is { } p && Bool(p, "canPlannedFailover") == true;
            var canUnplanned = stats is { } u && Bool(u, "canFailover") == true;
            if (planned == true && !canPlanned) throw PlannedUnavailable(name, precondition: true);
            if ((planned ?? true) && canPlanned) return (secondary, Planned);
            if (canUnplanned) return (secondary, Unplanned);
            throw DrException.Precondition("StorageCannotFailover", DrErrorCategory.ResourceUnavailable,
                $"Storage account '{name}' reports that it cannot fail over now (geoReplicationStats.canFailover is not true).", name);
        }

        /// <summary>The region the account is primary in now (properties.primaryLocation), which a failover moves;
        /// the top-level location only when the service does not report it.</summary>
        public static string? PrimaryLocation(JsonElement account) => PropertyText(account, "primaryLocation") ?? Text(account, "location");

        public static JsonElement? GeoStats(JsonElement account) =>
            account.TryGetProperty("properties", out var p) && p.TryGetProperty("geoReplicationStats", out var g) && g.ValueKind == JsonValueKind.Object ? g : (JsonElement?)null;

        /// <summary>True while the service is failing the account over (properties.failoverInProgress).</summary>
        public static bool InProgress(JsonElement account) =>
            account.TryGetProperty("properties", out var p) && Bool(p, "failoverInProgress") == true;

        /// <summary>The step: fail the account over to the target region, or find it there already.</summary>
        public async Task<StepResult> RunAsync(StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var started = ctx.GetCheckpoint(OperationCheckpoint);
            var issued = ctx.GetCheckpoint(IssuedCheckpoint);
            var account = await RequireAsync(ct).ConfigureAwait(false);
            if (SameRegion(PrimaryLocation(account), _target))
                return Done(ctx, account, changed: started != null || issued != null, issued);
            LroHandle? handle;
            if (started != null)
            {
                handle = LroHandle.Parse(started);
            }
            else if (issued != null && InProgress(account))
            {
                // This step sent the failover and did not live to see its answer: follow it.
                handle = null;
            }
            else
            {
                // Sent before but neither under way nor done: it never arrived, and is sent again unasked.
                var again = issued != null;
                if (issued == null)
                {
                    issued = Confirm(ctx, account);
                    if (issued == null) return StepResult.Declined("Storage account not failed over.");
                    if (issued.Length == 0) return StepResult.Declined("Unplanned storage failover not confirmed; the account was not failed over.");
                    ctx.Checkpoint(IssuedCheckpoint, issued);
                }
                handle = await IssueAsync(ctx, issued, again).ConfigureAwait(false);
            }
            if (handle != null)
                await _azure.Arm.WaitAsync(handle, _timeout, p => ctx.Progress("Storage failover: " + p), ct).ConfigureAwait(false);
            else
                await FollowAsync(ctx).ConfigureAwait(false);
            account = await RequireAsync(ct).ConfigureAwait(false);
            if (!SameRegion(PrimaryLocation(account), _target))
                throw new DrException("StorageNotFailedOver", DrErrorCategory.InvalidOperation,
                    $"The failover of storage account '{_name}' completed but its primary is still {PrimaryLocation(account)}.", _name);
            return Done(ctx, account, changed: true, issued);
        }

        /// <summary>Decides the failover, asks, and states the data it can lose. Null: declined (ShouldProcess);
        /// empty: the data-loss question was answered no; otherwise the failover type to send.</summary>
        private string? Confirm(StepContext ctx, JsonElement account)
        {
            var stats = GeoStats(account);
            var canPlanned = stats is { } s && Bool(s, "canPlannedFailover") == true;
            if (_planned == true && !canPlanned) throw PlannedUnavailable(_name, precondition: false);
            var planned = (_planned ?? true) && canPlanned;
            if (!planned && (stats == null || Bool(stats.Value, "canFailover") != true))
                throw new DrException("StorageCannotFailover", DrErrorCategory.ResourceUnavailable,
                    $"Storage account '{_name}' reports that it cannot fail over now (geoReplicationStats.canFailover is not true).", _name);
            var lastSync = RecordLastSync(ctx, account);
            var after = stats is { } r ? Text(r, planned ? "postPlannedFailoverRedundancy" : "postFailoverRedundancy") : null;
            var action = planned
                ? $"Planned failover of storage account {_name} to {_target} (redundancy stays {after ?? "geo-redundant"})"
                : $"Unplanned failover of storage account {_name} to {_target}: writes after the last sync are lost and the account is left {after ?? "locally redundant"}";
            if (!ctx.ShouldProcess(_name, action)) return null;
            if (!planned && !ctx.Host.ShouldContinue(
                    $"Fail storage account '{_name}' over to '{_target}' without its primary? Writes after {(lastSync.HasValue ? ArmText.Iso(lastSync.Value) : "the last sync")} are lost, and the account becomes {after ?? "locally redundant"} until geo-redundancy is configured again.",
                    "Unplanned storage failover"))
                return "";
            ReportLoss(ctx, planned, lastSync);
            return planned ? Planned : Unplanned;
        }

        /// <summary>The last sync time the account reports (geoReplicationStats), published the first time it is
        /// read (before the failover, when it still means something), so a plan, a declined question or a run that
        /// changes nothing still reports it.</summary>
        private static DateTimeOffset? RecordLastSync(StepContext ctx, JsonElement account)
        {
            var lastSync = GeoStats(account) is { } stats ? Date(stats, "lastSyncTime") : null;
            var outcome = ctx.Published<StorageFailoverOutcome>(ctx.Step.Id) ?? new StorageFailoverOutcome();
            if (lastSync.HasValue && outcome.LastSyncTime == null)
            {
                outcome.LastSyncTime = lastSync;
                ctx.Publish(outcome);
            }
            return lastSync;
        }

        private void ReportLoss(StepContext ctx, bool planned, DateTimeOffset? lastSync)
        {
            if (planned)
            {
                ctx.ReportDataLoss(TimeSpan.Zero, $"planned failover of {_name}: the secondary is synchronised before the switch");
                return;
            }
            if (!lastSync.HasValue) return;
            var from = _accounting == StorageLossAccounting.UnplannedSinceRunStart ? ctx.RunStartedAt : DateTimeOffset.UtcNow;
            var window = from - lastSync.Value;
            ctx.ReportDataLoss(window < TimeSpan.Zero ? TimeSpan.Zero : window,
                $"storage account {_name}: writes after the last sync at {ArmText.Iso(lastSync.Value)} are not in the secondary");
        }

        /// <summary>Sends the failover once. A lost answer is settled by reading the account: a failover under
        /// way or done is followed (null is returned), one that never arrived is sent again. <paramref name="again"/>:
        /// an earlier attempt sent it already.</summary>
        private async Task<LroHandle?> IssueAsync(StepContext ctx, string failoverType, bool again)
        {
            var ct = ctx.CancellationToken;
            var planned = failoverType == Planned;
            for (var lost = 0; ; lost++)
            {
                LroHandle? handle;
                try
                {
                    (_, handle) = await _azure.Arm.StartAsync(RequestMethod.Post, _accountId + "/failover", ArmApi.StorageAccounts, null, ct,
                        planned ? "failoverType=Planned" : null, resendWhenAnswerLost: false).ConfigureAwait(false);
                }
                catch (DrException ex) when (ex.ErrorId == ArmRestClient.AnswerLostErrorId && lost < Math.Max(1, _azure.Environment.MaxRetries))
                {
                    ctx.Host.Verbose($"[{ctx.Step.Id}] {ex.Message} Reading the account before deciding.");
                    var now = await RequireAsync(ct).ConfigureAwait(false);
                    // Primary in the target already: the failover arrived and finished. Sending it again would fail back.
                    if (!SameRegion(PrimaryLocation(now), _target) && !InProgress(now)) continue;
                    Started(ctx, failoverType);
                    return null;
                }
                catch (DrException ex) when (ex.ErrorId == "FailoverInProgress" && (again || lost > 0))
                {
                    // A failover sent earlier arrived although its answer did not.
                    ctx.Host.Verbose($"[{ctx.Step.Id}] A failover of {_name} is already in progress; following it.");
                    return null;
                }
                Started(ctx, failoverType);
                if (handle != null) ctx.Checkpoint(OperationCheckpoint, handle.Serialize());
                return handle;
            }
        }

        /// <summary>Journals the failover once, however many attempts it took to learn that it started.</summary>
        private void Started(StepContext ctx, string failoverType)
        {
            if (ctx.GetCheckpoint(RecordedCheckpoint) != null) return;
            ctx.RecordChange($"{failoverType.ToLowerInvariant()} failover of storage account {_name} to {_target} started");
            ctx.Checkpoint(RecordedCheckpoint, failoverType);
            var outcome = ctx.Published<StorageFailoverOutcome>(ctx.Step.Id) ?? new StorageFailoverOutcome();
            outcome.FailoverType = failoverType;
            ctx.Publish(outcome);
        }

        /// <summary>Waits, by reading the account, for a failover whose operation handle is unknown.</summary>
        private Task FollowAsync(StepContext ctx) =>
            ctx.WaitAsync($"Waiting for the failover of storage account {_name}", _timeout, _azure.Environment.DefaultPollInterval,
                async ct => InProgress(await RequireAsync(ct).ConfigureAwait(false)) ? WaitProbe<bool>.Pending("failover in progress") : WaitProbe<bool>.Done(true),
                elapsed => new DrException("StorageFailoverTimedOut", DrErrorCategory.OperationTimeout,
                    $"The failover of storage account '{_name}' was still in progress after {_timeout.TotalMinutes:0.#} min. Run again later: it is followed, not started again.", _name));

        private StepResult Done(StepContext ctx, JsonElement account, bool changed, string? issued)
        {
            var sku = account.TryGetProperty("sku", out var s) ? Text(s, "name") : null;
            var location = PrimaryLocation(account);
            RecordLastSync(ctx, account);
            if (changed && issued != null) Started(ctx, issued);
            var outcome = ctx.Published<StorageFailoverOutcome>(ctx.Step.Id) ?? new StorageFailoverOutcome();
            outcome.PrimaryLocation = location;
            outcome.Sku = sku;
            ctx.Publish(outcome);
            var geo = PropertyText(account, "secondaryLocation");
            var note = $"Storage account {_name} is primary in {location} ({sku})"
                       + (geo == null ? ": it is locally redundant now; configure geo-redundancy again once the old region is back." : $", replicating to {geo}.");
            if (changed && geo == null) ctx.Host.Warning(note);
            return changed ? StepResult.Done(note) : StepResult.AlreadyDone(note);
        }

        private async Task<JsonElement> RequireAsync(CancellationToken ct) =>
            await GetAsync(_azure.Arm, _accountId, ct).ConfigureAwait(false)
            ?? throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{_name}' no longer exists.", _name);

        private static DrException PlannedUnavailable(string name, bool precondition) =>
            new DrException("StoragePlannedFailoverUnavailable", DrErrorCategory.ResourceUnavailable,
                $"Storage account '{name}' reports that it cannot do a planned failover now (geoReplicationStats.canPlannedFailover is not true: it needs both regions available). The unplanned failover works without the primary, but it can lose the writes made after the last sync.",
                name) { IsPrecondition = precondition };

        /// <summary>What a failover step publishes: the primary region it ended in, the last sync time it read before
        /// the failover, the failover it sent (none when the account was primary there already), the sku after.</summary>
        internal sealed class StorageFailoverOutcome
        {
            public string? PrimaryLocation { get; set; }
            public DateTimeOffset? LastSyncTime { get; set; }
            public string? FailoverType { get; set; }
            public string? Sku { get; set; }
        }

        internal static bool? Bool(JsonElement e, string property) =>
            e.TryGetProperty(property, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : (bool?)null;

        internal static DateTimeOffset? Date(JsonElement e, string property) =>
            Text(e, property) is string s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : (DateTimeOffset?)null;
    }
}
