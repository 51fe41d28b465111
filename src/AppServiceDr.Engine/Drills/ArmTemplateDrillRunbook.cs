using System;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>The template to prove, where, and with which parameters.</summary>
    public sealed class ArmTemplateDrillRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>The region the drill resource group and its resources go to (the recovery region, typically).</summary>
        public string Location { get; set; } = "";
        /// <summary>A template the service downloads, or ...</summary>
        public Uri? TemplateUri { get; set; }
        /// <summary>... a local template file, read when the drill sends it.</summary>
        public string? TemplateFile { get; set; }
        /// <summary>A local parameter file ({"parameters": {...}}).</summary>
        public string? TemplateParameterFile { get; set; }
        /// <summary>Template parameter values (JSON).</summary>
        public IDictionary<string, JsonElement> TemplateParameters { get; set; } = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        /// <summary>Secure template parameters: never journaled, given again (-TemplateParameter) to resume a drill.</summary>
        [Secret("TemplateParameter")]
        public IDictionary<string, SecureString>? SecureTemplateParameters { get; set; }
        /// <summary>The drill resource group: it must contain "drill" and must not exist. Default: appservicedr-drill-&lt;UTC time&gt;.</summary>
        public string? DrillResourceGroupName { get; set; }
        public string DeploymentName { get; set; } = "appservicedr-drill";
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(1);

        /// <summary>Takes parameter values as given: SecureStrings go to <see cref="SecureTemplateParameters"/>, the others are kept as JSON.</summary>
        public ArmTemplateDrillRequest WithParameters(IEnumerable<KeyValuePair<string, object?>> values)
        {
            (TemplateParameters, SecureTemplateParameters) = ArmTemplate.SplitParameters(values);
            return this;
        }
    }

    /// <summary>
    /// Seed 004's "ARM template deployment test" as a runbook: a new resource group tagged as a drill, the template
    /// validated and run through what-if there, deployed (the measured RTO of a rebuild), every resource it declares
    /// looked up, and the group deleted again, even when a step before failed. Steps: <c>resource-group</c>,
    /// <c>validate</c>, <c>what-if</c>, <c>deploy</c>, <c>check-resources</c>, <c>cleanup</c>.
    /// </summary>
    public sealed class ArmTemplateDrillRunbook : Runbook<ArmTemplateDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-ArmTemplateDeployment";
        internal static readonly ArmApi ResourcesApi = ArmApi.ResourceGroups;

        public override string Name => "ArmTemplateDrill";
        public override string Command => CommandName;

        /// <summary>What the what-if step publishes: each resource the template declares, with the api-version it is declared with.</summary>
        private sealed class DeclaredResources
        {
            public List<string> Ids { get; set; } = new List<string>();
            public Dictionary<string, string> ApiVersions { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }

        protected internal override async Task PreflightAsync(RunContext run, ArmTemplateDrillRequest request, CancellationToken ct)
        {
            var name = request.DrillResourceGroupName ??= Drill.NewName("appservicedr", run.Now);
            Drill.RequireDrillName(name, "DrillResourceGroupName");
            ArmPath.Validate(request.SubscriptionId, name, request.DeploymentName);
            if ((request.TemplateUri == null) == (request.TemplateFile == null))
                throw DrException.Precondition("TemplateSourceAmbiguous", DrErrorCategory.InvalidArgument, "Give either -TemplateUri or -TemplateFile.", request.DeploymentName);
            if (request.TemplateFile != null) ArmTemplate.ReadTemplate(request.TemplateFile);
            if (request.TemplateParameterFile != null) ArmTemplate.ReadParameterFile(request.TemplateParameterFile);
            var azure = run.Azure;
            var locations = await azure.Arm.GetAsync("/subscriptions/" + ArmPath.Escape(request.SubscriptionId) + "/locations", ResourcesApi, ct).ConfigureAwait(false);
            var known = locations is { } l && l.TryGetProperty("value", out var v) ? v.EnumerateArray().Select(x => ArmJson.Text(x, "name")).ToList() : new List<string?>();
            if (!known.Any(n => string.Equals(n, request.Location, StringComparison.OrdinalIgnoreCase)))
                throw DrException.Precondition("LocationInvalid", DrErrorCategory.InvalidArgument, $"'{request.Location}' is not a location of subscription {request.SubscriptionId}.", request.Location);
            if (await azure.Arm.GetAsync(GroupId(request), ResourcesApi, ct).ConfigureAwait(false) != null)
                throw Drill.NameTaken("Resource group", name, "in subscription " + request.SubscriptionId);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, ArmTemplateDrillRequest request)
        {
            foreach (var secret in (request.SecureTemplateParameters ?? new Dictionary<string, SecureString>()).Values)
                run.Redactor.Register(SecureStrings.Unprotect(secret));
            var group = request.DrillResourceGroupName!;
            var template = request.TemplateUri?.ToString() ?? request.TemplateFile;
            var steps = new List<RunbookStep>
            {
                new RunbookStep("resource-group", $"Create drill resource group {group} in {request.Location} (tagged {Drill.Tag}={group})", ctx => GroupAsync(ctx, request)),
                new RunbookStep("validate", $"Validate {template} in {group}", ctx => ValidateAsync(ctx, request), "resource-group"),
                new RunbookStep("what-if", $"Run what-if for {template} in {group}", ctx => WhatIfAsync(ctx, request), "validate"),
                new RunbookStep("deploy", $"Deploy {template} to {group} as deployment {request.DeploymentName}", ctx => DeployAsync(ctx, request), "what-if"),
                new RunbookStep("check-resources", $"Look up every resource the template declares in {group}", ctx => CheckAsync(ctx, request), "deploy"),
            };
            steps.Add(new RunbookStep("cleanup", $"Delete drill resource group {group} and everything in it (only while it carries {Drill.Tag}={group}), even when a step before failed",
                ctx => DrillAzureCleanup.DeleteAsync(ctx, GroupId(request), ResourcesApi, "resource group", group, request.Timeout),
                steps.Select(s => s.Id).ToArray()) { RunsAfterFailure = true });
            return steps;
        }

        private static async Task<StepResult> GroupAsync(StepContext ctx, ArmTemplateDrillRequest request)
        {
            var group = request.DrillResourceGroupName!;
            var existing = await ctx.Azure.Arm.GetAsync(GroupId(request), ResourcesApi, ctx.CancellationToken).ConfigureAwait(false);
            if (existing is { } e && string.Equals(Drill.TagOf(e), group, StringComparison.Ordinal))
                return StepResult.AlreadyDone($"{group} exists (created by this drill).");
            if (existing != null)
                throw new DrException("DrillNameInUse", DrErrorCategory.ResourceExists, $"Resource group {group} appeared without this drill's tag; the drill does not use it.", group);
            if (!ctx.ShouldProcess(group, ctx.Step.Plan)) return StepResult.Declined("Resource group not created.");
            await ctx.Azure.Arm.SendAsync(RequestMethod.Put, GroupId(request), ResourcesApi, ArmText.Body(w =>
            {
                w.WriteString("location", request.Location);
                Drill.WriteTags(w, group, CommandName);
            }), ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange($"created drill resource group {group} in {request.Location}");
            return StepResult.Done($"{group} created in {request.Location}.");
        }

        private static string Body(ArmTemplateDrillRequest request) =>
            ArmTemplate.DeploymentBody(request.TemplateUri, request.TemplateFile, request.TemplateParameterFile, Parameters(request));

        private static async Task<StepResult> ValidateAsync(StepContext ctx, ArmTemplateDrillRequest request)
        {
            if (ctx.WhatIf) return StepResult.Declined("What if: the template would be validated in the drill resource group.");
            try
            {
                var response = await ctx.Azure.Arm.SendAsync(RequestMethod.Post, DeploymentId(request) + "/validate", ResourcesApi, Body(request), ctx.CancellationToken).ConfigureAwait(false);
                var count = response.Body is { } b && b.TryGetProperty("properties", out var p) && p.TryGetProperty("validatedResources", out var r) && r.ValueKind == JsonValueKind.Array ? r.GetArrayLength() : (int?)null;
                var check = Drill.Pass("validate", "Resource Manager validated the template" + (count is int n ? $" ({n} resource(s))." : "."));
                ctx.Publish(DrillStepOutcome.Of(check));
                return StepResult.Done(check.Detail);
            }
            catch (DrException ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                ctx.Publish(DrillStepOutcome.Of(Drill.Fail("validate", $"Resource Manager refused the template: {ex.Message}")));
                throw;
            }
        }

        private static async Task<StepResult> WhatIfAsync(StepContext ctx, ArmTemplateDrillRequest request)
        {
            if (ctx.WhatIf) return StepResult.Declined("What if: what-if would run in the drill resource group.");
            var (response, operation) = await ctx.Azure.Arm.StartAsync(RequestMethod.Post, DeploymentId(request) + "/whatIf", ResourcesApi, Body(request), ctx.CancellationToken).ConfigureAwait(false);
            var body = operation != null ? await ctx.Azure.Arm.WaitAsync(operation, request.Timeout, null, ctx.CancellationToken).ConfigureAwait(false) : response.Body;
            var declared = new DeclaredResources();
            var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
            if (body is { } b && b.TryGetProperty("properties", out var p) && p.TryGetProperty("changes", out var changes) && changes.ValueKind == JsonValueKind.Array)
                foreach (var change in changes.EnumerateArray())
                {
                    var id = ArmJson.Text(change, "resourceId");
                    var kind = ArmJson.Text(change, "changeType") ?? "Unknown";
                    kinds[kind] = kinds.TryGetValue(kind, out var c) ? c + 1 : 1;
                    if (id == null || kind == "Delete" || kind == "Ignore") continue;
                    declared.Ids.Add(id);
                    if (change.TryGetProperty("after", out var after) && ArmJson.Text(after, "apiVersion") is string api) declared.ApiVersions[id] = api;
                }
            ctx.Publish(declared);
            var check = Drill.Pass("what-if", declared.Ids.Count == 0
                ? "What-if lists no resource to create or deploy."
                : "What-if: " + string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}")) + ".");
            ctx.Publish(DrillStepOutcome.Of(check));
            return StepResult.Done(check.Detail);
        }

        private static async Task<StepResult> DeployAsync(StepContext ctx, ArmTemplateDrillRequest request)
        {
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var path = DeploymentId(request);
            var existing = await azure.Arm.GetAsync(path, ResourcesApi, ct).ConfigureAwait(false);
            var state = existing is { } e ? ArmJson.PropertyText(e, "provisioningState") : null;
            var operation = ctx.GetCheckpoint("operation");
            try
            {
                if (operation != null && state is "Accepted" or "Running")
                {
                    // Interrupted while the deployment ran: follow it instead of starting another.
                    await azure.Arm.WaitAsync(LroHandle.Parse(operation), request.Timeout, s => ctx.Progress("Deploying: " + s), ct).ConfigureAwait(false);
                }
                else if (!(operation != null && state == "Succeeded"))
                {
                    if (!ctx.ShouldProcess(request.DeploymentName, ctx.Step.Plan)) return StepResult.Declined("Template not deployed.");
                    var (_, handle) = await azure.Arm.StartAsync(RequestMethod.Put, path, ResourcesApi, Body(request), ct).ConfigureAwait(false);
                    ctx.RecordChange($"deployment {request.DeploymentName} started in {request.DrillResourceGroupName}");
                    if (handle != null)
                    {
                        ctx.Checkpoint("operation", handle.Serialize());
                        await azure.Arm.WaitAsync(handle, request.Timeout, s => ctx.Progress("Deploying: " + s), ct).ConfigureAwait(false);
                    }
                }
            }
            catch (DrException ex) when (!ct.IsCancellationRequested)
            {
                ctx.Publish(DrillStepOutcome.Of(Drill.Fail("deploy", $"The deployment failed after {DurationText.Format(clock.Elapsed)}: {ex.Message}")));
                throw;
            }
            var outcome = DrillStepOutcome.Of(Drill.Pass("deploy", $"Deployment {request.DeploymentName} succeeded in {DurationText.Format(clock.Elapsed)}.", clock.Elapsed));
            outcome.Rto = clock.Elapsed;
            ctx.Publish(outcome);
            return StepResult.Done(outcome.Checks[0].Detail);
        }

        private static async Task<StepResult> CheckAsync(StepContext ctx, ArmTemplateDrillRequest request)
        {
            var declared = ctx.Published<DeclaredResources>("what-if") ?? new DeclaredResources();
            var missing = new List<string>();
            foreach (var id in declared.Ids)
            {
                var found = declared.ApiVersions.TryGetValue(id, out var version)
                    ? await ctx.Azure.Arm.GetWithDeclaredVersionAsync(id, version, ctx.CancellationToken).ConfigureAwait(false)
                    : await ctx.Azure.Arm.GetAsync(id, ResourcesApi, ctx.CancellationToken).ConfigureAwait(false);
                if (found == null) missing.Add(id.Substring(id.IndexOf("/providers/", StringComparison.OrdinalIgnoreCase) + 11));
            }
            var check = missing.Count == 0
                ? Drill.Pass("resources created", $"All {declared.Ids.Count} resource(s) the template declares exist.")
                : Drill.Fail("resources created", $"{missing.Count} of {declared.Ids.Count} declared resource(s) do not exist after the deployment: {string.Join(", ", missing)}.");
            ctx.Publish(DrillStepOutcome.Of(check));
            if (missing.Count > 0) throw new DrException("DeclaredResourceMissing", DrErrorCategory.ObjectNotFound, check.Detail, missing[0]);
            return StepResult.Done(check.Detail);
        }

        protected internal override IEnumerable<DrillTestResult> Results(ArmTemplateDrillRequest request, RunReport report)
        {
            yield return Drill.Result(CommandName, request.TemplateUri?.ToString() ?? System.IO.Path.GetFileName(request.TemplateFile ?? ""), request.DrillResourceGroupName, report, createsResources: true);
        }

        private static string GroupId(ArmTemplateDrillRequest r) => ArmPath.ResourceGroup(r.SubscriptionId, r.DrillResourceGroupName!);

        private static string DeploymentId(ArmTemplateDrillRequest r) => GroupId(r) + "/providers/Microsoft.Resources/deployments/" + ArmPath.Escape(r.DeploymentName);

        private static IEnumerable<KeyValuePair<string, object?>> Parameters(ArmTemplateDrillRequest r) =>
            ArmTemplate.JoinParameters(r.TemplateParameters, r.SecureTemplateParameters);
    }
}
