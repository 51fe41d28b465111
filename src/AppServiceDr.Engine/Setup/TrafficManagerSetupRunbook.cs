using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Setup
{
    /// <summary>Seed 004 tier 3: Traffic Manager in front of the app in two regions, the primary first.</summary>
    public sealed class TrafficManagerSetupRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group of the profile.</summary>
        public string ResourceGroupName { get; set; } = "";
        public string ProfileName { get; set; } = "";
        /// <summary>The DNS name under trafficmanager.net. Default: the profile's name.</summary>
        public string? RelativeDnsName { get; set; }
        /// <summary>The path probed on each endpoint (the app's health path).</summary>
        public string MonitorPath { get; set; } = "/";
        public string MonitorProtocol { get; set; } = "HTTPS";
        public int MonitorPort { get; set; } = 443;
        /// <summary>DNS time to live, in seconds: how long clients keep the answer after a failover.</summary>
        public int Ttl { get; set; } = 30;
        public WebAppTarget PrimaryApp { get; set; } = new WebAppTarget();
        public WebAppTarget SecondaryApp { get; set; } = new WebAppTarget();
        public string PrimaryEndpointName { get; set; } = "primary";
        public string SecondaryEndpointName { get; set; } = "secondary";
        /// <summary>How long to wait for Traffic Manager's first probe of the endpoints.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>Filled by the pre-flight.</summary>
        public bool ProfileExisted { get; set; }

        internal string DnsName => RelativeDnsName ?? ProfileName;
    }

    /// <summary>
    /// Makes the tier 3 Traffic Manager setup true: <c>profile</c> creates the priority-routed profile (after checking
    /// that its DNS name is free) or sets its probe (protocol, port, path) when it differs; <c>endpoint:primary</c> and
    /// <c>endpoint:secondary</c> add each app as an Azure endpoint (priority 1 and 2) when it is not one yet, and wait
    /// for Traffic Manager's first probe. An endpoint that exists keeps its priority: after a region failover made the
    /// secondary first, running the setup again does not fail traffic back.
    /// </summary>
    public sealed class TrafficManagerSetupRunbook : Runbook<TrafficManagerSetupRequest, TrafficManagerSetupResult>
    {
        internal static readonly ArmApi Api = ArmApi.TrafficManagerProfiles;
        private const string ProfileStep = "profile";
        private const string EndpointPrefix = "endpoint:";

        public override string Name => "TrafficManagerSetup";
        public override string Command => "Set-TrafficManagerFailover";

        /// <summary>The name clients resolve, as the profile reports it.</summary>
        private sealed class ProfileOutcome
        {
            public string? Fqdn { get; set; }
        }

        /// <summary>What an endpoint step saw once the endpoint was in place.</summary>
        private sealed class EndpointOutcome
        {
            public int? Priority { get; set; }
            public string? MonitorStatus { get; set; }
        }

        protected internal override async Task PreflightAsync(RunContext run, TrafficManagerSetupRequest request, CancellationToken ct)
        {
            Validate(request);
            var azure = run.Azure;
            var checks = new Preflight();
            var apps = new WebApps(azure);
            await checks.CheckAsync(() => apps.GetHealthUrlAsync(request.PrimaryApp, ct)).ConfigureAwait(false);
            await checks.CheckAsync(() => apps.GetHealthUrlAsync(request.SecondaryApp, ct)).ConfigureAwait(false);
            await checks.CheckAsync(async () =>
            {
                var profile = await azure.Arm.GetAsync(ProfileId(request), Api, ct).ConfigureAwait(false);
                request.ProfileExisted = profile != null;
                if (profile is { } p)
                {
                    var routing = PropertyText(p, "trafficRoutingMethod");
                    if (!string.Equals(routing, "Priority", StringComparison.OrdinalIgnoreCase))
                        throw DrException.Precondition("TrafficManagerNotPriorityRouting", DrErrorCategory.InvalidOperation,
                            $"Traffic Manager profile '{request.ProfileName}' routes by '{routing}', not Priority; the setup does not change a profile's routing method.", request.ProfileName);
                    var relative = p.TryGetProperty("properties", out var props) && props.TryGetProperty("dnsConfig", out var dns) ? Text(dns, "relativeName") : null;
                    if (!string.Equals(relative, request.DnsName, StringComparison.OrdinalIgnoreCase))
                        throw DrException.Precondition("TrafficManagerDnsNameDiffers", DrErrorCategory.InvalidArgument,
                            $"Traffic Manager profile '{request.ProfileName}' answers as '{relative}', not '{request.DnsName}'; a profile's DNS name cannot change.", request.ProfileName);
                    foreach (var (name, app) in new[] { (request.PrimaryEndpointName, request.PrimaryApp), (request.SecondaryEndpointName, request.SecondaryApp) })
                    {
                        var endpoint = Endpoints(p).FirstOrDefault(e => TrafficManagerEndpoints.IsNamed(e, name));
                        if (endpoint.ValueKind == JsonValueKind.Object && !Targets(endpoint, app))
                            throw DrException.Precondition("TrafficManagerEndpointTargetsAnotherApp", DrErrorCategory.InvalidArgument,
                                $"Endpoint '{name}' of profile '{request.ProfileName}' targets '{PropertyText(endpoint, "targetResourceId") ?? PropertyText(endpoint, "target")}', not app '{app.Name}'.", name);
                    }
                    return;
                }
                var body = ArmText.Body(w =>
                {
                    w.WriteString("name", request.DnsName);
                    w.WriteString("type", "Microsoft.Network/trafficManagerProfiles");
                });
                var check = await azure.Arm.SendAsync(RequestMethod.Post,
                    "/subscriptions/" + ArmPath.Escape(request.SubscriptionId) + "/providers/Microsoft.Network/checkTrafficManagerNameAvailabilityV2", Api, body, ct).ConfigureAwait(false);
                if (check.Body is { } answer && answer.TryGetProperty("nameAvailable", out var available) && available.ValueKind == JsonValueKind.False)
                    throw DrException.Precondition("TrafficManagerNameTaken", DrErrorCategory.ResourceExists,
                        $"The Traffic Manager name '{request.DnsName}' is taken ({Text(answer, "message") ?? Text(answer, "reason")}). Choose another -RelativeDnsName.", request.DnsName);
            }).ConfigureAwait(false);
            checks.ThrowIfAny("TrafficManagerSetupPreflightFailed", "Traffic Manager setup");
        }

        private static void Validate(TrafficManagerSetupRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.ProfileName);
            r.PrimaryApp.Validate();
            r.SecondaryApp.Validate();
            if (string.Equals(r.PrimaryApp.ResourceId, r.SecondaryApp.ResourceId, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("SameAppTwice", DrErrorCategory.InvalidArgument, $"The primary and the secondary are the same app '{r.PrimaryApp.Name}'.", r.SecondaryApp.Name);
            if (string.Equals(r.PrimaryEndpointName, r.SecondaryEndpointName, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("SameEndpointNameTwice", DrErrorCategory.InvalidArgument, "The two endpoints need different names.", r.SecondaryEndpointName);
            if (!System.Text.RegularExpressions.Regex.IsMatch(r.DnsName, "^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"))
                throw DrException.Precondition("InvalidRelativeDnsName", DrErrorCategory.InvalidArgument,
                    $"'{r.DnsName}' is not a DNS label (1-63 letters, digits and hyphens, not starting or ending with a hyphen).", r.DnsName);
            if (!r.MonitorPath.StartsWith("/", StringComparison.Ordinal))
                throw DrException.Precondition("InvalidMonitorPath", DrErrorCategory.InvalidArgument, $"The probe path '{r.MonitorPath}' must start with '/'.", r.MonitorPath);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, TrafficManagerSetupRequest request)
        {
            yield return new RunbookStep(ProfileStep,
                $"Make Traffic Manager profile {request.ProfileName} ({request.DnsName}, priority routing, probe {request.MonitorProtocol}:{request.MonitorPort}{request.MonitorPath}, TTL {request.Ttl} s)",
                ctx => ProfileAsync(ctx, request));
            yield return new RunbookStep(EndpointPrefix + request.PrimaryEndpointName,
                $"Make app {request.PrimaryApp.Name} endpoint '{request.PrimaryEndpointName}' of {request.ProfileName} (priority 1 when new)",
                ctx => EndpointAsync(ctx, request, request.PrimaryEndpointName, request.PrimaryApp, 1), ProfileStep);
            yield return new RunbookStep(EndpointPrefix + request.SecondaryEndpointName,
                $"Make app {request.SecondaryApp.Name} endpoint '{request.SecondaryEndpointName}' of {request.ProfileName} (priority 2 when new)",
                ctx => EndpointAsync(ctx, request, request.SecondaryEndpointName, request.SecondaryApp, 2), EndpointPrefix + request.PrimaryEndpointName);
        }

        private static async Task<StepResult> ProfileAsync(StepContext ctx, TrafficManagerSetupRequest r)
        {
            var arm = ctx.Azure.Arm;
            var ct = ctx.CancellationToken;
            var profile = await arm.GetAsync(ProfileId(r), Api, ct).ConfigureAwait(false);
            if (profile is { } p && SameProbe(p, r))
            {
                ctx.Publish(new ProfileOutcome { Fqdn = Fqdn(p) });
                return StepResult.AlreadyDone($"{r.ProfileName} routes by priority and probes {r.MonitorPath}.");
            }
            if (!ctx.ShouldProcess(r.ProfileName, ctx.Step.Plan)) return StepResult.Declined("Profile not configured.");
            void Monitor(Utf8JsonWriter w)
            {
                w.WriteStartObject("monitorConfig");
                w.WriteString("protocol", r.MonitorProtocol);
                w.WriteNumber("port", r.MonitorPort);
                w.WriteString("path", r.MonitorPath);
                w.WriteNumber("intervalInSeconds", 30);
                w.WriteNumber("toleratedNumberOfFailures", 3);
                w.WriteNumber("timeoutInSeconds", 10);
                w.WriteEndObject();
            }
            if (profile == null)
            {
                var made = await arm.SendAsync(RequestMethod.Put, ProfileId(r), Api, ArmText.Body(w =>
                {
                    w.WriteString("location", "global");
                    w.WriteStartObject("properties");
                    w.WriteString("profileStatus", "Enabled");
                    w.WriteString("trafficRoutingMethod", "Priority");
                    w.WriteStartObject("dnsConfig");
                    w.WriteString("relativeName", r.DnsName);
                    w.WriteNumber("ttl", r.Ttl);
                    w.WriteEndObject();
                    Monitor(w);
                    w.WriteEndObject();
                }), ct).ConfigureAwait(false);
                ctx.RecordChange($"Traffic Manager profile {r.ProfileName} created");
                ctx.Publish(new SetupStepOutcome { Created = true });
                ctx.Publish(new ProfileOutcome { Fqdn = made.Body is { } b ? Fqdn(b) : null });
                return StepResult.Done($"{r.ProfileName} created as {r.DnsName}.");
            }
            // Only the probe changes: PATCH leaves the endpoints (and their priorities) as they are.
            await arm.SendAsync(RequestMethod.Patch, ProfileId(r), Api, ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                Monitor(w);
                w.WriteEndObject();
            }), ct).ConfigureAwait(false);
            ctx.RecordChange($"probe of Traffic Manager profile {r.ProfileName} set to {r.MonitorProtocol}:{r.MonitorPort}{r.MonitorPath}");
            ctx.Publish(new ProfileOutcome { Fqdn = Fqdn(profile.Value) });
            return StepResult.Done($"{r.ProfileName} probes {r.MonitorPath}.");
        }

        private static string? Fqdn(JsonElement profile) =>
            profile.TryGetProperty("properties", out var p) && p.TryGetProperty("dnsConfig", out var d) ? Text(d, "fqdn") : null;

        private static bool SameProbe(JsonElement profile, TrafficManagerSetupRequest r) =>
            profile.TryGetProperty("properties", out var p) && p.TryGetProperty("monitorConfig", out var m)
            && string.Equals(Text(m, "protocol"), r.MonitorProtocol, StringComparison.OrdinalIgnoreCase)
            && m.TryGetProperty("port", out var port) && port.ValueKind == JsonValueKind.Number && port.GetInt32() == r.MonitorPort
            && string.Equals(Text(m, "path"), r.MonitorPath, StringComparison.Ordinal);

        private static async Task<StepResult> EndpointAsync(StepContext ctx, TrafficManagerSetupRequest r, string name, WebAppTarget app, int priority)
        {
            var arm = ctx.Azure.Arm;
            var ct = ctx.CancellationToken;
            var endpointId = ProfileId(r) + "/azureEndpoints/" + ArmPath.Escape(name);
            var existing = await arm.GetAsync(endpointId, Api, ct).ConfigureAwait(false);
            var created = false;
            if (existing is not { } e || !Targets(e, app) || string.Equals(PropertyText(e, "endpointStatus"), "Disabled", StringComparison.OrdinalIgnoreCase))
            {
                if (!ctx.ShouldProcess($"{r.ProfileName}/{name}", ctx.Step.Plan)) return StepResult.Declined("Endpoint not configured.");
                var profile = await arm.GetAsync(ProfileId(r), Api, ct).ConfigureAwait(false);
                var taken = profile is { } p ? Endpoints(p).Where(x => !TrafficManagerEndpoints.IsNamed(x, name)).Select(Priority).ToList() : new List<int?>();
                var keep = existing is { } old ? Priority(old) : null;
                var chosen = keep ?? (taken.Contains(priority) ? Enumerable.Range(1, 1000).First(n => !taken.Contains(n)) : priority);
                await arm.SendAsync(RequestMethod.Put, endpointId, Api, ArmText.Body(w =>
                {
                    w.WriteString("name", name);
                    w.WriteString("type", "Microsoft.Network/trafficManagerProfiles/azureEndpoints");
                    w.WriteStartObject("properties");
                    w.WriteString("targetResourceId", app.ResourceId);
                    w.WriteString("endpointStatus", "Enabled");
                    w.WriteNumber("priority", chosen);
                    w.WriteEndObject();
                }), ct).ConfigureAwait(false);
                ctx.RecordChange(existing == null ? $"endpoint {name} ({app.Name}) added with priority {chosen}" : $"endpoint {name} pointed at {app.Name} and enabled");
                created = existing == null;
            }
            // Usable once Traffic Manager has probed it: until then it is CheckingEndpoint and gets no traffic by health.
            var seen = await ctx.WaitAsync($"Waiting for Traffic Manager to probe {name}", r.Timeout, ctx.Azure.Environment.DefaultPollInterval, async token =>
            {
                var now = await arm.GetAsync(endpointId, Api, token).ConfigureAwait(false);
                var status = now is { } n ? PropertyText(n, "endpointMonitorStatus") : null;
                return status == null || status == "CheckingEndpoint"
                    ? WaitProbe<EndpointOutcome>.Pending(status ?? "not found")
                    : WaitProbe<EndpointOutcome>.Done(new EndpointOutcome { Priority = now is { } x ? Priority(x) : null, MonitorStatus = status });
            }, elapsed => new DrException("TrafficManagerNotProbed", DrErrorCategory.OperationTimeout,
                $"Traffic Manager did not probe endpoint '{name}' within {elapsed.TotalSeconds:0} s. Run again (-Resume) to keep waiting.", name)).ConfigureAwait(false);
            ctx.Publish(seen);
            if (created) ctx.Publish(new SetupStepOutcome { Created = true });
            if (seen.MonitorStatus != "Online")
                ctx.Host.Warning($"Traffic Manager reports endpoint '{name}' ({app.Name}) as {seen.MonitorStatus}: check that {app.Name} answers on {r.MonitorPath}.");
            var summary = $"{name} targets {app.Name} with priority {seen.Priority} ({seen.MonitorStatus}).";
            return existing is { } before && Targets(before, app) && !string.Equals(PropertyText(before, "endpointStatus"), "Disabled", StringComparison.OrdinalIgnoreCase)
                ? StepResult.AlreadyDone(summary)
                : StepResult.Done(summary);
        }

        private static bool Targets(JsonElement endpoint, WebAppTarget app) =>
            string.Equals(PropertyText(endpoint, "targetResourceId"), app.ResourceId, StringComparison.OrdinalIgnoreCase);

        private static IEnumerable<JsonElement> Endpoints(JsonElement profile) => TrafficManagerEndpoints.Of(profile);

        private static int? Priority(JsonElement endpoint) => TrafficManagerEndpoints.Priority(endpoint);

        protected internal override IEnumerable<TrafficManagerSetupResult> Results(TrafficManagerSetupRequest request, RunReport report)
        {
            var failure = SetupRuns.Failure(report);
            StepReport? Step(string id) => report.Steps.FirstOrDefault(s => s.StepId == id);
            var primary = Step(EndpointPrefix + request.PrimaryEndpointName)?.Published<EndpointOutcome>();
            var secondary = Step(EndpointPrefix + request.SecondaryEndpointName)?.Published<EndpointOutcome>();
            var candidates = new[] { (request.PrimaryEndpointName, primary), (request.SecondaryEndpointName, secondary) }
                .Where(c => c.Item2?.Priority != null).OrderBy(c => c.Item2!.Priority).ToList();
            var active = candidates.FirstOrDefault(c => c.Item2!.MonitorStatus is "Online" or "CheckingEndpoint");
            yield return new TrafficManagerSetupResult
            {
                ProfileName = request.ProfileName,
                Action = SetupRuns.ActionOf(report, created: Step(ProfileStep)?.Published<SetupStepOutcome>()?.Created == true),
                Fqdn = Step(ProfileStep)?.Published<ProfileOutcome>()?.Fqdn ?? request.DnsName + ".trafficmanager.net",
                MonitorPath = request.MonitorPath,
                PrimaryEndpointName = request.PrimaryEndpointName,
                PrimaryPriority = primary?.Priority,
                PrimaryMonitorStatus = primary?.MonitorStatus,
                SecondaryEndpointName = request.SecondaryEndpointName,
                SecondaryPriority = secondary?.Priority,
                SecondaryMonitorStatus = secondary?.MonitorStatus,
                ActiveEndpoint = active.Item1 ?? candidates.FirstOrDefault().Item1,
                Duration = SetupRuns.Duration(report),
                ErrorId = failure?.ErrorId,
                Error = failure?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        private static string ProfileId(TrafficManagerSetupRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Network/trafficManagerProfiles", r.ProfileName);
    }
}
