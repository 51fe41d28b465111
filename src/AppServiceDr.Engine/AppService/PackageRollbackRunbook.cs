using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>
    /// Seed 004 scenario 5 (bad deployment) as a runbook: point WEBSITE_RUN_FROM_PACKAGE back at an earlier
    /// package, keeping every other app setting, then restart the app and wait until it answers healthy.
    /// Steps: <c>package:&lt;app&gt;</c>, then <c>restart:&lt;app&gt;</c>.
    /// </summary>
    public static class PackageRollbackRunbook
    {
        public const string Name = "PackageRollback";
        /// <summary>The app setting that names the package an app runs.</summary>
        public const string PackageSetting = "WEBSITE_RUN_FROM_PACKAGE";
        private const string PackageStepPrefix = "package:";
        /// <summary>Saved just before the first PUT of a run: the package the app ran before (display form, "" when unset).</summary>
        private const string IssuedCheckpoint = "previous";
        /// <summary>Saved once the change is in the journal, so a resumed attempt does not record it twice.</summary>
        private const string RecordedCheckpoint = "recorded";

        /// <summary>What the run will set: a given URL, or a version to put into the current URL.</summary>
        private sealed class RollbackPlan
        {
            public RollbackPlan(WebAppTarget app) { App = app; }
            public WebAppTarget App { get; }
            public PackageUrl? Uri { get; set; }
            public string? Version { get; set; }
            /// <summary>Display form of the target, as planned.</summary>
            public string Target { get; set; } = "";
        }

        /// <summary>Checks the request and the app (it exists; with a version, its current package URL names a
        /// version to replace) and builds the runbook. Nothing is changed when this throws.</summary>
        public static async Task<RunbookDefinition> CreateAsync(DrEnvironment environment, PackageRollbackRequest request, SecretRedactor redactor, CancellationToken ct)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var plan = Validate(request, redactor);
            var azure = new AzureConnection(environment, redactor);
            var restart = new WebAppRestartService(environment, redactor);
            await restart.GetHealthUrlAsync(plan.App, ct).ConfigureAwait(false);
            if (plan.Version != null)
            {
                var settings = await WebAppSettings.ReadAsync(azure.Arm, plan.App.ResourceId, new[] { redactor }, ct).ConfigureAwait(false);
                plan.Target = Derive(settings.Get(PackageSetting), plan.Version, plan.App.Name, new[] { redactor }).Display;
            }
            return Build(azure, restart, plan, redactor);
        }

        /// <summary>Rebuilds the runbook of a journaled run (for -Resume), without calling Azure. The query string
        /// of a -PackageUri (a SAS) is never journaled: when the run recorded that its URI had one, pass the same
        /// URI again as <paramref name="packageUri"/>; otherwise it may be null.</summary>
        public static RunbookDefinition ForResume(DrEnvironment environment, IReadOnlyDictionary<string, string?> inputs, Uri? packageUri, SecretRedactor redactor)
        {
            inputs.Require("WebAppName");
            var app = WebAppTarget.FromInputs(inputs)!;
            ArmPath.Validate(app.SubscriptionId, app.ResourceGroupName, app.Name);
            var plan = new RollbackPlan(app);
            var journaledUri = inputs.Optional("PackageUri");
            if (journaledUri != null)
            {
                var hasQuery = inputs.Optional("PackageUriHasQuery") == bool.TrueString;
                var journaled = journaledUri + (hasQuery ? PackageUrl.QueryMarker : "");
                if (packageUri == null)
                {
                    if (hasQuery)
                        throw DrException.Precondition("ResumeNeedsPackageUri", DrErrorCategory.InvalidArgument,
                            $"This run was started with -PackageUri {journaled}, whose query string is never recorded. Pass the same -PackageUri again with -Resume.", app.Name);
                    plan.Uri = PackageUrl.TryParse(journaledUri)
                               ?? throw new DrException("JournalDamaged", DrErrorCategory.InvalidData, "The run recorded a package URI that is not a URL.") { IsPrecondition = true };
                }
                else
                {
                    plan.Uri = ValidatePackageUri(packageUri, app.Name, redactor);
                    if (plan.Uri.Location != journaledUri || plan.Uri.HasQuery != hasQuery)
                        throw DrException.Precondition("ResumePackageUriDiffers", DrErrorCategory.InvalidArgument,
                            $"This run was started with -PackageUri {journaled}, not {plan.Uri.Display}. Resume it with the -PackageUri it was started with.", plan.Uri.Display);
                }
                plan.Target = plan.Uri.Display;
            }
            else
            {
                plan.Version = inputs.Require("Version");
                plan.Target = inputs.Require("TargetPackage");
                if (packageUri != null)
                    throw DrException.Precondition("ResumePackageUriDiffers", DrErrorCategory.InvalidArgument,
                        $"This run was started with -Version {plan.Version}; resume it without -PackageUri.", app.Name);
            }
            return Build(new AzureConnection(environment, redactor), new WebAppRestartService(environment, redactor), plan, redactor);
        }

        private static RollbackPlan Validate(PackageRollbackRequest request, SecretRedactor redactor)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.WebAppName);
            var app = new WebAppTarget
            {
                SubscriptionId = request.SubscriptionId,
                ResourceGroupName = request.ResourceGroupName,
                Name = request.WebAppName,
                HealthPath = string.IsNullOrEmpty(request.HealthPath) ? "/" : request.HealthPath,
                HealthyStatusCodes = (request.HealthyStatusCodes ?? Array.Empty<int>()).ToArray(),
                HealthTimeout = request.HealthTimeout,
                HealthPollInterval = request.HealthPollInterval,
            };
            if (app.HealthyStatusCodes.Count == 0)
                throw DrException.Precondition("NoHealthyStatusCodes", DrErrorCategory.InvalidArgument, "Give at least one status code that counts as healthy.", request.WebAppName);
            if ((request.PackageUri == null) == (request.Version == null))
                throw DrException.Precondition("PackageSourceAmbiguous", DrErrorCategory.InvalidArgument,
                    "Give either -PackageUri (the package to run) or -Version (to take the current package URL with another version).", request.WebAppName);
            var plan = new RollbackPlan(app);
            if (request.PackageUri != null)
            {
                plan.Uri = ValidatePackageUri(request.PackageUri, request.WebAppName, redactor);
                plan.Target = plan.Uri.Display;
                return plan;
            }
            var version = request.Version!.Trim();
            if (!PackageUrl.IsVersion(version))
                throw DrException.Precondition("InvalidPackageVersion", DrErrorCategory.InvalidArgument,
                    $"'{version}' is not a version: give two to four dot-separated numbers as in the package file names, such as 1.33.0 (a pre-release label may follow: 1.34.0-preview.2).", version);
            plan.Version = version;
            return plan;
        }

        /// <summary>An absolute https URL without user information. Its signature (a query that carries one) is registered as a secret
        /// before any message could name the URL.</summary>
        private static PackageUrl ValidatePackageUri(Uri uri, string app, SecretRedactor redactor)
        {
            var text = uri.OriginalString.Trim();
            var url = PackageUrl.TryParse(text);
            url?.RegisterSecrets(redactor);
            if (!uri.IsAbsoluteUri)
            {
                var cut = text.IndexOfAny(new[] { '?', '#' });
                throw DrException.Precondition("PackageUriNotAbsolute", DrErrorCategory.InvalidArgument,
                    $"-PackageUri '{(cut < 0 ? text : text.Substring(0, cut))}' is not an absolute URL; give the full https address of the package.", app);
            }
            if (url == null || !url.IsHttps)
                throw DrException.Precondition("PackageUriNotHttps", DrErrorCategory.InvalidArgument,
                    $"-PackageUri must be an https URL; '{url?.Display ?? uri.Scheme + ":"}' is not. App Service fetches the package over https.", url?.Display ?? app);
            if (url.UserInfo != null)
                throw DrException.Precondition("PackageUriHasUserInfo", DrErrorCategory.InvalidArgument,
                    $"-PackageUri {url.Display} carries a user name or password, which App Service does not use; give a SAS URL or a public URL.", url.Display);
            return url;
        }

        /// <summary>The current package URL with its version replaced. The errors are raised before any change.</summary>
        private static PackageUrl Derive(string? current, string version, string app, IEnumerable<SecretRedactor> redactors)
        {
            if (current == null)
                throw DrException.Precondition("NoCurrentPackage", DrErrorCategory.ObjectNotFound,
                    $"App '{app}' has no {PackageSetting} setting, so there is no package URL to take a version from. Give the package with -PackageUri.", app);
            var url = PackageUrl.TryParse(current);
            foreach (var r in redactors) url?.RegisterSecrets(r);
            return url?.WithVersion(version)
                   ?? throw DrException.Precondition("PackageVersionNotFound", DrErrorCategory.InvalidData,
                       $"{PackageSetting} of app '{app}' is {PackageUrl.Describe(current)}, which does not name a versioned package. -Version needs a URL whose file name ends in -<version>.zip, such as https://example.com/bin/latest/AppRequestPortal-1.34.0.zip (its query string is kept); otherwise give the package with -PackageUri.", app);
        }

        private static RunbookDefinition Build(AzureConnection azure, WebAppRestartService restart, RollbackPlan plan, SecretRedactor redactor)
        {
            var app = plan.App;
            var inputs = app.ToInputs().ToList();
            if (plan.Uri != null)
            {
                inputs.Add(new RunInput("PackageUri", plan.Uri.Location));
                inputs.Add(new RunInput("PackageUriHasQuery", plan.Uri.HasQuery.ToString()));
            }
            else
            {
                inputs.Add(new RunInput("Version", plan.Version));
                inputs.Add(new RunInput("TargetPackage", plan.Target));
            }
            var packageStep = PackageStepPrefix + app.Name;
            var steps = new[]
            {
                new RunbookStep(packageStep, $"Set {PackageSetting} of app '{app.Name}' to {plan.Target}, keeping every other app setting",
                    ctx => PackageStepAsync(azure, plan, redactor, ctx)),
                // The restart after a change always happens; when the app already ran the target package, a healthy
                // app is left alone, so a repeated run restarts nothing.
                WebAppRestartStep.Create(restart, app, new[] { packageStep },
                    ctx => ctx.GetOutput(packageStep, "Action") == nameof(PackageRollbackAction.AlreadyCurrent)),
            };
            return new RunbookDefinition(Name, inputs, steps);
        }

        /// <summary>
        /// Reads the settings, and when WEBSITE_RUN_FROM_PACKAGE is not yet the target, writes them all back with
        /// only that one changed.
        /// <para>
        /// Finding the target already set means one of two things. Either the app ran it before this run (nothing
        /// to do, and the restart step then leaves a healthy app alone), or this run set it and did not live to
        /// record the end of the step: a crash or a lost answer between the PUT and the step's end. The two are
        /// told apart by a checkpoint saved just before the first PUT, holding the package the app ran until then.
        /// With the checkpoint, the value is this run's change: it is not written again, it is reported as rolled
        /// back from the package in the checkpoint, and the app is restarted. (The attempt number alone would not
        /// do: an attempt interrupted before it sent anything would make an unchanged app look changed.)
        /// </para>
        /// <para>
        /// A PUT whose answer is lost is not resent blindly: the settings are read again, and the PUT is sent
        /// again, merged with what is there now, only when the target is still not set.
        /// </para>
        /// </summary>
        private static async Task<StepResult> PackageStepAsync(AzureConnection azure, RollbackPlan plan, SecretRedactor redactor, StepContext ctx)
        {
            var app = plan.App;
            var ct = ctx.CancellationToken;
            var redactors = ReferenceEquals(redactor, ctx.Redactor) ? new[] { redactor } : new[] { redactor, ctx.Redactor };
            foreach (var r in redactors) plan.Uri?.RegisterSecrets(r);
            var previous = ctx.GetCheckpoint(IssuedCheckpoint);
            for (var lost = 0; ; lost++)
            {
                var settings = await WebAppSettings.ReadAsync(azure.Arm, app.ResourceId, redactors, ct).ConfigureAwait(false);
                var currentText = settings.Get(PackageSetting);
                var current = PackageUrl.TryParse(currentText);
                foreach (var r in redactors) current?.RegisterSecrets(r);
                var target = plan.Uri ?? Derive(currentText, plan.Version!, app.Name, redactors);
                if (plan.Uri == null && target.Display != plan.Target)
                    throw new DrException("PackageChangedSincePlan", DrErrorCategory.InvalidOperation,
                        $"{PackageSetting} of app '{app.Name}' now names {PackageUrl.Describe(currentText)}; with -Version {plan.Version} that gives {target.Display}, not {plan.Target} as planned. Start a new run.", app.Name);
                var from = previous == null ? PackageUrl.Describe(currentText) : previous.Length == 0 ? null : previous;
                var others = settings.Count - (settings.Contains(PackageSetting) ? 1 : 0);
                var action = $"Set {PackageSetting} from {from ?? "(not set)"} to {target.Display} (other {others} settings kept)";

                if (current != null && current.SameAs(target))
                {
                    if (previous == null)
                    {
                        var note = $"{PackageSetting} of app '{app.Name}' is already {target.Display}; nothing changed.";
                        Publish(ctx, PackageRollbackAction.AlreadyCurrent, from, target, note);
                        return StepResult.AlreadyDone(note);
                    }
                    return Changed(ctx, app, from, target, action, lost > 0
                        ? " The answer to the change was lost; reading the settings back showed it applied."
                        : " It was set by an earlier attempt of this run, which was interrupted before it finished.");
                }

                if (lost == 0 && !ctx.ShouldProcess(app.Name, action))
                {
                    Publish(ctx, PackageRollbackAction.Skipped, from, target, action);
                    return StepResult.Declined($"{PackageSetting} of app '{app.Name}' not changed.");
                }
                if (previous == null)
                {
                    previous = from ?? "";
                    ctx.Checkpoint(IssuedCheckpoint, previous);
                }
                try
                {
                    await settings.PutWithAsync(azure.Arm, app.ResourceId, PackageSetting, target.Text, ct).ConfigureAwait(false);
                }
                catch (DrException ex) when (ex.ErrorId == ArmRestClient.AnswerLostErrorId && lost < Math.Max(1, azure.Environment.MaxRetries))
                {
                    ctx.Host.Verbose($"[{ctx.Step.Id}] {ex.Message} Reading the settings again before deciding.");
                    continue;
                }
                return Changed(ctx, app, from, target, action, "");
            }
        }

        private static StepResult Changed(StepContext ctx, WebAppTarget app, string? from, PackageUrl target, string plan, string how)
        {
            var change = $"{PackageSetting} of app '{app.Name}' set from {from ?? "(not set)"} to {target.Display}";
            if (ctx.GetCheckpoint(RecordedCheckpoint) == null)
            {
                ctx.RecordChange(change);
                ctx.Checkpoint(RecordedCheckpoint, "1");
            }
            Publish(ctx, PackageRollbackAction.RolledBack, from, target, plan);
            return StepResult.Done(change + "; every other app setting kept." + how);
        }

        private static void Publish(StepContext ctx, PackageRollbackAction action, string? from, PackageUrl target, string plan)
        {
            ctx.SetOutput("Action", action.ToString());
            if (from != null) ctx.SetOutput("PreviousPackage", from);
            ctx.SetOutput("Package", target.Display);
            ctx.SetOutput("Plan", plan);
        }

        /// <summary>The run's one result, read back from its report (so a resumed run reports what its earlier
        /// attempts did). Action is Failed when any step failed, including a restart after which the app never
        /// answered healthy: the packages are then still shown, so it is clear what was changed.</summary>
        public static IReadOnlyList<PackageRollbackResult> Results(RunReport report)
        {
            if (report == null) throw new ArgumentNullException(nameof(report));
            string? In(string key) => report.Inputs.TryGetValue(key, out var v) ? v : null;
            var package = report.Steps.FirstOrDefault(s => s.StepId.StartsWith(PackageStepPrefix, StringComparison.Ordinal));
            var restart = WebAppRestartStep.Outcome(report);
            string? O(StepReport? s, string key) => s != null && s.Outputs.TryGetValue(key, out var v) ? v : null;
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            var action = failed != null ? PackageRollbackAction.Failed
                : Enum.TryParse<PackageRollbackAction>(O(package, "Action"), out var a) ? a : PackageRollbackAction.Skipped;
            var planned = In("PackageUri") is string uri ? uri + (In("PackageUriHasQuery") == bool.TrueString ? PackageUrl.QueryMarker : "") : In("TargetPackage");
            return new[]
            {
                new PackageRollbackResult
                {
                    WebAppName = In("WebAppName") ?? "",
                    Action = action,
                    PreviousPackage = O(package, "PreviousPackage"),
                    Package = O(package, "Package") ?? planned,
                    HealthUrl = restart.HealthUrl,
                    TimeToHealthy = restart.TimeToHealthy,
                    Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                    Plan = O(package, "Plan") ?? package?.Plan,
                    ErrorId = failed?.ErrorId,
                    Error = failed?.Error,
                    RunId = report.RunId,
                },
            };
        }
    }
}
