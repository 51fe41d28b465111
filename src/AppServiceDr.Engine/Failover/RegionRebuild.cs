using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;
using static AppServiceDr.Engine.Failover.ArmJson;

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
        /// <summary>Template parameter values (string, number, bool, or SecureString for secure parameters,
        /// which are never journaled and must be given again to resume before the deployment started).</summary>
        public IDictionary<string, object?> TemplateParameters { get; set; } = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
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
    }

    /// <summary>
    /// Path B of a region failover: create the target resource group, deploy the template and, as soon as
    /// the template's SQL server exists, geo-restore the database into it; then add the new URL to the Entra
    /// redirect URIs (merged, never dropped), point the DNS CNAME at it, and restart the app until healthy.
    /// </summary>
    public static class RegionRebuildRunbook
    {
        public const string Name = "RegionRebuild";
        private const string ResourcesApi = "2022-09-01";
        private const string DnsApi = "2018-05-01";
        private const string GroupStep = "resource-group";
        private const string DeployStep = "deploy-template";
        private const string RestoreStep = "geo-restore";

        /// <summary>Checks everything before any change (all problems together) and builds the runbook.</summary>
        public static async Task<RunbookDefinition> CreateAsync(DrEnvironment environment, RegionRebuildRequest request, SecretRedactor redactor, CancellationToken ct)
        {
            Validate(request);
            var azure = new AzureConnection(environment, redactor);
            var preflight = new Preflight();
            DateTimeOffset dataAsOf = default;

            await preflight.CheckAsync(async () =>
            {
                var locations = await azure.Arm.GetAsync("/subscriptions/" + ArmPath.Escape(request.SubscriptionId) + "/locations", ResourcesApi, ct).ConfigureAwait(false);
                var known = locations is { } l && l.TryGetProperty("value", out var v) ? v.EnumerateArray().Select(x => Text(x, "name")).ToList() : new List<string?>();
                if (!known.Any(n => string.Equals(n, request.TargetLocation, StringComparison.OrdinalIgnoreCase)))
                    throw DrException.Precondition("TargetLocationInvalid", DrErrorCategory.InvalidArgument,
                        $"'{request.TargetLocation}' is not a location of subscription {request.SubscriptionId}.", request.TargetLocation);
                var group = await azure.Arm.GetAsync(ArmPath.ResourceGroup(request.SubscriptionId, request.TargetResourceGroupName), ResourcesApi, ct).ConfigureAwait(false);
                if (group is { } g && !SameRegion(Text(g, "location"), request.TargetLocation))
                    throw DrException.Precondition("TargetResourceGroupElsewhere", DrErrorCategory.ResourceExists,
                        $"Resource group '{request.TargetResourceGroupName}' exists in {Text(g, "location")}, not in {request.TargetLocation}.", request.TargetResourceGroupName);
            }).ConfigureAwait(false);

            await preflight.CheckAsync(async () =>
            {
                var backup = await azure.Arm.GetAsync(RecoverableId(request), AzureSqlRestoreRunbook.ApiVersion, ct).ConfigureAwait(false)
                    ?? throw DrException.Precondition("GeoBackupNotFound", DrErrorCategory.ObjectNotFound,
                        $"No geo-backup of '{request.DatabaseName}' is listed for server '{request.SourceServerName}' (recoverableDatabases).", request.DatabaseName);
                var date = backup.TryGetProperty("properties", out var p) ? Text(p, "lastAvailableBackupDate") : null;
                if (date == null || !DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out dataAsOf))
                    throw DrException.Precondition("GeoBackupUndated", DrErrorCategory.InvalidData, $"The geo-backup of '{request.DatabaseName}' has no lastAvailableBackupDate.", request.DatabaseName);
            }).ConfigureAwait(false);

            await preflight.CheckAsync(() =>
            {
                if (request.TemplateFile != null) ReadTemplate(request.TemplateFile);
                if (request.TemplateParameterFile != null) ReadParameterFile(request.TemplateParameterFile);
                return Task.CompletedTask;
            }).ConfigureAwait(false);

            foreach (var appId in new[] { request.SpaApplicationId, request.WebApplicationId }.Where(a => a != null).Distinct())
                await preflight.CheckAsync(async () => await GetApplicationAsync(azure, appId!, ct).ConfigureAwait(false)).ConfigureAwait(false);

            if (request.DnsZoneName != null)
                await preflight.CheckAsync(async () =>
                {
                    if (await azure.Arm.GetAsync(ZoneId(request), DnsApi, ct).ConfigureAwait(false) == null)
                        throw DrException.Precondition("DnsZoneNotFound", DrErrorCategory.ObjectNotFound,
                            $"DNS zone '{request.DnsZoneName}' was not found in resource group '{request.DnsZoneResourceGroupName}'.", request.DnsZoneName);
                }).ConfigureAwait(false);

            preflight.ThrowIfAny("RegionRebuildPreflightFailed", "rebuild");
            return Build(environment, azure, request, dataAsOf, redactor);
        }

        /// <summary>Rebuilds the runbook from a journaled run; secure template parameters are given again.</summary>
        public static RunbookDefinition ForResume(DrEnvironment environment, IReadOnlyDictionary<string, string?> inputs, IDictionary<string, object?>? secureParameters, SecretRedactor redactor)
        {
            var request = new RegionRebuildRequest
            {
                SubscriptionId = inputs.Require("SubscriptionId"),
                SourceResourceGroupName = inputs.Require("SourceResourceGroupName"),
                SourceServerName = inputs.Require("SourceServerName"),
                DatabaseName = inputs.Require("DatabaseName"),
                TargetResourceGroupName = inputs.Require("TargetResourceGroupName"),
                TargetLocation = inputs.Require("TargetLocation"),
                TemplateUri = inputs.Optional("TemplateUri") is string u ? new Uri(u) : null,
                TemplateFile = inputs.Optional("TemplateFile"),
                TemplateParameterFile = inputs.Optional("TemplateParameterFile"),
                DeploymentName = inputs.Require("DeploymentName"),
                TargetServerName = inputs.Require("TargetServerName"),
                App = WebAppTarget.FromInputs(inputs) ?? throw new DrException("JournalDamaged", DrErrorCategory.InvalidData, "The run did not record its app.") { IsPrecondition = true },
                SpaApplicationId = inputs.Optional("SpaApplicationId"),
                WebApplicationId = inputs.Optional("WebApplicationId"),
                RedirectPath = inputs.Require("RedirectPath"),
                DnsZoneName = inputs.Optional("DnsZoneName"),
                DnsZoneResourceGroupName = inputs.Optional("DnsZoneResourceGroupName"),
                DnsRecordName = inputs.Optional("DnsRecordName"),
                DnsTtl = int.Parse(inputs.Require("DnsTtl"), CultureInfo.InvariantCulture),
                Timeout = TimeSpan.FromSeconds(double.Parse(inputs.Require("TimeoutSeconds"), CultureInfo.InvariantCulture)),
            };
            foreach (var pair in inputs.Where(i => i.Key.StartsWith(ParameterPrefix, StringComparison.Ordinal) && i.Value != null))
                request.TemplateParameters[pair.Key.Substring(ParameterPrefix.Length)] = JsonDocument.Parse(pair.Value!).RootElement.Clone();
            foreach (var pair in secureParameters ?? new Dictionary<string, object?>())
                request.TemplateParameters[pair.Key] = pair.Value;
            var dataAsOf = ArmText.ParseIso(inputs.Require("DataAsOf"));
            return Build(environment, new AzureConnection(environment, redactor), request, dataAsOf, redactor);
        }

        private const string ParameterPrefix = "TemplateParameter:";

        private static RunbookDefinition Build(DrEnvironment environment, AzureConnection azure, RegionRebuildRequest request, DateTimeOffset dataAsOf, SecretRedactor redactor)
        {
            foreach (var secret in request.TemplateParameters.Values.OfType<SecureString>())
                redactor.Register(SecureStrings.Unprotect(secret));
            var inputs = new List<RunInput>
            {
                new RunInput("SubscriptionId", request.SubscriptionId),
                new RunInput("SourceResourceGroupName", request.SourceResourceGroupName),
                new RunInput("SourceServerName", request.SourceServerName),
                new RunInput("DatabaseName", request.DatabaseName),
                new RunInput("TargetResourceGroupName", request.TargetResourceGroupName),
                new RunInput("TargetLocation", request.TargetLocation),
                new RunInput("TemplateUri", request.TemplateUri?.ToString()),
                new RunInput("TemplateFile", request.TemplateFile),
                new RunInput("TemplateParameterFile", request.TemplateParameterFile),
                new RunInput("DeploymentName", request.DeploymentName),
                new RunInput("TargetServerName", request.TargetServerName),
                new RunInput("SpaApplicationId", request.SpaApplicationId),
                new RunInput("WebApplicationId", request.WebApplicationId),
                new RunInput("RedirectPath", request.RedirectPath),
                new RunInput("DnsZoneName", request.DnsZoneName),
                new RunInput("DnsZoneResourceGroupName", request.DnsZoneResourceGroupName),
                new RunInput("DnsRecordName", request.DnsRecordName),
                new RunInput("DnsTtl", request.DnsTtl.ToString(CultureInfo.InvariantCulture)),
                new RunInput("DataAsOf", ArmText.Iso(dataAsOf)),
                new RunInput("TimeoutSeconds", request.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)),
            };
            foreach (var pair in request.TemplateParameters)
                inputs.Add(new RunInput(ParameterPrefix + pair.Key, pair.Value is SecureString ? null : ParameterJson(pair.Value), isSecret: pair.Value is SecureString));
            inputs.AddRange(request.App.ToInputs());

            var restore = new AzureSqlRestoreRequest
            {
                SubscriptionId = request.SubscriptionId, ResourceGroupName = request.SourceResourceGroupName, ServerName = request.SourceServerName,
                DatabaseName = request.DatabaseName, FromGeoBackup = true, TargetResourceGroupName = request.TargetResourceGroupName,
                TargetServerName = request.TargetServerName, TargetDatabaseName = request.DatabaseName, Timeout = request.Timeout,
            };
            var restart = new WebAppRestartService(environment, redactor);
            var steps = new List<RunbookStep>
            {
                new RunbookStep(GroupStep, $"Create resource group {request.TargetResourceGroupName} in {request.TargetLocation}", ctx => ResourceGroupAsync(azure, request, ctx)),
                new RunbookStep(DeployStep, $"Deploy {(request.TemplateUri?.ToString() ?? request.TemplateFile)} to {request.TargetResourceGroupName} as deployment {request.DeploymentName}",
                    ctx => DeployAsync(azure, request, ctx), GroupStep),
                new RunbookStep(RestoreStep, $"As soon as server {request.TargetServerName} exists, restore the latest geo-backup of {request.DatabaseName} (taken {ArmText.Iso(dataAsOf)}) into it",
                    async ctx =>
                    {
                        await WaitForServerAsync(azure, request, ctx).ConfigureAwait(false);
                        return await AzureSqlRestoreRunbook.GeoRestoreStepAsync(azure, restore, request.TargetLocation, dataAsOf, ctx).ConfigureAwait(false);
                    }, GroupStep),
            };
            var urlSteps = new List<string>();
            if (request.SpaApplicationId != null || request.WebApplicationId != null)
            {
                steps.Add(new RunbookStep("redirect-uris", $"Add https://<{request.App.Name} host>{request.RedirectPath} to the redirect URIs of the Entra application(s), keeping the existing ones",
                    ctx => RedirectUrisAsync(azure, restart, request, ctx), DeployStep));
                urlSteps.Add("redirect-uris");
            }
            if (request.DnsZoneName != null)
            {
                steps.Add(new RunbookStep("dns", $"Point CNAME {request.DnsRecordName}.{request.DnsZoneName} at the host of {request.App.Name} (TTL {request.DnsTtl} s)",
                    ctx => DnsAsync(azure, restart, request, ctx), DeployStep));
                urlSteps.Add("dns");
            }
            var before = new[] { GroupStep, DeployStep, RestoreStep }.Concat(urlSteps).ToArray();
            steps = steps.Select(s => new RunbookStep(s.Id, s.Plan, Tracked(s.Action), s.DependsOn.ToArray())).ToList();
            steps.Add(WebAppRestartStep.Create(restart, request.App, before, ctx => before.All(d => ctx.GetOutput(d, ChangedOutput) == "False")));
            return new RunbookDefinition(Name, inputs, steps);
        }

        private const string ChangedOutput = "Changed";
        private const string RefusedOutput = "Refused";

        /// <summary>Publishes whether the step changed anything, so the final restart can be skipped on a repeated run.</summary>
        private static Func<StepContext, Task<StepResult>> Tracked(Func<StepContext, Task<StepResult>> action) => async ctx =>
        {
            var result = await action(ctx).ConfigureAwait(false);
            if (result.Outcome != StepOutcome.Skipped) ctx.SetOutput(ChangedOutput, result.Outcome == StepOutcome.AlreadyDone ? "False" : "True");
            return result;
        };

        // ------------------------------------------------------------ resource group and template

        private static async Task<StepResult> ResourceGroupAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var path = ArmPath.ResourceGroup(request.SubscriptionId, request.TargetResourceGroupName);
            var existing = await azure.Arm.GetAsync(path, ResourcesApi, ctx.CancellationToken).ConfigureAwait(false);
            if (existing != null) return StepResult.AlreadyDone($"{request.TargetResourceGroupName} exists in {Text(existing.Value, "location")}.");
            if (!ctx.ShouldProcess(request.TargetResourceGroupName, ctx.Step.Plan)) return StepResult.Declined("Resource group not created.");
            await azure.Arm.SendAsync(RequestMethod.Put, path, ResourcesApi, ArmText.Body(w => w.WriteString("location", request.TargetLocation)), ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange($"created resource group {request.TargetResourceGroupName} in {request.TargetLocation}");
            return StepResult.Done($"{request.TargetResourceGroupName} created in {request.TargetLocation}.");
        }

        private static async Task<StepResult> DeployAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var path = DeploymentId(request);
            var existing = await azure.Arm.GetAsync(path, ResourcesApi, ct).ConfigureAwait(false);
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
                (_, handle) = await azure.Arm.StartAsync(RequestMethod.Put, path, ResourcesApi, DeploymentBody(request), ct).ConfigureAwait(false);
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

        private static string DeploymentBody(RegionRebuildRequest request)
        {
            JsonElement? fromFile = request.TemplateParameterFile != null ? ReadParameterFile(request.TemplateParameterFile) : (JsonElement?)null;
            return ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                w.WriteString("mode", "Incremental");
                if (request.TemplateUri != null)
                {
                    w.WriteStartObject("templateLink");
                    w.WriteString("uri", request.TemplateUri.ToString());
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("template");
                    ReadTemplate(request.TemplateFile!).WriteTo(w);
                }
                w.WriteStartObject("parameters");
                var given = new HashSet<string>(request.TemplateParameters.Keys, StringComparer.OrdinalIgnoreCase);
                if (fromFile is { } file)
                    foreach (var pair in file.EnumerateObject().Where(p => !given.Contains(p.Name)))
                        pair.WriteTo(w);
                foreach (var pair in request.TemplateParameters)
                {
                    w.WriteStartObject(pair.Key);
                    w.WritePropertyName("value");
                    WriteValue(w, pair.Value);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        private static void WriteValue(Utf8JsonWriter w, object? value)
        {
            switch (value)
            {
                case null: w.WriteNullValue(); break;
                case SecureString s: w.WriteStringValue(SecureStrings.Unprotect(s)); break;
                case JsonElement e: e.WriteTo(w); break;
                case bool b: w.WriteBooleanValue(b); break;
                case int i: w.WriteNumberValue(i); break;
                case long l: w.WriteNumberValue(l); break;
                case double d: w.WriteNumberValue(d); break;
                default: w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
        }

        private static string ParameterJson(object? value)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream)) WriteValue(w, value);
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private static JsonElement ReadTemplate(string file)
        {
            var template = ReadJson(file, "TemplateInvalid", "template");
            if (template.ValueKind != JsonValueKind.Object || !template.TryGetProperty("resources", out var r) || r.ValueKind != JsonValueKind.Array)
                throw DrException.Precondition("TemplateInvalid", DrErrorCategory.InvalidData, $"'{file}' is not an ARM template: it has no resources array.", file);
            return template;
        }

        private static JsonElement ReadParameterFile(string file)
        {
            var content = ReadJson(file, "TemplateParameterFileInvalid", "parameter file");
            return content.ValueKind == JsonValueKind.Object && content.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                ? p : throw DrException.Precondition("TemplateParameterFileInvalid", DrErrorCategory.InvalidData, $"'{file}' has no parameters object.", file);
        }

        private static JsonElement ReadJson(string file, string errorId, string what)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw DrException.Precondition(errorId, DrErrorCategory.ReadError, $"The {what} '{file}' cannot be read: {ex.Message}", file);
            }
            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                return doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw DrException.Precondition(errorId, DrErrorCategory.InvalidData, $"The {what} '{file}' is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", file);
            }
        }

        // ------------------------------------------------------------ geo-restore

        /// <summary>The restore starts as soon as the deployment has created the server, not when the whole
        /// deployment ends. A failed deployment left by an earlier attempt (before a resume resubmits it) is not
        /// taken for the outcome of this one.</summary>
        private static async Task WaitForServerAsync(AzureConnection azure, RegionRebuildRequest request, StepContext ctx)
        {
            var server = ArmPath.Resource(request.SubscriptionId, request.TargetResourceGroupName, "Microsoft.Sql/servers", request.TargetServerName);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var staleRefusal = ctx.GetOutput(DeployStep, RefusedOutput);
            string? staleFailure = null;
            var first = true;
            while (!ctx.WhatIf)
            {
                if (await azure.Arm.GetAsync(server, AzureSqlRestoreRunbook.ApiVersion, ctx.CancellationToken).ConfigureAwait(false) != null) return;
                var deployment = await azure.Arm.GetAsync(DeploymentId(request), ResourcesApi, ctx.CancellationToken).ConfigureAwait(false);
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
                if (clock.Elapsed > request.Timeout)
                    throw new DrException("TargetServerNotDeployed", DrErrorCategory.OperationTimeout,
                        $"Server '{request.TargetServerName}' did not appear within {request.Timeout.TotalMinutes:0} min.", request.TargetServerName);
                ctx.Progress($"Waiting for the deployment to create {request.TargetServerName}");
                await Task.Delay(azure.Environment.DefaultPollInterval, ctx.CancellationToken).ConfigureAwait(false);
            }
        }

        // ------------------------------------------------------------ Entra redirect URIs and DNS

        private static async Task<StepResult> RedirectUrisAsync(AzureConnection azure, WebAppRestartService sites, RegionRebuildRequest request, StepContext ctx)
        {
            var host = await NewHostAsync(sites, request, ctx).ConfigureAwait(false);
            var uri = "https://" + host + (request.RedirectPath.StartsWith("/", StringComparison.Ordinal) ? request.RedirectPath : "/" + request.RedirectPath);
            var added = new List<string>();
            foreach (var (appId, kind) in new[] { (request.SpaApplicationId, "spa"), (request.WebApplicationId, "web") })
            {
                if (appId == null) continue;
                var app = await GetApplicationAsync(azure, appId, ctx.CancellationToken).ConfigureAwait(false);
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
                await GraphSendAsync(azure, RequestMethod.Patch, appId, body, ctx.CancellationToken).ConfigureAwait(false);
                ctx.RecordChange($"added {uri} to the {kind} redirect URIs of application {appId}");
                added.Add(kind);
            }
            ctx.SetOutput("RedirectUri", uri);
            return added.Count == 0
                ? StepResult.AlreadyDone($"{uri} is already a redirect URI.")
                : StepResult.Done($"{uri} added to the {string.Join(" and ", added)} redirect URIs; the existing ones were kept.");
        }

        private static async Task<StepResult> DnsAsync(AzureConnection azure, WebAppRestartService sites, RegionRebuildRequest request, StepContext ctx)
        {
            var host = await NewHostAsync(sites, request, ctx).ConfigureAwait(false);
            var record = ZoneId(request) + "/CNAME/" + ArmPath.Escape(request.DnsRecordName!);
            var fqdn = request.DnsRecordName + "." + request.DnsZoneName;
            var existing = await azure.Arm.GetAsync(record, DnsApi, ctx.CancellationToken).ConfigureAwait(false);
            var current = existing is { } e && e.TryGetProperty("properties", out var p) && p.TryGetProperty("CNAMERecord", out var c) ? Text(c, "cname") : null;
            var oldTtl = existing is { } x && x.TryGetProperty("properties", out var q) && q.TryGetProperty("TTL", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : (int?)null;
            ctx.SetOutput("Record", fqdn);
            ctx.SetOutput("TtlSeconds", request.DnsTtl.ToString(CultureInfo.InvariantCulture));
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
            await azure.Arm.SendAsync(RequestMethod.Put, record, DnsApi, body, ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange($"pointed CNAME {fqdn} at {host}");
            var wait = oldTtl ?? request.DnsTtl;
            return StepResult.Done($"{fqdn} points at {host} with TTL {request.DnsTtl} s; resolvers may keep the old answer for up to {wait} s.");
        }

        private static async Task<string> NewHostAsync(WebAppRestartService sites, RegionRebuildRequest request, StepContext ctx)
        {
            if (ctx.WhatIf) return "<" + request.App.Name + " host>";
            return (await sites.GetHealthUrlAsync(request.App, ctx.CancellationToken).ConfigureAwait(false)).Host;
        }

        private static async Task<JsonElement> GetApplicationAsync(AzureConnection azure, string appId, CancellationToken ct) =>
            await GraphSendAsync(azure, RequestMethod.Get, appId, null, ct).ConfigureAwait(false)
            ?? throw DrException.Precondition("EntraApplicationNotFound", DrErrorCategory.ObjectNotFound, $"No Entra application has appId '{appId}'.", appId);

        private static async Task<JsonElement?> GraphSendAsync(AzureConnection azure, RequestMethod method, string appId, string? body, CancellationToken ct)
        {
            using var message = azure.Graph.CreateMessage();
            message.Request.Method = method;
            message.Request.Uri.Reset(new Uri(azure.Environment.GraphEndpoint, "v1.0/applications(appId='" + Uri.EscapeDataString(appId.Replace("'", "''")) + "')"));
            message.Request.Headers.Add("Accept", "application/json");
            if (body != null)
            {
                message.Request.Headers.Add("Content-Type", "application/json");
                message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(body));
            }
            try
            {
                await azure.Graph.SendAsync(message, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (AzureErrors.FromFailure(AzureService.Graph, ex, $"{method} application {appId}", appId) is DrException failure)
            {
                throw failure;
            }
            var status = message.Response.Status;
            if (status == 404 && method == RequestMethod.Get) return null;
            string text;
            using (var reader = new StreamReader(message.Response.ContentStream ?? new MemoryStream(), Encoding.UTF8)) text = await reader.ReadToEndAsync().ConfigureAwait(false);
            if (status >= 400)
            {
                JsonElement? error = null;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    error = doc.RootElement.Clone();
                }
                catch (JsonException) { }
                throw AzureErrors.FromAnswer(AzureService.Graph, status, error, $"{method} application {appId}", appId);
            }
            if (string.IsNullOrWhiteSpace(text)) return null;
            using (var doc = JsonDocument.Parse(text)) return doc.RootElement.Clone();
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

        private static string RecoverableId(RegionRebuildRequest r) =>
            ArmPath.Resource(r.SubscriptionId, r.SourceResourceGroupName, "Microsoft.Sql/servers/recoverableDatabases", r.SourceServerName, r.DatabaseName);

    }
}
