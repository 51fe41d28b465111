using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Triage
{
    /// <summary>What to look at: the names of the emergency record, and what only a person can answer.</summary>
    public sealed class TriageRequest
    {
        public string SubscriptionId { get; set; } = "";
        public string ResourceGroupName { get; set; } = "";
        public string WebAppName { get; set; } = "";
        public string HealthPath { get; set; } = "/";
        public IReadOnlyList<int> HealthyStatusCodes { get; set; } = new[] { 200 };
        public string? ServerName { get; set; }
        public string? DatabaseName { get; set; }
        public string? StorageAccountName { get; set; }
        public string? VaultName { get; set; }
        public Uri? VaultUri { get; set; }
        public string? FailoverGroupName { get; set; }
        public string? PartnerServerName { get; set; }
        public string? PartnerResourceGroupName { get; set; }
        public string? SecondaryWebAppName { get; set; }
        public string? SecondaryResourceGroupName { get; set; }
        public string? TrafficManagerProfileName { get; set; }
        /// <summary>The release recorded as good (the emergency record's PackageVersion).</summary>
        public string? PackageVersion { get; set; }
        /// <summary>A query on the database whose first column says the data is right (not NULL, 0 or false).</summary>
        public string? VerifyQuery { get; set; }
        /// <summary>Answers for what cannot be probed: SignIn, DataCorrect (true/false).</summary>
        public Dictionary<string, bool> Answers { get; set; } = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        /// <summary>When the trouble (a deletion) began; the restore point of scenario 1 is just before it.</summary>
        public DateTimeOffset? IncidentStart { get; set; }
        /// <summary>Parameters naming the cloud that the printed command repeats (-Environment, -ResourceManagerEndpoint).</summary>
        public string? CloudParameters { get; set; }
    }

    /// <summary>
    /// Seed 004's decision tree, probed: is the application accessible (HTTP to its health path), can users sign in
    /// (the Key Vault references of its settings resolve; or -Answer SignIn), is the data correct (-VerifyQuery, or
    /// -Answer DataCorrect), and when it is not accessible, is one resource down or the whole region (the resource
    /// health of the app, database, storage account and vault, and the subscription's service issues in the app's
    /// region). Every probe only reads; one that cannot reach its target is evidence, not a failure. The result names
    /// the scenario, the evidence of each branch taken, and the recovery command with the names filled in.
    /// </summary>
    public sealed class TriageRunbook : Runbook<TriageRequest, TriageResult>
    {
        private const string AppStep = "probe:app";
        private const string ReferencesStep = "probe:key-vault-references";
        private const string DataStep = "probe:data";
        private const string HealthStep = "probe:resource-health";
        private const string RegionStep = "probe:region";

        public override string Name => "Triage";
        public override string Command => "Invoke-DrTriage";

        /// <summary>What one probe saw: a yes, a no, or nothing known, and in words.</summary>
        internal sealed class Probe
        {
            public bool? Answer { get; set; }
            public List<string> Evidence { get; set; } = new List<string>();
            /// <summary>References that did not resolve (setting -> secret), resources that are unavailable (kind -> name).</summary>
            public Dictionary<string, string> Findings { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);
            public string? Region { get; set; }
            public string? Package { get; set; }
        }

        protected internal override Task PreflightAsync(RunContext run, TriageRequest request, CancellationToken ct)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.WebAppName);
            foreach (var key in request.Answers.Keys)
                if (!string.Equals(key, "SignIn", StringComparison.OrdinalIgnoreCase) && !string.Equals(key, "DataCorrect", StringComparison.OrdinalIgnoreCase))
                    throw DrException.Precondition("UnknownTriageAnswer", DrErrorCategory.InvalidArgument, $"'{key}' is not a question of the tree; answer SignIn or DataCorrect.", key);
            if (request.VerifyQuery != null && (request.ServerName == null || request.DatabaseName == null))
                throw DrException.Precondition("VerifyQueryNeedsDatabase", DrErrorCategory.InvalidArgument, "-VerifyQuery runs on the database: give -ServerName and -DatabaseName.", "VerifyQuery");
            return Task.CompletedTask;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, TriageRequest request)
        {
            yield return new RunbookStep(AppStep, $"Request {request.WebAppName}'s health path {request.HealthPath}", ctx => Guard(ctx, () => AppAsync(ctx, request)));
            yield return new RunbookStep(ReferencesStep, $"Read the Key Vault reference status of {request.WebAppName}'s settings", ctx => Guard(ctx, () => ReferencesAsync(ctx, request)));
            yield return new RunbookStep(DataStep, request.VerifyQuery != null ? $"Run the verify query on {request.DatabaseName}" : "Take the answer on the data",
                ctx => Guard(ctx, () => DataAsync(ctx, request)));
            yield return new RunbookStep(HealthStep, "Read the resource health of the app, database, storage account and vault", ctx => Guard(ctx, () => HealthAsync(ctx, request)));
            yield return new RunbookStep(RegionStep, "Read the subscription's service issues in the app's region", ctx => Guard(ctx, () => RegionAsync(ctx, request)), AppStep);
        }

        /// <summary>A probe that cannot get its answer records that as evidence; the triage goes on.</summary>
        private static async Task<StepResult> Guard(StepContext ctx, Func<Task<Probe>> probe)
        {
            Probe seen;
            try
            {
                seen = await probe().ConfigureAwait(false);
            }
            catch (DrException ex) when (!ctx.CancellationToken.IsCancellationRequested)
            {
                seen = new Probe { Evidence = { $"could not be probed ({ex.ErrorId}): {ex.Message}" } };
            }
            ctx.Publish(seen);
            return StepResult.AlreadyDone(string.Join(" ", seen.Evidence));
        }

        private static async Task<Probe> AppAsync(StepContext ctx, TriageRequest r)
        {
            var apps = new WebApps(ctx.Azure);
            var target = new WebAppTarget { SubscriptionId = r.SubscriptionId, ResourceGroupName = r.ResourceGroupName, Name = r.WebAppName, HealthPath = r.HealthPath };
            var site = await ctx.Azure.Arm.GetAsync(target.ResourceId, ArmApi.Sites, ctx.CancellationToken).ConfigureAwait(false);
            var probe = new Probe { Region = site is { } s ? Text(s, "location") : null };
            var url = await apps.GetHealthUrlAsync(target, ctx.CancellationToken).ConfigureAwait(false);
            var (status, seen) = await apps.ProbeAsync(url, ctx.CancellationToken).ConfigureAwait(false);
            probe.Answer = status is int code && r.HealthyStatusCodes.Contains(code);
            probe.Evidence.Add($"{url} answered {seen}.");
            // The package the app runs now, for a rollback (only this one setting is kept).
            var settings = await ctx.Azure.Arm.SendAsync(RequestMethod.Post, target.ResourceId + "/config/appsettings/list", ArmApi.Sites, null, ctx.CancellationToken).ConfigureAwait(false);
            if (settings.Body is { } b && b.TryGetProperty("properties", out var p) && p.TryGetProperty("WEBSITE_RUN_FROM_PACKAGE", out var package) && package.ValueKind == JsonValueKind.String)
                probe.Package = PackageUrl.TryParse(package.GetString())?.Version;
            return probe;
        }

        private static async Task<Probe> ReferencesAsync(StepContext ctx, TriageRequest r)
        {
            var site = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Web/sites", r.WebAppName);
            var list = await ctx.Azure.Arm.GetAsync(site + "/config/configreferences/appsettings", ArmApi.Sites, ctx.CancellationToken).ConfigureAwait(false);
            var probe = new Probe { Answer = true };
            var count = 0;
            if (list is { } l && l.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
                foreach (var reference in value.EnumerateArray())
                {
                    count++;
                    var status = PropertyText(reference, "status") ?? "Unknown";
                    if (string.Equals(status, "Resolved", StringComparison.OrdinalIgnoreCase)) continue;
                    probe.Answer = false;
                    var setting = Text(reference, "name") ?? "?";
                    probe.Findings["setting:" + setting] = (PropertyText(reference, "vaultName") ?? "") + "/" + (PropertyText(reference, "secretName") ?? "");
                    probe.Evidence.Add($"Setting {setting} refers to secret {PropertyText(reference, "secretName")} in vault {PropertyText(reference, "vaultName")}: {status}.");
                }
            if (probe.Answer == true) probe.Evidence.Add(count == 0 ? "The app's settings hold no Key Vault reference." : $"All {count} Key Vault reference(s) of the app's settings resolved.");
            return probe;
        }

        private static async Task<Probe> DataAsync(StepContext ctx, TriageRequest r)
        {
            if (r.Answers.TryGetValue("DataCorrect", out var answered))
                return new Probe { Answer = answered, Evidence = { "Answered: the data is " + (answered ? "correct." : "not correct.") } };
            if (r.VerifyQuery == null)
                return new Probe { Evidence = { "Not checked: give -VerifyQuery, or -Answer @{ DataCorrect = $true/$false }." } };
            var server = ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers", r.ServerName!);
            var (rows, first, source) = await AzureSqlVerification.QueryAsync(ctx, server, r.DatabaseName!, r.VerifyQuery, encrypt: true, serverCertificate: null).ConfigureAwait(false);
            var passes = AzureSqlVerification.Passes(rows, first);
            return new Probe { Answer = passes, Evidence = { $"The verify query on {r.DatabaseName} ({source}) {AzureSqlVerification.Describe(rows, first)}: the data is {(passes ? "correct" : "not correct")}." } };
        }

        /// <summary>The availability of each resource named; an unavailable one is a finding by its kind.</summary>
        private static async Task<Probe> HealthAsync(StepContext ctx, TriageRequest r)
        {
            var probe = new Probe();
            var targets = new List<(string Kind, string Name, string Id)>
            {
                ("app", r.WebAppName, ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Web/sites", r.WebAppName)),
            };
            if (r.ServerName != null && r.DatabaseName != null)
                targets.Add(("database", r.DatabaseName, ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Sql/servers/databases", r.ServerName, r.DatabaseName)));
            if (r.StorageAccountName != null)
                targets.Add(("storage", r.StorageAccountName, ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.Storage/storageAccounts", r.StorageAccountName)));
            if (r.VaultName != null)
                targets.Add(("vault", r.VaultName, ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.KeyVault/vaults", r.VaultName)));
            foreach (var (kind, name, id) in targets)
            {
                string state, summary;
                try
                {
                    var status = await ctx.Azure.Arm.GetAsync(id + "/providers/Microsoft.ResourceHealth/availabilityStatuses/current", ArmApi.ResourceHealth, ctx.CancellationToken).ConfigureAwait(false);
                    state = status is { } s ? PropertyText(s, "availabilityState") ?? "Unknown" : "NotFound";
                    summary = status is { } t ? PropertyText(t, "summary") ?? "" : "the resource was not found";
                }
                catch (DrException ex)
                {
                    state = "Unknown";
                    summary = $"could not be read ({ex.ErrorId})";
                }
                if (state != "Available") probe.Findings[kind] = name;
                probe.Evidence.Add($"{Describe(kind)} {name}: {state}{(summary.Length > 0 ? " — " + summary : "")}");
            }
            probe.Answer = probe.Findings.Count == 0;
            return probe;
        }

        private static string Describe(string kind) => kind switch
        {
            "app" => "App Service",
            "database" => "SQL database",
            "storage" => "Storage account",
            _ => "Key Vault",
        };

        private static async Task<Probe> RegionAsync(StepContext ctx, TriageRequest r)
        {
            // The app's region; when the app cannot be read (its region may be down), the resource group's.
            var region = ctx.Published<Probe>(AppStep)?.Region;
            if (region == null && await ctx.Azure.Arm.GetAsync(ArmPath.ResourceGroup(r.SubscriptionId, r.ResourceGroupName), ArmApi.ResourceGroups, ctx.CancellationToken).ConfigureAwait(false) is { } group)
                region = Text(group, "location");
            var probe = new Probe { Region = region };
            if (region == null)
            {
                probe.Evidence.Add("The app's region is not known.");
                return probe;
            }
            var filter = Uri.EscapeDataString($"region eq '{region}'");
            var events = await ctx.Azure.Arm.GetAsync("/subscriptions/" + ArmPath.Escape(r.SubscriptionId) + "/providers/Microsoft.ResourceHealth/events", ArmApi.ResourceHealth,
                ctx.CancellationToken, "$filter=" + filter).ConfigureAwait(false);
            var active = new List<string>();
            if (events is { } e && e.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
                foreach (var item in value.EnumerateArray())
                {
                    var status = PropertyText(item, "status");
                    var inRegion = item.TryGetProperty("properties", out var p) && p.TryGetProperty("impact", out var impact) && impact.ValueKind == JsonValueKind.Array
                        && impact.EnumerateArray().Any(i => i.TryGetProperty("impactedRegions", out var regions) && regions.ValueKind == JsonValueKind.Array
                            && regions.EnumerateArray().Any(x => SameRegion(Text(x, "impactedRegion"), region)));
                    if (string.Equals(status, "Active", StringComparison.OrdinalIgnoreCase) && inRegion)
                        active.Add($"{Text(item, "name")}: {PropertyText(item, "title")}");
                }
            probe.Answer = active.Count > 0;
            probe.Evidence.Add(active.Count > 0 ? $"Active service issue(s) in {region}: {string.Join("; ", active)}." : $"No active service issue in {region}.");
            return probe;
        }

        // ---------------------------------------------------------------- the tree

        protected internal override IEnumerable<TriageResult> Results(TriageRequest request, RunReport report)
        {
            Probe Seen(string id) => report.Steps.FirstOrDefault(s => s.StepId == id)?.Published<Probe>() ?? new Probe { Evidence = { "not probed" } };
            var app = Seen(AppStep);
            var references = Seen(ReferencesStep);
            var data = Seen(DataStep);
            var health = Seen(HealthStep);
            var region = Seen(RegionStep);
            var path = new List<string>();
            var evidence = new List<string>();
            void Branch(string question, string answer, Probe probe)
            {
                path.Add($"{question} {answer}");
                evidence.AddRange(probe.Evidence.Select(e => question + " " + e));
            }
            int scenario;
            string name;
            var reachable = app.Answer == true;
            Branch("Is the application accessible?", reachable ? "Yes" : "No", app);
            if (reachable)
            {
                var signIn = request.Answers.TryGetValue("SignIn", out var s) ? s : references.Answer != false;
                Branch("Can users sign in?", signIn ? "Yes" : "No", request.Answers.ContainsKey("SignIn") ? new Probe { Evidence = { "Answered." } } : references);
                if (!signIn)
                {
                    (scenario, name) = (2, "Key Vault secret deleted");
                }
                else
                {
                    Branch("Is data correct?", data.Answer == false ? "No" : data.Answer == true ? "Yes" : "Not known", data);
                    (scenario, name) = data.Answer == false ? (1, "Accidental data deletion") : (0, data.Answer == true ? "No recovery needed" : "No recovery needed (the data was not checked)");
                }
            }
            else
            {
                var wholeRegion = region.Answer == true;
                Branch("Is it a single resource or the entire region?", wholeRegion ? "Entire region" : "Single resource", wholeRegion ? region : Merge(region, health, references));
                if (wholeRegion) (scenario, name) = (3, "Region failure");
                else if (references.Answer == false || health.Findings.ContainsKey("vault")) (scenario, name) = (2, "Key Vault secret deleted");
                else if (health.Findings.ContainsKey("database")) (scenario, name) = (1, "SQL database unavailable: restore from backup");
                else if (health.Findings.ContainsKey("storage")) (scenario, name) = (4, "Storage account failure");
                else (scenario, name) = (5, "Application corruption / bad deployment");
            }
            var command = RecoveryCommand(request, scenario, references, app, report.StartedAt);
            var failure = report.Steps.FirstOrDefault(x => x.Outcome == StepOutcome.Failed || x.Outcome == StepOutcome.Cancelled);
            yield return new TriageResult
            {
                Scenario = scenario,
                ScenarioName = name,
                Path = path.ToArray(),
                Evidence = evidence.ToArray(),
                RecoveryCommand = command,
                CommandComplete = command != null && !command.Contains("<"),
                WebAppName = request.WebAppName,
                Region = app.Region ?? region.Region,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(x => (x.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failure?.ErrorId,
                Error = failure?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        private static Probe Merge(params Probe[] probes) => new Probe { Evidence = probes.SelectMany(p => p.Evidence).ToList() };

        // ---------------------------------------------------------------- the command

        /// <summary>The recovery command line for the scenario, the names filled in (null when nothing is to be done).</summary>
        internal static string? RecoveryCommand(TriageRequest r, int scenario, Probe references, Probe app, DateTimeOffset startedAt)
        {
            var c = new CommandLine();
            switch (scenario)
            {
                case 1:
                    var point = r.IncidentStart?.AddMinutes(-1) ?? startedAt.AddMinutes(-5);
                    c.Verb("Restore-AppServiceDatabase").Arg("SubscriptionId", r.SubscriptionId).Arg("ResourceGroupName", r.ResourceGroupName)
                        .Arg("ServerName", r.ServerName).Arg("DatabaseName", r.DatabaseName)
                        .Arg("PointInTime", point.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Switch("Swap").Arg("WebAppName", r.WebAppName);
                    break;
                case 2:
                    var secrets = references.Findings.Where(f => f.Key.StartsWith("setting:", StringComparison.Ordinal)).Select(f => f.Value).ToList();
                    var vault = secrets.Select(s => s.Split('/')[0]).FirstOrDefault(v => v.Length > 0) ?? r.VaultName;
                    var names = secrets.Select(s => s.Split('/').Last()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                    c.Verb("Invoke-KeyVaultSecretRecovery");
                    if (r.VaultUri != null && (vault == null || string.Equals(vault, r.VaultName, StringComparison.OrdinalIgnoreCase))) c.Arg("VaultUri", r.VaultUri.ToString());
                    else c.Arg("VaultName", vault);
                    c.Arg("Name", names.Count > 0 ? string.Join(",", names.Select(CommandLine.Quote)) : null, raw: names.Count > 0)
                        .Arg("SubscriptionId", r.SubscriptionId).Arg("ResourceGroupName", r.ResourceGroupName).Arg("WebAppName", r.WebAppName);
                    break;
                case 3:
                    if (r.FailoverGroupName != null && r.PartnerServerName != null)
                    {
                        c.Verb("Invoke-RegionFailover").Arg("SubscriptionId", r.SubscriptionId).Arg("ResourceGroupName", r.PartnerResourceGroupName ?? r.ResourceGroupName)
                            .Arg("ServerName", r.PartnerServerName).Arg("FailoverGroupName", r.FailoverGroupName).Switch("AllowDataLoss");
                        if (r.StorageAccountName != null) c.Arg("StorageAccountName", r.StorageAccountName).Arg("StorageAccountResourceGroupName", r.ResourceGroupName);
                        if (r.SecondaryWebAppName != null) c.Arg("WebAppName", r.SecondaryWebAppName).Arg("WebAppResourceGroupName", r.SecondaryResourceGroupName ?? r.ResourceGroupName);
                        if (r.TrafficManagerProfileName != null && r.SecondaryWebAppName != null)
                            c.Arg("TrafficManagerProfileName", r.TrafficManagerProfileName).Arg("TrafficManagerResourceGroupName", r.ResourceGroupName);
                    }
                    else
                    {
                        c.Verb("Invoke-RegionFailover").Arg("SubscriptionId", r.SubscriptionId).Arg("SourceResourceGroupName", r.ResourceGroupName)
                            .Arg("SourceServerName", r.ServerName).Arg("DatabaseName", r.DatabaseName)
                            .Arg("TargetResourceGroupName", r.ResourceGroupName + "-dr").Arg("TargetLocation", null).Arg("TargetServerName", (r.ServerName ?? "sql") + "-dr")
                            .Arg("TemplateUri", null).Arg("TemplateParameterFile", null);
                    }
                    break;
                case 4:
                    c.Verb("Invoke-StorageRecovery").Arg("SubscriptionId", r.SubscriptionId).Arg("ResourceGroupName", r.ResourceGroupName)
                        .Arg("StorageAccountName", r.StorageAccountName).Arg("WebAppName", r.WebAppName);
                    break;
                case 5:
                    var good = r.PackageVersion != null && !string.Equals(r.PackageVersion, app.Package, StringComparison.OrdinalIgnoreCase) ? r.PackageVersion : null;
                    c.Verb("Invoke-DeploymentRollback").Arg("SubscriptionId", r.SubscriptionId).Arg("ResourceGroupName", r.ResourceGroupName)
                        .Arg("WebAppName", r.WebAppName).Arg("Version", good);
                    break;
                default:
                    return null;
            }
            if (!string.IsNullOrEmpty(r.CloudParameters)) c.Raw(r.CloudParameters!);
            return c.ToString();
        }

        /// <summary>A command line with PowerShell quoting; a value not known is written as a &lt;placeholder&gt;.</summary>
        private sealed class CommandLine
        {
            private readonly StringBuilder _text = new StringBuilder();

            public CommandLine Verb(string name)
            {
                _text.Append(name);
                return this;
            }

            public CommandLine Arg(string name, string? value, bool raw = false)
            {
                _text.Append(" -").Append(name).Append(' ').Append(value == null ? "<" + name + ">" : raw ? value : Quote(value));
                return this;
            }

            public CommandLine Switch(string name)
            {
                _text.Append(" -").Append(name);
                return this;
            }

            public void Raw(string text) => _text.Append(' ').Append(text);

            /// <summary>Bare when it is a plain word, otherwise in single quotes.</summary>
            public static string Quote(string value) =>
                Regex.IsMatch(value, "^[A-Za-z0-9_.:/-]+$") && !value.StartsWith("-", StringComparison.Ordinal) ? value : "'" + value.Replace("'", "''") + "'";

            public override string ToString() => _text.ToString();
        }
    }
}
