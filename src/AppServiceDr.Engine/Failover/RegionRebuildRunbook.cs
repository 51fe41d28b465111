using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Failover
{
    /// <summary>Seed 004 scenario 3 without a replica: rebuild the application in another region.</summary>
    public sealed class RegionRebuildRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group and server of the lost database (its geo-backups stay listable during the outage).</summary>
        public string SourceResourceGroupName { get; set; } = "";
        public string SourceServerName { get; set; } = "";
        public string DatabaseName { get; set; } = "";
        public string TargetResourceGroupName { get; set; } = "";
        public string TargetLocation { get; set; } = "";
        /// <summary>A template the service downloads (templateLink), or ...</summary>
        public Uri? TemplateUri { get; set; }
        /// <summary>... a local template file, read when the deployment starts.</summary>
        public string? TemplateFile { get; set; }
        /// <summary>A local parameter file ({"parameters": {...}}), read when the deployment starts; never journaled.</summary>
        public string? TemplateParameterFile { get; set; }
        /// <summary>Template parameter values (JSON: strings, numbers, booleans, objects).</summary>
        public IDictionary<string, JsonElement> TemplateParameters { get; set; } = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        /// <summary>Secure template parameters: never journaled, given again (-TemplateParameter) to resume a run.</summary>
        [Secret("TemplateParameter")]
        public IDictionary<string, SecureString>? SecureTemplateParameters { get; set; }
        /// <summary>Deployment name. Default: appservicedr-rebuild.</summary>
        public string DeploymentName { get; set; } = "appservicedr-rebuild";
        /// <summary>The SQL server the template creates, into which the geo-backup is restored.</summary>
        public string TargetServerName { get; set; } = "";
        /// <summary>The app the template creates: restarted and verified at the end; its host name is the new URL.</summary>
        public WebAppTarget App { get; set; } = new WebAppTarget();
        /// <summary>Entra application (appId) whose SPA redirect URIs get the new URL, merged with the existing ones.</summary>
        public string? SpaApplicationId { get; set; }
        /// <summary>Entra application (appId) whose web redirect URIs get the new URL too (the backend API, when asked).</summary>
        public string? WebApplicationId { get; set; }
        /// <summary>Path of the redirect URI on the new host. Default "/".</summary>
        public string RedirectPath { get; set; } = "/";
        /// <summary>A DNS zone whose CNAME record (<see cref="DnsRecordName"/>) is pointed at the new host.</summary>
        public string? DnsZoneName { get; set; }
        public string? DnsZoneResourceGroupName { get; set; }
        public string? DnsRecordName { get; set; }
        public int DnsTtl { get; set; } = 300;
        public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(2);
        /// <summary>Takes template parameter values as given (strings, numbers, booleans, JSON values, and
        /// SecureStrings for secure parameters): the secure ones go to <see cref="SecureTemplateParameters"/>, the
        /// others are kept as JSON.</summary>
        public RegionRebuildRequest WithParameters(IEnumerable<KeyValuePair<string, object?>> values)
        {
            (TemplateParameters, SecureTemplateParameters) = ArmTemplate.SplitParameters(values);
            return this;
        }

        /// <summary>Filled by the pre-flight: the date of the latest geo-backup, which the new database will hold.</summary>
        public DateTimeOffset DataAsOf { get; set; }
    }

    /// <summary>
    /// Path B of a region failover: create the target resource group, deploy the template and, as soon as
    /// the template's SQL server exists, geo-restore the database into it; then add the new URL to the Entra
    /// redirect URIs (merged, never dropped), point the DNS CNAME at it, and restart the app until healthy.
    /// </summary>
    public sealed class RegionRebuildRunbook : Runbook<RegionRebuildRequest, RegionFailoverResult>
    {
        private const string GroupStep = "resource-group";
        private const string DeployStep = "deploy-template";
        private const string RestoreStep = "geo-restore";
        /// <summary>Set by the deployment step when it submitted nothing, so the geo-restore stops waiting for a server.</summary>
        private const string RefusedOutput = "Refused";

        public override string Name => "RegionRebuild";
        public override string Command => "Invoke-RegionFailover";

        /// <summary>What the redirect-URI and DNS steps publish: the URI added, the record pointed.</summary>
        private sealed class UrlOutcome
        {
            public string Value { get; set; } = "";
        }

        /// <summary>Checks everything before any change (all problems together) and completes the request with the
        /// date of the geo-backup.</summary>
        protected internal override async Task PreflightAsync(RunContext run, RegionRebuildRequest request, CancellationToken ct)
        {
            Validate(request);
            var azure = run.Azure;
            var preflight = new Preflight();

            await preflight.CheckAsync(async () =>
            {
                var locations = await azure.Arm.GetAsync("/subscriptions/" + ArmPath.Escape(request.SubscriptionId) + "/locations", ArmApi.Locations, ct).ConfigureAwait(false);
                var known = locations is { } l && l.TryGetProperty("value", out var v) ? v.EnumerateArray().Select(x => Text(x, "name")).ToList() : new List<string?>();
                if (!known.Any(n => string.Equals(n, request.TargetLocation, StringComparison.OrdinalIgnoreCase)))
                    throw DrException.Precondition("TargetLocationInvalid", DrErrorCategory.InvalidArgument,
                        $"'{request.TargetLocation}' is not a location of subscription {request.SubscriptionId}.", request.TargetLocation);
                var group = await azure.Arm.GetAsync(ArmPath.ResourceGroup(request.SubscriptionId, request.TargetResourceGroupName), ArmApi.ResourceGroups, ct).ConfigureAwait(false);
                if (group is { } g && !SameRegion(Text(g, "location"), request.TargetLocation))
                    throw DrException.Precondition("TargetResourceGroupElsewhere", DrErrorCategory.ResourceExists,
                        $"Resource group '{request.TargetResourceGroupName}' exists in {Text(g, "location")}, not in {request.TargetLocation}.", request.TargetResourceGroupName);
            }).ConfigureAwait(false);

            await preflight.CheckAsync(async () =>
            {
                var backup = await azure.Arm.GetAsync(RecoverableId(request), ArmApi.SqlServers, ct).ConfigureAwait(false)
                    ?? throw DrException.Precondition("GeoBackupNotFound", DrErrorCategory.ObjectNotFound,
                        $"No geo-backup of '{request.DatabaseName}' is listed for server '{request.SourceServerName}' (recoverableDatabases).", request.DatabaseName);
                var date = backup.TryGetProperty("properties", out var p) ? Text(p, "lastAvailableBackupDate") : null;
                if (date == null || !DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var dataAsOf))
                    throw DrException.Precondition("GeoBackupUndated", DrErrorCategory.InvalidData, $"The geo-backup of '{request.DatabaseName}' has no lastAvailableBackupDate.", request.DatabaseName);
                request.DataAsOf = dataAsOf;
            }).ConfigureAwait(false);

            await preflight.CheckAsync(() =>
            {
                if (request.TemplateFile != null) ArmTemplate.ReadTemplate(request.TemplateFile);
                if (request.TemplateParameterFile != null) ArmTemplate.ReadParameterFile(request.TemplateParameterFile);
                return Task.CompletedTask;
            }).ConfigureAwait(false);

            foreach (var appId in new[] { request.SpaApplicationId, request.WebApplicationId }.Where(a => a != null).Distinct())
                await preflight.CheckAsync(async () => await new GraphClient(azure).GetApplicationAsync(appId!, ct).ConfigureAwait(false)).ConfigureAwait(false);

            if (request.DnsZoneName != null)
                await preflight.CheckAsync(async () =>
                {
                    if (await azure.Arm.GetAsync(ZoneId(request), ArmApi.DnsZones, ct).ConfigureAwait(false) == null)
                        throw DrException.Precondition("DnsZoneNotFound", DrErrorCategory.ObjectNotFound,
                            $"DNS zone '{request.DnsZoneName}' was not found in resource group '{request.DnsZoneResourceGroupName}'.", request.DnsZoneName);
                }).ConfigureAwait(false);

            request.App.Validate();
            preflight.ThrowIfAny("RegionRebuildPreflightFailed", "rebuild");
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, RegionRebuildRequest request)
        {
            var azure = run.Azure;
            foreach (var secret in (request.SecureTemplateParameters ?? new Dictionary<string, SecureString>()).Values)
                run.Redactor.Register(SecureStrings.Unprotect(secret));
            var restore = new AzureSqlRestoreRequest
            {
                SubscriptionId = request.SubscriptionId, ResourceGroupName = request.SourceResourceGroupName, ServerName = request.SourceServerName,
                DatabaseName = request.DatabaseName, FromGeoBackup = true, TargetResourceGroupName = request.TargetResourceGroupName,
                TargetServerName = request.TargetServerName, TargetDatabaseName = request.DatabaseName, Timeout = request.Timeout,
                TargetLocation = request.TargetLocation, DataAsOf = request.DataAsOf,
            };
            var steps = new List<RunbookStep>
            {
                new RunbookStep(GroupStep, $"Create resource group {request.TargetResourceGroupName} in {request.TargetLocation}", ctx => ResourceGroupAsync(azure, request, ctx)),
                new RunbookStep(DeployStep, $"Deploy {(request.TemplateUri?.ToString() ?? request.TemplateFile)} to {request.TargetResourceGroupName} as deployment {request.DeploymentName}",
                    ctx => DeployAsync(azure, request, ctx), GroupStep),
                AzureSqlRestoreRunbook.RestoreStep(RestoreStep, restore,
                    $"As soon as server {request.TargetServerName} exists, restore the latest geo-backup of {request.DatabaseName} (taken {ArmText.Iso(request.DataAsOf)}) into it",
                    ctx => WaitForServerAsync(azure, request, ctx), GroupStep),
            };
            if (request.SpaApplicationId != null || request.WebApplicationId != null)
                steps.Add(new RunbookStep("redirect-uris", $"Add https://<{request.App.Name} host>{request.RedirectPath} to the redirect URIs of the Entra application(s), keeping the existing ones",
                    ctx => RedirectUrisAsync(azure, request, ctx), DeployStep));
            if (request.DnsZoneName != null)
                steps.Add(new RunbookStep("dns", $"Point CNAME {request.DnsRecordName}.{request.DnsZoneName} at the host of {request.App.Name} (TTL {request.DnsTtl} s)",
                    ctx => DnsAsync(azure, request, ctx), DeployStep));
            // A run that changed nothing leaves a healthy app alone, so a repeated run restarts nothing.
            steps.Add(WebAppRestartStep.Create(request.App, steps.Select(s => s.Id).ToList(), onlyAfterChange: true));
            return steps;
        }

        protected internal override IEnumerable<RegionFailoverResult> Results(RegionRebuildRequest request, RunReport report)
        {
            StepReport? Step(string id) => report.Steps.FirstOrDefault(s => s.StepId == id);
            yield return RegionResults.Build(report, RegionFailoverPath.Rebuild, request.TargetLocation, request.TargetServerName, r =>
            {
                r.SqlMode = "GeoRestore";
                r.ResourceGroupName = request.TargetResourceGroupName;
                r.RedirectUri = Step("redirect-uris")?.Published<UrlOutcome>()?.Value;
                r.DnsRecord = Step("dns")?.Published<UrlOutcome>()?.Value;
                r.WebAppName = request.App.Name;
            });
        }

        // ------------------------------------------------------------ resource group and template

        private static async Task<StepResult> ResourceGroupAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var path = ArmPath.ResourceGroup(request.SubscriptionId, request.TargetResourceGroupName);
            var existing = await azure.Arm.GetAsync(path, ArmApi.ResourceGroups, ctx.CancellationToken).ConfigureAwait(false);
            if (existing != null) return StepResult.AlreadyDone($"{request.TargetResourceGroupName} exists in {Text(existing.Value, "location")}.");
            if (!ctx.ShouldProcess(request.TargetResourceGroupName, ctx.Step.Plan)) return StepResult.Declined("Resource group not created.");
            await azure.Arm.SendAsync(RequestMethod.Put, path, ArmApi.ResourceGroups, ArmText.Body(w => w.WriteString("location", request.TargetLocation)), ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange($"created resource group {request.TargetResourceGroupName} in {request.TargetLocation}");
            return StepResult.Done($"{request.TargetResourceGroupName} created in {request.TargetLocation}.");
        }

        private static async Task<StepResult> DeployAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var path = DeploymentId(request);
            var existing = await azure.Arm.GetAsync(path, ArmApi.Deployments, ct).ConfigureAwait(false);
            var state = existing is { } e && e.TryGetProperty("properties", out var p) ? Text(p, "provisioningState") : null;
            var operation = ctx.GetCheckpoint("operation");
            if (string.Equals(state, "Succeeded", StringComparison.OrdinalIgnoreCase))
                return operation == null ? StepResult.AlreadyDone($"Deployment {request.DeploymentName} already succeeded.") : StepResult.Done($"Deployment {request.DeploymentName} succeeded.");
            if (operation != null && state != null && !string.Equals(state, "Failed", StringComparison.OrdinalIgnoreCase) && !string.Equals(state, "Canceled", StringComparison.OrdinalIgnoreCase))
            {
                // Interrupted while the deployment ran: follow it instead of starting another.
                await azure.Arm.WaitAsync(LroHandle.Parse(operation), request.Timeout, s => ctx.Progress("Deploying: " + s), ct).ConfigureAwait(false);
                return StepResult.Done($"Deployment {request.DeploymentName} succeeded.");
            }
            // A deployment that is not submitted tells the geo-restore, waiting for the template's server, that none is coming.
            if (!ctx.ShouldProcess(request.DeploymentName, ctx.Step.Plan))
            {
                ctx.SetOutput(RefusedOutput, Guid.NewGuid().ToString("N"));
                return StepResult.Declined("Template not deployed.");
            }
            LroHandle? handle;
            try
            {
                (_, handle) = await azure.Arm.StartAsync(RequestMethod.Put, path, ArmApi.Deployments,
                    ArmTemplate.DeploymentBody(request.TemplateUri, request.TemplateFile, request.TemplateParameterFile, Parameters(request)), ct).ConfigureAwait(false);
            }
            catch (DrException)
            {
                ctx.SetOutput(RefusedOutput, Guid.NewGuid().ToString("N"));
                throw;
            }
            ctx.RecordChange($"deployment {request.DeploymentName} started");
            if (handle != null)
            {
                ctx.Checkpoint("operation", handle.Serialize());
                await azure.Arm.WaitAsync(handle, request.Timeout, s => ctx.Progress("Deploying: " + s), ct).ConfigureAwait(false);
            }
            return StepResult.Done($"Deployment {request.DeploymentName} succeeded.");
        }

        // ------------------------------------------------------------ geo-restore

        /// <summary>The restore starts as soon as the deployment has created the server, not when the whole
        /// deployment ends. A failed deployment left by an earlier attempt (before a resume resubmits it) is not
        /// taken for the outcome of this one.</summary>
        private static async Task WaitForServerAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            if (ctx.WhatIf) return;
            var server = ArmPath.Resource(request.SubscriptionId, request.TargetResourceGroupName, "Microsoft.Sql/servers", request.TargetServerName);
            var staleRefusal = ctx.GetOutput(DeployStep, RefusedOutput);
            string? staleFailure = null;
            var first = true;
            await ctx.WaitAsync($"Waiting for the deployment to create {request.TargetServerName}", request.Timeout, azure.Environment.DefaultPollInterval,
                async ct =>
                {
                    if (await azure.Arm.GetAsync(server, ArmApi.SqlServers, ct).ConfigureAwait(false) != null) return WaitProbe<bool>.Done(true);
                    var deployment = await azure.Arm.GetAsync(DeploymentId(request), ArmApi.Deployments, ct).ConfigureAwait(false);
                    var state = deployment is { } d ? PropertyText(d, "provisioningState") : null;
                    var correlation = deployment is { } c ? PropertyText(c, "correlationId") ?? "" : "";
                    var failed = state is "Failed" or "Canceled";
                    if (first && failed) staleFailure = correlation;
                    first = false;
                    if (state == "Succeeded" || (failed && correlation != staleFailure))
                        throw new DrException("TargetServerNotDeployed", DrErrorCategory.ObjectNotFound,
                            $"Deployment {request.DeploymentName} ended ({state}) without creating server '{request.TargetServerName}'; the database cannot be restored into it.", request.TargetServerName);
                    if (ctx.GetOutput(DeployStep, RefusedOutput) != staleRefusal)
                        throw new DrException("TargetServerNotDeployed", DrErrorCategory.ObjectNotFound,
                            $"Deployment {request.DeploymentName} was not submitted, so server '{request.TargetServerName}' will not appear.", request.TargetServerName);
                    return WaitProbe<bool>.Pending(state ?? "deployment not visible yet");
                },
                elapsed => new DrException("TargetServerNotDeployed", DrErrorCategory.OperationTimeout,
                    $"Server '{request.TargetServerName}' did not appear within {request.Timeout.TotalMinutes:0} min.", request.TargetServerName)).ConfigureAwait(false);
        }

        // ------------------------------------------------------------ Entra redirect URIs and DNS

        private static async Task<StepResult> RedirectUrisAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var host = await NewHostAsync(azure, request, ctx).ConfigureAwait(false);
            var uri = "https://" + host + (request.RedirectPath.StartsWith("/", StringComparison.Ordinal) ? request.RedirectPath : "/" + request.RedirectPath);
            var added = new List<string>();
            foreach (var (appId, kind) in new[] { (request.SpaApplicationId, "spa"), (request.WebApplicationId, "web") })
            {
                if (appId == null) continue;
                var app = await new GraphClient(azure).GetApplicationAsync(appId, ctx.CancellationToken).ConfigureAwait(false);
                var current = app.TryGetProperty(kind, out var k) && k.TryGetProperty("redirectUris", out var r) && r.ValueKind == JsonValueKind.Array
                    ? r.EnumerateArray().Select(x => x.GetString()!).ToList() : new List<string>();
                if (current.Contains(uri, StringComparer.OrdinalIgnoreCase)) continue;
                if (!ctx.ShouldProcess(appId, $"Add {uri} to the {kind} redirect URIs (keeping {current.Count})")) return StepResult.Declined("Redirect URIs not changed.");
                // PATCH replaces the collection: send every existing URI with the new one.
                var body = ArmText.Body(w =>
                {
                    w.WriteStartObject(kind);
                    w.WriteStartArray("redirectUris");
                    foreach (var u in current.Append(uri)) w.WriteStringValue(u);
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                await new GraphClient(azure).PatchApplicationAsync(appId, body, ctx.CancellationToken).ConfigureAwait(false);
                ctx.RecordChange($"added {uri} to the {kind} redirect URIs of application {appId}");
                added.Add(kind);
            }
            ctx.Publish(new UrlOutcome { Value = uri });
            return added.Count == 0
                ? StepResult.AlreadyDone($"{uri} is already a redirect URI.")
                : StepResult.Done($"{uri} added to the {string.Join(" and ", added)} redirect URIs; the existing ones were kept.");
        }

        private static async Task<StepResult> DnsAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var host = await NewHostAsync(azure, request, ctx).ConfigureAwait(false);
            var record = ZoneId(request) + "/CNAME/" + ArmPath.Escape(request.DnsRecordName!);
            var fqdn = request.DnsRecordName + "." + request.DnsZoneName;
            var existing = await azure.Arm.GetAsync(record, ArmApi.DnsZones, ctx.CancellationToken).ConfigureAwait(false);
            var current = existing is { } e && e.TryGetProperty("properties", out var p) && p.TryGetProperty("CNAMERecord", out var c) ? Text(c, "cname") : null;
            var oldTtl = existing is { } x && x.TryGetProperty("properties", out var q) && q.TryGetProperty("TTL", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : (int?)null;
            ctx.Publish(new UrlOutcome { Value = fqdn });
            if (string.Equals(current?.TrimEnd('.'), host, StringComparison.OrdinalIgnoreCase) && oldTtl == request.DnsTtl)
                return StepResult.AlreadyDone($"{fqdn} already points at {host} (TTL {request.DnsTtl} s).");
            if (!ctx.ShouldProcess(fqdn, ctx.Step.Plan)) return StepResult.Declined("DNS not changed.");
            var body = ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                w.WriteNumber("TTL", request.DnsTtl);
                w.WriteStartObject("CNAMERecord");
                w.WriteString("cname", host);
                w.WriteEndObject();
                w.WriteEndObject();
            });
            await azure.Arm.SendAsync(RequestMethod.Put, record, ArmApi.DnsZones, body, ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange($"pointed CNAME {fqdn} at {host}");
            var wait = oldTtl ?? request.DnsTtl;
            return StepResult.Done($"{fqdn} points at {host} with TTL {request.DnsTtl} s; resolvers may keep the old answer for up to {wait} s.");
        }

        private static async Task<string> NewHostAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            if (ctx.WhatIf) return "<" + request.App.Name + " host>";
            return (await new WebApps(azure).GetHealthUrlAsync(request.App, ctx.CancellationToken).ConfigureAwait(false)).Host;
        }

        // ------------------------------------------------------------ helpers

        private static void Validate(RegionRebuildRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.SourceResourceGroupName, r.SourceServerName, r.DatabaseName);
            ArmPath.Validate(r.SubscriptionId, r.TargetResourceGroupName, r.TargetServerName, r.DeploymentName, r.App.Name);
            if ((r.TemplateUri == null) == (r.TemplateFile == null))
                throw DrException.Precondition("TemplateSourceAmbiguous", DrErrorCategory.InvalidArgument, "Give either -TemplateUri or -TemplateFile.", r.DeploymentName);
            if (r.DnsZoneName != null && (r.DnsZoneResourceGroupName == null || r.DnsRecordName == null))
                throw DrException.Precondition("DnsRecordIncomplete", DrErrorCategory.InvalidArgument, "A DNS zone needs its resource group and the record name to point at the new app.", r.DnsZoneName);
            if (r.DnsTtl < 1) throw DrException.Precondition("DnsTtlInvalid", DrErrorCategory.InvalidArgument, "The DNS TTL must be at least 1 second.", r.DnsTtl);
        }

        private static string DeploymentId(RegionRebuildRequest r) =>
            ArmPath.ResourceGroup(r.SubscriptionId, r.TargetResourceGroupName) + "/providers/Microsoft.Resources/deployments/" + ArmPath.Escape(r.DeploymentName);

        private static string ZoneId(RegionRebuildRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.DnsZoneResourceGroupName!, "Microsoft.Network/dnsZones", r.DnsZoneName!);

        /// <summary>Every parameter the deployment gets: the journaled ones and the secure ones given with the request.</summary>
        private static IEnumerable<KeyValuePair<string, object?>> Parameters(RegionRebuildRequest r) =>
            ArmTemplate.JoinParameters(r.TemplateParameters, r.SecureTemplateParameters);

        private static string RecoverableId(RegionRebuildRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.SourceResourceGroupName, "Microsoft.Sql/servers/recoverableDatabases", r.SourceServerName, r.DatabaseName);

    }
}
