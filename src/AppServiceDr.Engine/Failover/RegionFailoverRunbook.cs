using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Storage;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Failover
{
    /// <summary>Seed 004 scenario 3 with the tier 3 setup in place: what to switch to the secondary region.</summary>
    public sealed class RegionFailoverRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group of the secondary SQL server.</summary>
        public string ResourceGroupName { get; set; } = "";
        /// <summary>The SQL server that is secondary in the failover group and is to become primary.</summary>
        public string ServerName { get; set; } = "";
        public string FailoverGroupName { get; set; } = "";
        /// <summary>Use forceFailoverAllowDataLoss (after confirmation): for when the primary region is down.</summary>
        public bool AllowDataLoss { get; set; }
        /// <summary>With <see cref="AllowDataLoss"/>: try the planned failover first and force only if it fails.</summary>
        public bool TryPlannedBeforeForcedFailover { get; set; }
        /// <summary>A geo-redundant storage account to fail over too (optional).</summary>
        public string? StorageAccountName { get; set; }
        public string? StorageAccountResourceGroupName { get; set; }
        /// <summary>A Traffic Manager profile (priority routing) whose secondary endpoint is to become the active one.</summary>
        public string? TrafficManagerProfileName { get; set; }
        public string? TrafficManagerResourceGroupName { get; set; }
        /// <summary>The endpoint to make active. Default: the endpoint targeting <see cref="SecondaryApp"/>.</summary>
        public string? TrafficManagerEndpointName { get; set; }
        /// <summary>The app in the secondary region, restarted and verified healthy after the data tier moved.</summary>
        public WebAppTarget? SecondaryApp { get; set; }
        /// <summary>How long one failover operation may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(1);

        /// <summary>Filled by the pre-flight: the group's partner (the primary until the failover) and both regions.</summary>
        public string PrimaryServerId { get; set; } = "";
        public string PrimaryLocation { get; set; } = "";
        public string SecondaryLocation { get; set; } = "";
        /// <summary>Filled by the pre-flight: where the storage account is to be primary and the failover that gets it there.</summary>
        public string? StorageTargetLocation { get; set; }
        public string? StorageFailoverType { get; set; }
        /// <summary>Filled by the pre-flight: the Traffic Manager endpoint to activate, and its type.</summary>
        public string? TrafficManagerEndpointType { get; set; }
    }

    /// <summary>
    /// Path A of a region failover (high availability already in place): fail the SQL failover group over to
    /// its secondary, optionally fail the storage account over, restart and verify the secondary app, then
    /// make its Traffic Manager endpoint the active priority. Every check runs before any change; every step
    /// looks at the world first, so a repeated run changes nothing.
    /// </summary>
    public sealed class RegionFailoverRunbook : Runbook<RegionFailoverRequest, RegionFailoverResult>
    {
        private const string SqlStep = "sql-failover";
        private const string StorageStep = "storage-failover";
        private const string TrafficStep = "traffic-manager";

        public override string Name => "RegionFailover";
        public override string Command => "Invoke-RegionFailover";

        /// <summary>What the SQL failover step publishes: how the group was switched (null: it was primary already).</summary>
        private sealed class SqlFailoverOutcome
        {
            public string? Mode { get; set; }
        }

        /// <summary>What the Traffic Manager step publishes.</summary>
        private sealed class TrafficOutcome
        {
            public string ActiveEndpoint { get; set; } = "";
        }

        /// <summary>Checks everything the failover needs (all problems are reported together, nothing is
        /// changed) and completes the request with what it found.</summary>
        protected internal override async Task PreflightAsync(RunContext run, RegionFailoverRequest request, CancellationToken ct)
        {
            Validate(request);
            var azure = run.Azure;
            var preflight = new Preflight();

            await preflight.CheckAsync(async () =>
            {
                var group = await azure.Arm.GetAsync(GroupId(request), ArmApi.SqlServers, ct).ConfigureAwait(false)
                    ?? throw DrException.Precondition("FailoverGroupNotFound", DrErrorCategory.ObjectNotFound,
                        $"Failover group '{request.FailoverGroupName}' was not found on server '{request.ServerName}' in resource group '{request.ResourceGroupName}'.", request.FailoverGroupName);
                request.SecondaryLocation = Text(group, "location") ?? "";
                var partner = group.GetProperty("properties").GetProperty("partnerServers").EnumerateArray().FirstOrDefault();
                request.PrimaryServerId = partner.ValueKind == JsonValueKind.Object ? Text(partner, "id") ?? "" : "";
                request.PrimaryLocation = partner.ValueKind == JsonValueKind.Object ? Text(partner, "location") ?? "" : "";
            }).ConfigureAwait(false);

            if (request.StorageAccountName != null)
                await preflight.CheckAsync(async () =>
                {
                    var account = await StorageAccountFailover.GetAsync(azure.Arm, AccountId(request), ct).ConfigureAwait(false)
                        ?? throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                            $"Storage account '{request.StorageAccountName}' was not found in resource group '{StorageGroup(request)}'.", request.StorageAccountName);
                    if (request.SecondaryLocation.Length > 0 && SameRegion(StorageAccountFailover.PrimaryLocation(account), request.SecondaryLocation))
                    {
                        // An earlier failover already made the SQL secondary's region the account's primary.
                        request.StorageTargetLocation = request.SecondaryLocation;
                        request.StorageFailoverType = StorageAccountFailover.NoFailover;
                        return;
                    }
                    (request.StorageTargetLocation, request.StorageFailoverType) = StorageAccountFailover.Decide(account, request.StorageAccountName, planned: null);
                }).ConfigureAwait(false);

            if (request.SecondaryApp != null)
                await preflight.CheckAsync(() => new WebApps(azure).GetHealthUrlAsync(request.SecondaryApp, ct)).ConfigureAwait(false);

            if (request.TrafficManagerProfileName != null)
                await preflight.CheckAsync(async () =>
                {
                    var profile = await azure.Arm.GetAsync(ProfileId(request), ArmApi.TrafficManagerProfiles, ct).ConfigureAwait(false)
                        ?? throw DrException.Precondition("TrafficManagerProfileNotFound", DrErrorCategory.ObjectNotFound,
                            $"Traffic Manager profile '{request.TrafficManagerProfileName}' was not found in resource group '{ProfileGroup(request)}'.", request.TrafficManagerProfileName);
                    var routing = PropertyText(profile, "trafficRoutingMethod");
                    if (!string.Equals(routing, "Priority", StringComparison.OrdinalIgnoreCase))
                        throw DrException.Precondition("TrafficManagerNotPriorityRouting", DrErrorCategory.InvalidOperation,
                            $"Traffic Manager profile '{request.TrafficManagerProfileName}' routes by '{routing}', not Priority; there is no active endpoint to switch.", request.TrafficManagerProfileName);
                    var endpoint = FindEndpoint(Endpoints(profile), request.TrafficManagerEndpointName, request.SecondaryApp)
                        ?? throw DrException.Precondition("TrafficManagerEndpointNotFound", DrErrorCategory.ObjectNotFound,
                            request.TrafficManagerEndpointName != null
                                ? $"Profile '{request.TrafficManagerProfileName}' has no endpoint '{request.TrafficManagerEndpointName}'."
                                : $"Profile '{request.TrafficManagerProfileName}' has no endpoint targeting the secondary app; name it with -TrafficManagerEndpointName.",
                            request.TrafficManagerProfileName);
                    request.TrafficManagerEndpointName = Text(endpoint, "name");
                    request.TrafficManagerEndpointType = Text(endpoint, "type");
                }).ConfigureAwait(false);

            preflight.ThrowIfAny("RegionFailoverPreflightFailed", "failover");
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, RegionFailoverRequest request)
        {
            var azure = run.Azure;
            var mode = !request.AllowDataLoss ? "planned failover"
                : request.TryPlannedBeforeForcedFailover ? "planned failover, forced with data loss if that fails"
                : "forced failover with data loss";
            var steps = new List<RunbookStep>
            {
                new RunbookStep(SqlStep, $"Fail over SQL failover group {request.FailoverGroupName} to {request.ServerName} in {request.SecondaryLocation} ({mode})",
                    ctx => SqlFailoverAsync(azure, request, ctx)),
            };
            if (request.StorageAccountName != null)
            {
                var storage = new StorageAccountFailover(azure, AccountId(request), request.StorageAccountName, request.StorageTargetLocation!,
                    planned: null, request.Timeout, StorageLossAccounting.SyncLagAtFailover);
                steps.Add(new RunbookStep(StorageStep, StorageAccountFailover.Plan(request.StorageAccountName, request.StorageTargetLocation!, request.StorageFailoverType!),
                    storage.RunAsync));
            }
            var dataTier = steps.Select(s => s.Id).ToArray();
            var lastBeforeTraffic = dataTier;
            if (request.SecondaryApp != null)
            {
                var step = WebAppRestartStep.Create(request.SecondaryApp, dataTier, onlyAfterChange: true, "in the secondary region");
                steps.Add(step);
                lastBeforeTraffic = new[] { step.Id };
            }
            if (request.TrafficManagerProfileName != null)
                steps.Add(new RunbookStep(TrafficStep, $"Make endpoint {request.TrafficManagerEndpointName} of Traffic Manager profile {request.TrafficManagerProfileName} the active priority",
                    ctx => TrafficManagerAsync(azure, request, request.TrafficManagerEndpointName!, ctx), lastBeforeTraffic));
            return steps;
        }

        protected internal override IEnumerable<RegionFailoverResult> Results(RegionFailoverRequest request, RunReport report)
        {
            StepReport? Step(string id) => report.Steps.FirstOrDefault(s => s.StepId == id);
            var storage = Step(StorageStep)?.Published<StorageAccountFailover.StorageFailoverOutcome>();
            var restart = WebAppRestartStep.Outcome(report);
            yield return RegionResults.Build(report, RegionFailoverPath.FailoverGroup, request.SecondaryLocation, request.ServerName, r =>
            {
                r.SqlMode = Step(SqlStep)?.Published<SqlFailoverOutcome>()?.Mode;
                r.StorageAccountName = request.StorageAccountName;
                r.StoragePrimaryLocation = storage?.PrimaryLocation;
                r.ActiveEndpoint = Step(TrafficStep)?.Published<TrafficOutcome>()?.ActiveEndpoint;
                r.WebAppName = request.SecondaryApp?.Name;
            });
        }

        // ---------------------------------------------------------------- SQL failover group

        private static async Task<StepResult> SqlFailoverAsync(AzureConnection azure, RegionFailoverRequest request, StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var groupId = GroupId(request);
            var started = ctx.GetCheckpoint("operation");
            if (await IsPrimaryAsync(azure, groupId, ct).ConfigureAwait(false))
            {
                ctx.Publish(new SqlFailoverOutcome { Mode = started == null ? null : ctx.GetCheckpoint("forced") == "True" ? "Forced" : "Planned" });
                return started == null
                    ? StepResult.AlreadyDone($"{request.ServerName} is already the primary of {request.FailoverGroupName}.")
                    : StepResult.Done($"{request.ServerName} is the primary of {request.FailoverGroupName}.");
            }
            var forced = false;
            var settled = false;   // an operation this step started has already ended well
            if (started != null)
            {
                // Interrupted while the service was failing over: follow the operation already started.
                forced = ctx.GetCheckpoint("forced") == "True";
                var error = await TryWaitAsync(azure, LroHandle.Parse(started), request.Timeout, ctx).ConfigureAwait(false);
                if (error != null && forced) throw error;
                if (error != null && !request.AllowDataLoss) throw PlannedFailed(request, error);
                forced |= error != null;
                settled = error == null;
            }
            else
            {
                if (!ctx.ShouldProcess(request.FailoverGroupName, ctx.Step.Plan)) return StepResult.Declined("Failover group not switched.");
                forced = request.AllowDataLoss && !request.TryPlannedBeforeForcedFailover;
                if (!forced)
                {
                    var error = await FailoverAsync(azure, request, groupId, forced: false, ctx).ConfigureAwait(false);
                    if (error != null && !request.AllowDataLoss) throw PlannedFailed(request, error);
                    forced = error != null;
                    if (forced) ctx.Host.Warning($"The planned failover of {request.FailoverGroupName} failed ({error!.ErrorId}); forcing it with possible data loss.");
                }
            }
            if (forced && !settled)
            {
                if (!ctx.Host.ShouldContinue(
                        $"Force the failover of '{request.FailoverGroupName}' to '{request.ServerName}'? Transactions committed on the old primary and not yet replicated are lost.",
                        "Forced failover with data loss"))
                    return StepResult.Declined("Forced failover not confirmed; the failover group was not switched.");
                var error = await FailoverAsync(azure, request, groupId, forced: true, ctx).ConfigureAwait(false);
                if (error != null) throw error;
            }
            if (!await IsPrimaryAsync(azure, groupId, ct).ConfigureAwait(false))
                throw new DrException("FailoverGroupNotSwitched", DrErrorCategory.InvalidOperation,
                    $"The failover of {request.FailoverGroupName} completed but {request.ServerName} still reports the Secondary role.", request.FailoverGroupName);
            ctx.Publish(new SqlFailoverOutcome { Mode = forced ? "Forced" : "Planned" });
            if (forced)
            {
                ctx.Host.Warning($"{request.FailoverGroupName} was forced over to {request.ServerName}: transactions not replicated before the outage are lost (the failover group does not report how many).");
                return StepResult.Done($"{request.ServerName} is the primary of {request.FailoverGroupName} (forced: unreplicated transactions may be lost).");
            }
            ctx.ReportDataLoss(TimeSpan.Zero, $"planned failover of {request.FailoverGroupName}: the secondary was synchronised before the switch");
            return StepResult.Done($"{request.ServerName} is the primary of {request.FailoverGroupName} (planned, no data loss).");
        }

        /// <summary>The service's answer to a failover sent to a server that is primary already.</summary>
        private const string RequestOnPrimary = "FailoverGroupFailoverRequestOnPrimary";
        /// <summary>The service's answer to a failover sent while another failover of the group runs.</summary>
        private const string GroupBusy = "FailoverGroupBusy";

        /// <summary>
        /// Starts one failover and waits for it; the service's error when it ends in failure. The POST is never
        /// sent again blindly when its answer is lost: the group is read first. Primary already: the failover
        /// landed and finished. Still secondary: it is sent again, and the service's answer settles what happened
        /// to the first one (409 FailoverGroupBusy: it is still running, so the group is watched until it is
        /// primary; 400 on the primary: it finished meanwhile).
        /// </summary>
        private static async Task<DrException?> FailoverAsync(AzureConnection azure, RegionFailoverRequest request, string groupId, bool forced, StepContext ctx)
        {
            var action = forced ? "/forceFailoverAllowDataLoss" : "/failover";
            var change = (forced ? "forced failover" : "planned failover") + $" of {request.FailoverGroupName} to {request.ServerName} started";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var lost = false;
            while (true)
            {
                if (lost && await IsPrimaryAsync(azure, groupId, ctx.CancellationToken).ConfigureAwait(false)) break;
                LroHandle? handle;
                try
                {
                    (_, handle) = await azure.Arm.StartAsync(RequestMethod.Post, groupId + action, ArmApi.SqlServers, null, ctx.CancellationToken, resendWhenAnswerLost: false).ConfigureAwait(false);
                }
                catch (DrException ex) when (ex.ErrorId == ArmRestClient.AnswerLostErrorId || (lost && (ex.ErrorId == GroupBusy || ex.ErrorId == RequestOnPrimary)))
                {
                    if (ex.ErrorId == RequestOnPrimary) break;
                    if (clock.Elapsed > request.Timeout)
                        throw new DrException("FailoverGroupNotSwitched", DrErrorCategory.OperationTimeout,
                            $"The failover of {request.FailoverGroupName} sent to {request.ServerName} was not settled after {request.Timeout.TotalMinutes:0.#} min ({ex.ErrorId}). Run again: it is not sent twice.", request.FailoverGroupName, ex);
                    ctx.Host.Verbose($"[{ctx.Step.Id}] {ex.Message} Reading the failover group before deciding.");
                    lost = true;
                    await Task.Delay(azure.Environment.DefaultPollInterval, ctx.CancellationToken).ConfigureAwait(false);
                    continue;
                }
                ctx.RecordChange(change);
                if (handle == null) return null;
                ctx.Checkpoint("forced", forced.ToString());
                ctx.Checkpoint("operation", handle.Serialize());
                return await TryWaitAsync(azure, handle, request.Timeout, ctx).ConfigureAwait(false);
            }
            // The failover sent before its answer was lost has landed and finished.
            ctx.RecordChange(change);
            return null;
        }

        private static async Task<DrException?> TryWaitAsync(AzureConnection azure, LroHandle handle, TimeSpan timeout, StepContext ctx)
        {
            try
            {
                await azure.Arm.WaitAsync(handle, timeout, s => ctx.Progress("Failing over: " + s), ctx.CancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (DrException ex) when (ex.Category == DrErrorCategory.InvalidOperation)
            {
                return ex;
            }
        }

        private static DrException PlannedFailed(RegionFailoverRequest request, DrException error) =>
            new DrException(error.ErrorId, error.Category,
                $"The planned failover of {request.FailoverGroupName} did not complete: {error.Message} If the primary region is down, run again with -AllowDataLoss (forced failover).",
                request.FailoverGroupName, error);

        private static async Task<bool> IsPrimaryAsync(AzureConnection azure, string groupId, CancellationToken ct)
        {
            var group = await azure.Arm.GetAsync(groupId, ArmApi.SqlServers, ct).ConfigureAwait(false)
                ?? throw new DrException("FailoverGroupNotFound", DrErrorCategory.ObjectNotFound, $"Failover group {Last(groupId)} no longer exists.", Last(groupId));
            return string.Equals(PropertyText(group, "replicationRole"), "Primary", StringComparison.OrdinalIgnoreCase);
        }

        // ---------------------------------------------------------------- Traffic Manager

        private static async Task<StepResult> TrafficManagerAsync(AzureConnection azure, RegionFailoverRequest request, string endpointName, StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var profileId = ProfileId(request);
            var profile = await azure.Arm.GetAsync(profileId, ArmApi.TrafficManagerProfiles, ct).ConfigureAwait(false)
                ?? throw new DrException("TrafficManagerProfileNotFound", DrErrorCategory.ObjectNotFound, $"Traffic Manager profile '{request.TrafficManagerProfileName}' no longer exists.", request.TrafficManagerProfileName);
            var endpoints = Endpoints(profile).ToList();
            if (IsActivePriority(endpoints, endpointName))
            {
                ctx.Publish(new TrafficOutcome { ActiveEndpoint = endpointName });
                return StepResult.AlreadyDone($"{endpointName} already has the highest priority in {request.TrafficManagerProfileName}.");
            }
            if (!ctx.ShouldProcess(request.TrafficManagerProfileName!, ctx.Step.Plan)) return StepResult.Declined("Traffic Manager not switched.");
            var body = ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                w.WriteStartArray("endpoints");
                // The same priority values, handed out again with the chosen endpoint first: one request, never two endpoints sharing a priority.
                var priorities = endpoints.Select(Priority).OrderBy(p => p).ToList();
                var order = endpoints.Where(e => IsNamed(e, endpointName)).Concat(endpoints.Where(e => !IsNamed(e, endpointName)).OrderBy(Priority)).ToList();
                for (var i = 0; i < order.Count; i++)
                {
                    var e = order[i];
                    w.WriteStartObject();
                    w.WriteString("name", Text(e, "name"));
                    w.WriteString("type", Text(e, "type"));
                    w.WriteStartObject("properties");
                    foreach (var p in e.GetProperty("properties").EnumerateObject())
                    {
                        if (p.NameEquals("priority") || p.NameEquals("endpointMonitorStatus")) continue;
                        if (p.NameEquals("endpointStatus") && IsNamed(e, endpointName)) continue;
                        p.WriteTo(w);
                    }
                    w.WriteNumber("priority", priorities[i]);
                    if (IsNamed(e, endpointName)) w.WriteString("endpointStatus", "Enabled");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            await azure.Arm.SendAsync(RequestMethod.Patch, profileId, ArmApi.TrafficManagerProfiles, body, ct).ConfigureAwait(false);
            ctx.RecordChange($"made {endpointName} the first priority of Traffic Manager profile {request.TrafficManagerProfileName}");
            var after = await azure.Arm.GetAsync(profileId, ArmApi.TrafficManagerProfiles, ct).ConfigureAwait(false);
            var updated = after is { } a ? Endpoints(a).ToList() : new List<JsonElement>();
            if (!IsActivePriority(updated, endpointName))
                throw new DrException("TrafficManagerNotSwitched", DrErrorCategory.InvalidOperation,
                    $"Traffic Manager profile '{request.TrafficManagerProfileName}' did not keep {endpointName} as its first priority.", request.TrafficManagerProfileName);
            var status = updated.Where(e => IsNamed(e, endpointName)).Select(e => PropertyText(e, "endpointMonitorStatus")).FirstOrDefault();
            ctx.Publish(new TrafficOutcome { ActiveEndpoint = endpointName });
            return StepResult.Done($"{endpointName} is the first priority of {request.TrafficManagerProfileName} (monitor status {status ?? "unknown"}).");
        }

        private static bool IsActivePriority(IReadOnlyList<JsonElement> endpoints, string name)
        {
            var chosen = endpoints.FirstOrDefault(e => IsNamed(e, name));
            if (chosen.ValueKind != JsonValueKind.Object) return false;
            var enabled = !string.Equals(PropertyText(chosen, "endpointStatus"), "Disabled", StringComparison.OrdinalIgnoreCase);
            return enabled && endpoints.Where(e => !IsNamed(e, name)).All(e => Priority(e) > Priority(chosen));
        }

        private static JsonElement? FindEndpoint(IEnumerable<JsonElement> endpoints, string? name, WebAppTarget? app)
        {
            foreach (var e in endpoints)
            {
                if (name != null ? IsNamed(e, name)
                    : app != null && string.Equals(PropertyText(e, "targetResourceId"), app.ResourceId, StringComparison.OrdinalIgnoreCase))
                    return e;
            }
            return null;
        }

        private static IEnumerable<JsonElement> Endpoints(JsonElement profile) => TrafficManagerEndpoints.Of(profile);

        private static bool IsNamed(JsonElement endpoint, string name) => TrafficManagerEndpoints.IsNamed(endpoint, name);

        private static int Priority(JsonElement endpoint) => TrafficManagerEndpoints.Priority(endpoint) ?? int.MaxValue;

        // ---------------------------------------------------------------- helpers

        private static void Validate(RegionFailoverRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.ServerName, r.FailoverGroupName);
            if (r.TryPlannedBeforeForcedFailover && !r.AllowDataLoss)
                throw DrException.Precondition("TryPlannedNeedsAllowDataLoss", DrErrorCategory.InvalidArgument,
                    "-TryPlannedBeforeForcedFailover only changes what -AllowDataLoss does; give both, or neither (a planned failover is the default).", r.FailoverGroupName);
            if (r.StorageAccountName != null) ArmPath.Validate(r.SubscriptionId, StorageGroup(r), r.StorageAccountName);
            if (r.TrafficManagerProfileName != null) ArmPath.Validate(r.SubscriptionId, ProfileGroup(r), r.TrafficManagerProfileName);
            if (r.TrafficManagerProfileName != null && r.TrafficManagerEndpointName == null && r.SecondaryApp == null)
                throw DrException.Precondition("TrafficManagerEndpointUnknown", DrErrorCategory.InvalidArgument,
                    "Name the endpoint to activate with -TrafficManagerEndpointName, or give the secondary app it targets.", r.TrafficManagerProfileName);
        }

        private static string StorageGroup(RegionFailoverRequest r) => r.StorageAccountResourceGroupName ?? r.ResourceGroupName;
        private static string ProfileGroup(RegionFailoverRequest r) => r.TrafficManagerResourceGroupName ?? r.ResourceGroupName;

        private static string GroupId(RegionFailoverRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers/failoverGroups", r.ServerName, r.FailoverGroupName);

        private static string AccountId(RegionFailoverRequest r) =>
            StorageAccountFailover.AccountId(r.SubscriptionId, StorageGroup(r), r.StorageAccountName!);

        private static string ProfileId(RegionFailoverRequest r) =>
            ArmPath.Resource(r.SubscriptionId, ProfileGroup(r), "Microsoft.Network/trafficManagerProfiles", r.TrafficManagerProfileName!);

        private static string Last(string id) => Uri.UnescapeDataString(id.Substring(id.LastIndexOf('/') + 1));


    }
}
