using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Setup
{
    /// <summary>Seed 004's alerts: what to watch and who to tell.</summary>
    public sealed class AlertRulesRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>Resource group of the resources watched, where the rules and the action group are kept too.</summary>
        public string ResourceGroupName { get; set; } = "";
        public string? ServerName { get; set; }
        public string? DatabaseName { get; set; }
        public string? StorageAccountName { get; set; }
        public string? WebAppName { get; set; }
        public string? VaultName { get; set; }
        public string ActionGroupName { get; set; } = "appservicedr-alerts";
        /// <summary>The sender name of texts and e-mails (at most 12 characters).</summary>
        public string ActionGroupShortName { get; set; } = "AppServiceDr";
        public IReadOnlyList<string> EmailAddresses { get; set; } = Array.Empty<string>();
        /// <summary>Webhook addresses often carry a token: never journaled, given again with -Resume.</summary>
        [Secret("WebhookUri")]
        public string[]? WebhookUris { get; set; }
        public int DtuThresholdPercent { get; set; } = 90;
        public double StorageAvailabilityThresholdPercent { get; set; } = 99;

        /// <summary>Filled by the pre-flight: the name of each rule by kind (an existing rule of that kind on that
        /// resource keeps its name, so it is updated, not duplicated).</summary>
        public Dictionary<string, string> RuleNames { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>
    /// The four alerts of seed 004 and the action group they notify: SQL DTU above 90% for 15 minutes and storage
    /// availability below 99% (metric alerts), the app's resource health turning Unavailable or Degraded (an activity
    /// log alert), and any request Key Vault answers 403 (a metric alert on ServiceApiResult by status code). Each
    /// rule carries a tag naming its kind; a rule of that kind on that resource that exists already (whatever its
    /// name) is updated in place, never duplicated, and one that is as asked is left alone. Every address is checked
    /// before anything changes.
    /// </summary>
    public sealed class AlertRulesRunbook : Runbook<AlertRulesRequest, AlertRuleResult>
    {
        internal static readonly ArmApi MetricApi = ArmApi.MetricAlerts;
        internal static readonly ArmApi ActivityApi = ArmApi.ActivityLogAlerts;
        internal static readonly ArmApi ActionGroupApi = ArmApi.ActionGroups;
        internal const string KindTag = "appservicedr-alert";
        private const string ActionGroupStep = "action-group";
        private const string AlertPrefix = "alert:";

        internal const string SqlDtu = "SqlDtu";
        internal const string StorageAvailability = "StorageAvailability";
        internal const string AppServiceHealth = "AppServiceHealth";
        internal const string KeyVaultAccessDenied = "KeyVaultAccessDenied";

        public override string Name => "AlertRules";
        public override string Command => "Set-DrAlertRule";

        /// <summary>One rule as the runbook wants it.</summary>
        private sealed class Rule
        {
            public string Kind { get; set; } = "";
            public string Collection { get; set; } = "";
            public ArmApi Api { get; set; } = ArmApi.MetricAlerts;
            public string Scope { get; set; } = "";
            public string Condition { get; set; } = "";
            public JsonObject Properties { get; set; } = new JsonObject();
            public string Location { get; set; } = "global";
        }

        protected internal override async Task PreflightAsync(RunContext run, AlertRulesRequest request, CancellationToken ct)
        {
            Validate(request);
            var arm = run.Azure.Arm;
            var checks = new Preflight();
            foreach (var rule in Rules(request))
                await checks.CheckAsync(async () =>
                {
                    if (await arm.GetAsync(rule.Scope, ScopeApi(rule.Kind), ct).ConfigureAwait(false) == null)
                        throw DrException.Precondition("AlertTargetNotFound", DrErrorCategory.ObjectNotFound,
                            $"The resource the {rule.Kind} alert watches was not found: {rule.Scope}.", Last(rule.Scope));
                    request.RuleNames[rule.Kind] = await ExistingNameAsync(arm, request, rule, ct).ConfigureAwait(false) ?? DefaultName(request, rule.Kind);
                }).ConfigureAwait(false);
            checks.ThrowIfAny("AlertRulesPreflightFailed", "alert setup");
        }

        private static void Validate(AlertRulesRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.ActionGroupName);
            if (r.ActionGroupShortName.Length == 0 || r.ActionGroupShortName.Length > 12)
                throw DrException.Precondition("InvalidActionGroupShortName", DrErrorCategory.InvalidArgument,
                    $"The action group's short name '{r.ActionGroupShortName}' must be 1 to 12 characters.", r.ActionGroupShortName);
            foreach (var address in r.EmailAddresses)
                if (!IsEmailAddress(address))
                    throw DrException.Precondition("InvalidEmailAddress", DrErrorCategory.InvalidArgument, $"'{address}' is not an e-mail address.", address);
            foreach (var hook in r.WebhookUris ?? Array.Empty<string>())
                if (!Uri.TryCreate(hook, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
                    throw DrException.Precondition("InvalidWebhookUri", DrErrorCategory.InvalidArgument, "A webhook address must be an absolute https URI.", "WebhookUri");
            if (r.EmailAddresses.Count == 0 && (r.WebhookUris?.Length ?? 0) == 0)
                throw DrException.Precondition("NoAlertReceiver", DrErrorCategory.InvalidArgument, "Give at least one -EmailAddress or -WebhookUri to notify.", r.ActionGroupName);
            if ((r.ServerName == null) != (r.DatabaseName == null))
                throw DrException.Precondition("DatabaseAlertNeedsServerAndDatabase", DrErrorCategory.InvalidArgument, "The SQL DTU alert needs both -ServerName and -DatabaseName.", r.ServerName ?? r.DatabaseName);
            var names = new[] { r.ServerName, r.DatabaseName, r.StorageAccountName, r.WebAppName, r.VaultName }.Where(n => n != null).Select(n => n!).ToArray();
            if (names.Length == 0)
                throw DrException.Precondition("NoAlertTarget", DrErrorCategory.InvalidArgument, "Name at least one resource to watch (-ServerName and -DatabaseName, -StorageAccountName, -WebAppName, -VaultName).", r.ResourceGroupName);
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, names);
            if (r.DtuThresholdPercent < 1 || r.DtuThresholdPercent > 100 || r.StorageAvailabilityThresholdPercent <= 0 || r.StorageAvailabilityThresholdPercent > 100)
                throw DrException.Precondition("InvalidThreshold", DrErrorCategory.InvalidArgument, "Thresholds are percentages.", r.ActionGroupName);
        }

        /// <summary>A plain address (local part, @, a domain with a dot), with no display name or surrounding text.</summary>
        internal static bool IsEmailAddress(string address)
        {
            if (string.IsNullOrWhiteSpace(address) || address.Trim() != address) return false;
            try
            {
                var parsed = new System.Net.Mail.MailAddress(address);
                var at = parsed.Address.LastIndexOf('@');
                return parsed.Address == address && at > 0 && parsed.Address.IndexOf('.', at) > at + 1 && !parsed.Address.EndsWith(".", StringComparison.Ordinal);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private static ArmApi ScopeApi(string kind) => kind switch
        {
            SqlDtu => ArmApi.SqlServers,
            StorageAvailability => ArmApi.StorageAccounts,
            AppServiceHealth => ArmApi.Sites,
            _ => ArmApi.KeyVaults,
        };

        /// <summary>A rule of this kind on this resource, under any name (its tag says what it is for).</summary>
        private static async Task<string?> ExistingNameAsync(ArmRestClient arm, AlertRulesRequest r, Rule rule, CancellationToken ct)
        {
            var list = await arm.GetAsync(ArmPath.ResourceGroup(r.SubscriptionId, r.ResourceGroupName) + "/providers/Microsoft.Insights/" + rule.Collection, rule.Api, ct).ConfigureAwait(false);
            if (list is not { } l || !l.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array) return null;
            foreach (var existing in value.EnumerateArray())
            {
                var tagged = existing.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object && Text(tags, KindTag) == rule.Kind;
                var scopes = existing.TryGetProperty("properties", out var p) && p.TryGetProperty("scopes", out var s) && s.ValueKind == JsonValueKind.Array
                    ? s.EnumerateArray().Select(x => x.GetString()).ToList() : new List<string?>();
                if (tagged && scopes.Any(x => string.Equals(x?.TrimStart('/'), rule.Scope.TrimStart('/'), StringComparison.OrdinalIgnoreCase))) return Text(existing, "name");
            }
            return null;
        }

        private static string DefaultName(AlertRulesRequest r, string kind) => kind switch
        {
            SqlDtu => $"{r.DatabaseName}-dtu-above-{r.DtuThresholdPercent}",
            StorageAvailability => $"{r.StorageAccountName}-availability",
            AppServiceHealth => $"{r.WebAppName}-health",
            _ => $"{r.VaultName}-access-denied",
        };

        private static string ActionGroupId(AlertRulesRequest r) => ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Insights/actionGroups", r.ActionGroupName);

        /// <summary>The rules the request asks for, with the properties each should have.</summary>
        private static List<Rule> Rules(AlertRulesRequest r)
        {
            var actions = new JsonArray(new JsonObject { ["actionGroupId"] = ActionGroupId(r) });
            JsonObject Metric(string scope, string description, int severity, string frequency, string window, JsonObject criterion) => new JsonObject
            {
                ["description"] = description,
                ["severity"] = severity,
                ["enabled"] = true,
                ["scopes"] = new JsonArray(scope),
                ["evaluationFrequency"] = frequency,
                ["windowSize"] = window,
                ["criteria"] = new JsonObject
                {
                    ["odata.type"] = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    ["allOf"] = new JsonArray(criterion),
                },
                ["autoMitigate"] = true,
                ["actions"] = actions.DeepClone(),
            };
            JsonObject Criterion(string name, string metric, string op, double threshold, string aggregation) => new JsonObject
            {
                ["criterionType"] = "StaticThresholdCriterion", ["name"] = name, ["metricName"] = metric, ["dimensions"] = new JsonArray(),
                ["operator"] = op, ["threshold"] = threshold, ["timeAggregation"] = aggregation,
            };
            var rules = new List<Rule>();
            if (r.ServerName != null && r.DatabaseName != null)
            {
                var scope = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers/databases", r.ServerName, r.DatabaseName);
                rules.Add(new Rule
                {
                    Kind = SqlDtu, Collection = "metricAlerts", Api = MetricApi, Scope = scope,
                    Condition = $"dtu_consumption_percent > {r.DtuThresholdPercent} for 15 min",
                    Properties = Metric(scope, $"SQL DTU above {r.DtuThresholdPercent}% for 15 minutes (seed 004).", 2, "PT1M", "PT15M",
                        Criterion("HighDtu", "dtu_consumption_percent", "GreaterThan", r.DtuThresholdPercent, "Average")),
                });
            }
            if (r.StorageAccountName != null)
            {
                var scope = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Storage/storageAccounts", r.StorageAccountName);
                var threshold = r.StorageAvailabilityThresholdPercent.ToString("0.##", CultureInfo.InvariantCulture);
                rules.Add(new Rule
                {
                    Kind = StorageAvailability, Collection = "metricAlerts", Api = MetricApi, Scope = scope,
                    Condition = $"Availability < {threshold}% over 15 min",
                    Properties = Metric(scope, $"Storage availability below {threshold}% (seed 004).", 2, "PT5M", "PT15M",
                        Criterion("LowAvailability", "Availability", "LessThan", r.StorageAvailabilityThresholdPercent, "Average")),
                });
            }
            if (r.WebAppName != null)
            {
                var scope = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Web/sites", r.WebAppName);
                rules.Add(new Rule
                {
                    Kind = AppServiceHealth, Collection = "activityLogAlerts", Api = ActivityApi, Scope = scope, Location = "Global",
                    Condition = "resource health Unavailable or Degraded",
                    Properties = new JsonObject
                    {
                        ["scopes"] = new JsonArray(scope),
                        ["condition"] = new JsonObject
                        {
                            ["allOf"] = new JsonArray(
                                new JsonObject { ["field"] = "category", ["equals"] = "ResourceHealth" },
                                new JsonObject
                                {
                                    ["anyOf"] = new JsonArray(
                                        new JsonObject { ["field"] = "properties.currentHealthStatus", ["equals"] = "Unavailable" },
                                        new JsonObject { ["field"] = "properties.currentHealthStatus", ["equals"] = "Degraded" }),
                                }),
                        },
                        ["actions"] = new JsonObject { ["actionGroups"] = actions.DeepClone() },
                        ["enabled"] = true,
                        ["description"] = "App Service health unhealthy (seed 004).",
                    },
                });
            }
            if (r.VaultName != null)
            {
                var scope = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.KeyVault/vaults", r.VaultName);
                var criterion = Criterion("AccessDenied", "ServiceApiResult", "GreaterThan", 0, "Total");
                criterion["dimensions"] = new JsonArray(new JsonObject { ["name"] = "StatusCode", ["operator"] = "Include", ["values"] = new JsonArray("403") });
                rules.Add(new Rule
                {
                    Kind = KeyVaultAccessDenied, Collection = "metricAlerts", Api = MetricApi, Scope = scope,
                    Condition = "any request answered 403",
                    Properties = Metric(scope, "Key Vault access denied: any request answered 403 (seed 004).", 1, "PT1M", "PT5M", criterion),
                });
            }
            return rules;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, AlertRulesRequest request)
        {
            foreach (var hook in request.WebhookUris ?? Array.Empty<string>()) run.Redactor.Register(hook);
            var receivers = request.EmailAddresses.Count + " e-mail and " + (request.WebhookUris?.Length ?? 0) + " webhook receiver(s)";
            yield return new RunbookStep(ActionGroupStep, $"Make action group {request.ActionGroupName} notify {receivers}", ctx => ActionGroupAsync(ctx, request));
            foreach (var rule in Rules(request))
            {
                var name = request.RuleNames.TryGetValue(rule.Kind, out var n) ? n : DefaultName(request, rule.Kind);
                yield return new RunbookStep(AlertPrefix + rule.Kind, $"Make alert rule {name} fire when {Last(rule.Scope)} has {rule.Condition}",
                    ctx => RuleAsync(ctx, request, rule, name), ActionGroupStep);
            }
        }

        private static async Task<StepResult> ActionGroupAsync(StepContext ctx, AlertRulesRequest r)
        {
            var properties = new JsonObject
            {
                ["groupShortName"] = r.ActionGroupShortName,
                ["enabled"] = true,
                ["emailReceivers"] = new JsonArray(r.EmailAddresses.Select((e, i) => (JsonNode?)new JsonObject
                {
                    ["name"] = "email" + (i + 1).ToString(CultureInfo.InvariantCulture), ["emailAddress"] = e, ["useCommonAlertSchema"] = true,
                }).ToArray()),
                ["webhookReceivers"] = new JsonArray((r.WebhookUris ?? Array.Empty<string>()).Select((w, i) => (JsonNode?)new JsonObject
                {
                    ["name"] = "webhook" + (i + 1).ToString(CultureInfo.InvariantCulture), ["serviceUri"] = w, ["useCommonAlertSchema"] = true,
                }).ToArray()),
            };
            return await PutIfDifferentAsync(ctx, ActionGroupId(r), ActionGroupApi, "Global", properties, null, $"action group {r.ActionGroupName}").ConfigureAwait(false);
        }

        private static Task<StepResult> RuleAsync(StepContext ctx, AlertRulesRequest r, Rule rule, string name) =>
            PutIfDifferentAsync(ctx, ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Insights/" + rule.Collection, name), rule.Api, rule.Location,
                rule.Properties, rule.Kind, $"alert rule {name}");

        /// <summary>Reads the resource; sends it (create, or update in place) only when it lacks any of the properties
        /// asked for.</summary>
        private static async Task<StepResult> PutIfDifferentAsync(StepContext ctx, string id, ArmApi api, string location, JsonObject properties, string? kind, string what)
        {
            var arm = ctx.Azure.Arm;
            var existing = await arm.GetAsync(id, api, ctx.CancellationToken).ConfigureAwait(false);
            var current = existing is { } e ? JsonNode.Parse(e.GetRawText()) as JsonObject : null;
            var tagged = kind == null || current?["tags"]?[KindTag]?.GetValue<string>() == kind;
            if (current != null && tagged && Contains(current["properties"], properties))
                return StepResult.AlreadyDone($"{what} is as asked.");
            if (!ctx.ShouldProcess(Last(id), ctx.Step.Plan)) return StepResult.Declined($"{what} not changed.");
            var body = new JsonObject { ["location"] = location, ["properties"] = properties.DeepClone() };
            var tags = current?["tags"] is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
            if (kind != null) tags[KindTag] = kind;
            body["tags"] = tags;
            await arm.SendAsync(RequestMethod.Put, id, api, body.ToJsonString(), ctx.CancellationToken).ConfigureAwait(false);
            ctx.RecordChange(current == null ? $"{what} created" : $"{what} updated in place");
            ctx.Publish(new SetupStepOutcome { Created = current == null });
            return StepResult.Done(current == null ? $"{what} created." : $"{what} updated.");
        }

        /// <summary>True when <paramref name="actual"/> has every value of <paramref name="wanted"/> (objects by
        /// property, arrays element by element, strings without regard to case, numbers by value).</summary>
        internal static bool Contains(JsonNode? actual, JsonNode? wanted)
        {
            switch (wanted)
            {
                case null:
                    return true;
                case JsonObject o:
                    return actual is JsonObject a && o.All(p => a.TryGetPropertyValue(p.Key, out var v) && Contains(v, p.Value));
                case JsonArray w:
                    return actual is JsonArray x && x.Count == w.Count && w.Select((item, i) => Contains(x[i], item)).All(b => b);
                default:
                    if (actual is not JsonValue av || wanted is not JsonValue wv) return false;
                    var wk = wv.GetValueKind();
                    if (wk == JsonValueKind.Number) return av.GetValueKind() == JsonValueKind.Number && Number(av) == Number(wv);
                    if (wk == JsonValueKind.String) return av.GetValueKind() == JsonValueKind.String && string.Equals(av.GetValue<string>(), wv.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
                    return av.GetValueKind() == wk;
            }
        }

        private static double Number(JsonValue value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

        protected internal override IEnumerable<AlertRuleResult> Results(AlertRulesRequest request, RunReport report)
        {
            var duration = SetupRuns.Duration(report);
            AlertRuleResult Make(StepReport? step, string kind, string name, string? target, string condition)
            {
                var one = new RunReport { RunId = report.RunId, Steps = step == null ? new List<StepReport>() : new List<StepReport> { step } };
                return new AlertRuleResult
                {
                    Kind = kind, Name = name, Target = target, Condition = condition, ActionGroupName = request.ActionGroupName,
                    Action = step == null ? SetupAction.Skipped : SetupRuns.ActionOf(one, created: step.Published<SetupStepOutcome>()?.Created == true),
                    Duration = duration, ErrorId = step?.ErrorId, Error = step?.Error, RunId = report.RunIdOrNull(),
                };
            }
            yield return Make(report.Steps.FirstOrDefault(s => s.StepId == ActionGroupStep), "ActionGroup", request.ActionGroupName, null,
                $"{request.EmailAddresses.Count} e-mail, {request.WebhookUris?.Length ?? 0} webhook");
            foreach (var rule in Rules(request))
            {
                var name = request.RuleNames.TryGetValue(rule.Kind, out var n) ? n : DefaultName(request, rule.Kind);
                yield return Make(report.Steps.FirstOrDefault(s => s.StepId == AlertPrefix + rule.Kind), rule.Kind, name, Last(rule.Scope), rule.Condition);
            }
        }

        private static string Last(string id) => Uri.UnescapeDataString(id.Substring(id.LastIndexOf('/') + 1));
    }
}
