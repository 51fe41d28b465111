using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>Which app to roll back, to which package, and how to tell it is healthy again.</summary>
    public sealed class PackageRollbackRequest
    {
        /// <summary>The app, with how its health is judged after the restart.</summary>
        public WebAppTarget App { get; set; } = new WebAppTarget();
        /// <summary>The package to run (absolute https). Exactly one of <see cref="PackageUri"/> and <see cref="Version"/>.
        /// Its query string (a SAS) is never journaled: a resumed run that had one is given the URI again.</summary>
        [JsonIgnore]
        public Uri? PackageUri { get; set; }
        /// <summary>A version such as "1.33.0": the current WEBSITE_RUN_FROM_PACKAGE URL with the version in its
        /// file name replaced (".../AppRequestPortal-1.34.0.zip" becomes ".../AppRequestPortal-1.33.0.zip"), its
        /// query string kept.</summary>
        public string? Version { get; set; }
        /// <summary>Filled by the pre-flight: <see cref="PackageUri"/> without its query string, and whether it had one.</summary>
        public string? PackageLocation { get; set; }
        public bool PackageHasQuery { get; set; }
        /// <summary>Filled by the pre-flight: the target as shown (query string redacted).</summary>
        public string TargetPackage { get; set; } = "";
    }

    /// <summary>
    /// Seed 004 scenario 5 (bad deployment) as a runbook: point WEBSITE_RUN_FROM_PACKAGE back at an earlier
    /// package, keeping every other app setting, then restart the app and wait until it answers healthy.
    /// Steps: <c>package:&lt;app&gt;</c>, then <c>restart:&lt;app&gt;</c> (which leaves a healthy app alone when
    /// the app already ran the target, so a repeated run restarts nothing).
    /// </summary>
    public sealed class PackageRollbackRunbook : Runbook<PackageRollbackRequest, PackageRollbackResult>
    {
        /// <summary>The app setting that names the package an app runs.</summary>
        public const string PackageSetting = "WEBSITE_RUN_FROM_PACKAGE";
        private const string PackageStepPrefix = "package:";
        /// <summary>Saved just before the first PUT of a run: the package the app ran before (display form, "" when unset).</summary>
        private const string IssuedCheckpoint = "previous";
        /// <summary>Saved once the change is in the journal, so a resumed attempt does not record it twice.</summary>
        private const string RecordedCheckpoint = "recorded";

        public override string Name => "PackageRollback";
        public override string Command => "Invoke-DeploymentRollback";

        /// <summary>What the package step publishes.</summary>
        private sealed class PackageOutcome
        {
            public PackageRollbackAction Action { get; set; }
            public string? PreviousPackage { get; set; }
            public string Package { get; set; } = "";
            public string Plan { get; set; } = "";
        }

        /// <summary>Checks the request and the app (it exists; with a version, its current package URL names a
        /// version to replace). Nothing is changed when this throws.</summary>
        protected internal override async Task PreflightAsync(RunContext run, PackageRollbackRequest request, CancellationToken ct)
        {
            var app = request.App;
            if (string.IsNullOrEmpty(app.HealthPath)) app.HealthPath = "/";
            app.Validate();
            if ((request.PackageUri == null) == (request.Version == null))
                throw DrException.Precondition("PackageSourceAmbiguous", DrErrorCategory.InvalidArgument,
                    "Give either -PackageUri (the package to run) or -Version (to take the current package URL with another version).", app.Name);
            if (request.PackageUri != null)
            {
                var url = ValidatePackageUri(request.PackageUri, app.Name, run.Redactor);
                request.PackageLocation = url.Location;
                request.PackageHasQuery = url.HasQuery;
                request.TargetPackage = url.Display;
            }
            else
            {
                var version = request.Version!.Trim();
                if (!PackageUrl.IsVersion(version))
                    throw DrException.Precondition("InvalidPackageVersion", DrErrorCategory.InvalidArgument,
                        $"'{version}' is not a version: give two to four dot-separated numbers as in the package file names, such as 1.33.0 (a pre-release label may follow: 1.34.0-preview.2).", version);
                request.Version = version;
            }
            await new WebApps(run.Azure).GetHealthUrlAsync(app, ct).ConfigureAwait(false);
            if (request.Version != null)
            {
                var settings = await WebAppSettings.ReadAsync(run.Azure.Arm, app.ResourceId, run.Redactor, ct).ConfigureAwait(false);
                request.TargetPackage = Derive(settings.Get(PackageSetting), request.Version, app.Name, run.Redactor).Display;
            }
        }

        /// <summary>The query string of a -PackageUri (a SAS) is never journaled: when the run had one, the same URI
        /// must be given again; a different one, or one given to a run by version, is refused.</summary>
        protected internal override void Resupply(PackageRollbackRequest request, IReadOnlyDictionary<string, object?> given, IReadOnlyCollection<string> startedWith, string runId)
        {
            var again = given.TryGetValue("PackageUri", out var value) ? value as Uri ?? (value is string text ? new Uri(text, UriKind.RelativeOrAbsolute) : null) : null;
            var app = request.App.Name;
            if (request.PackageLocation == null)
            {
                if (again != null)
                    throw DrException.Precondition("ResumePackageUriDiffers", DrErrorCategory.InvalidArgument,
                        $"This run was started with -Version {request.Version}; resume it without -PackageUri.", app);
                return;
            }
            var journaled = request.PackageLocation + (request.PackageHasQuery ? PackageUrl.QueryMarker : "");
            if (again == null)
            {
                if (request.PackageHasQuery)
                    throw DrException.Precondition("ResumeNeedsPackageUri", DrErrorCategory.InvalidArgument,
                        $"This run was started with -PackageUri {journaled}, whose query string is never recorded. Pass the same -PackageUri again with -Resume.", app);
                request.PackageUri = new Uri(request.PackageLocation);
                return;
            }
            var url = PackageUrl.TryParse(again.OriginalString.Trim());
            if (url == null || url.Location != request.PackageLocation || url.HasQuery != request.PackageHasQuery)
                throw DrException.Precondition("ResumePackageUriDiffers", DrErrorCategory.InvalidArgument,
                    $"This run was started with -PackageUri {journaled}, not {url?.Display ?? "that"}. Resume it with the -PackageUri it was started with.", url?.Display ?? app);
            request.PackageUri = again;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, PackageRollbackRequest request)
        {
            var app = request.App;
            var packageStep = PackageStepPrefix + app.Name;
            return new[]
            {
                new RunbookStep(packageStep, $"Set {PackageSetting} of app '{app.Name}' to {request.TargetPackage}, keeping every other app setting",
                    ctx => PackageStepAsync(request, ctx)),
                // The restart after a change always happens; when the app already ran the target package, a healthy
                // app is left alone, so a repeated run restarts nothing.
                WebAppRestartStep.Create(app, new[] { packageStep }, onlyAfterChange: true),
            };
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
        private static PackageUrl Derive(string? current, string version, string app, SecretRedactor redactor)
        {
            if (current == null)
                throw DrException.Precondition("NoCurrentPackage", DrErrorCategory.ObjectNotFound,
                    $"App '{app}' has no {PackageSetting} setting, so there is no package URL to take a version from. Give the package with -PackageUri.", app);
            var url = PackageUrl.TryParse(current);
            url?.RegisterSecrets(redactor);
            return url?.WithVersion(version)
                   ?? throw DrException.Precondition("PackageVersionNotFound", DrErrorCategory.InvalidData,
                       $"{PackageSetting} of app '{app}' is {PackageUrl.Describe(current)}, which does not name a versioned package. -Version needs a URL whose file name ends in -<version>.zip, such as https://example.com/bin/latest/AppRequestPortal-1.34.0.zip (its query string is kept); otherwise give the package with -PackageUri.", app);
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
        private static async Task<StepResult> PackageStepAsync(PackageRollbackRequest request, StepContext ctx)
        {
            var app = request.App;
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            var planned = request.PackageUri == null ? null : PackageUrl.TryParse(request.PackageUri.OriginalString.Trim());
            planned?.RegisterSecrets(ctx.Redactor);
            var previous = ctx.GetCheckpoint(IssuedCheckpoint);
            for (var lost = 0; ; lost++)
            {
                var settings = await WebAppSettings.ReadAsync(azure.Arm, app.ResourceId, ctx.Redactor, ct).ConfigureAwait(false);
                var currentText = settings.Get(PackageSetting);
                var current = PackageUrl.TryParse(currentText);
                current?.RegisterSecrets(ctx.Redactor);
                var target = planned ?? Derive(currentText, request.Version!, app.Name, ctx.Redactor);
                if (planned == null && target.Display != request.TargetPackage)
                    throw new DrException("PackageChangedSincePlan", DrErrorCategory.InvalidOperation,
                        $"{PackageSetting} of app '{app.Name}' now names {PackageUrl.Describe(currentText)}; with -Version {request.Version} that gives {target.Display}, not {request.TargetPackage} as planned. Start a new run.", app.Name);
                var from = previous == null ? PackageUrl.Describe(currentText) : previous.Length == 0 ? null : previous;
                var others = settings.Count - (settings.Contains(PackageSetting) ? 1 : 0);
                var action = $"Set {PackageSetting} from {from ?? "(not set)"} to {target.Display} (other {others} settings kept)";

                if (current != null && current.SameAs(target))
                {
                    if (previous == null)
                    {
                        var note = $"{PackageSetting} of app '{app.Name}' is already {target.Display}; nothing changed.";
                        ctx.Publish(new PackageOutcome { Action = PackageRollbackAction.AlreadyCurrent, PreviousPackage = from, Package = target.Display, Plan = note });
                        return StepResult.AlreadyDone(note);
                    }
                    return Changed(ctx, app, from, target, action, lost > 0
                        ? " The answer to the change was lost; reading the settings back showed it applied."
                        : " It was set by an earlier attempt of this run, which was interrupted before it finished.");
                }

                if (lost == 0 && !ctx.ShouldProcess(app.Name, action))
                {
                    ctx.Publish(new PackageOutcome { Action = PackageRollbackAction.Skipped, PreviousPackage = from, Package = target.Display, Plan = action });
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
            ctx.Publish(new PackageOutcome { Action = PackageRollbackAction.RolledBack, PreviousPackage = from, Package = target.Display, Plan = plan });
            return StepResult.Done(change + "; every other app setting kept." + how);
        }

        /// <summary>The run's one result, read back from its report (so a resumed run reports what its earlier
        /// attempts did). Action is Failed when any step failed, including a restart after which the app never
        /// answered healthy: the packages are then still shown, so it is clear what was changed.</summary>
        protected internal override IEnumerable<PackageRollbackResult> Results(PackageRollbackRequest request, RunReport report)
        {
            var package = report.Steps.FirstOrDefault(s => s.StepId.StartsWith(PackageStepPrefix, StringComparison.Ordinal))?.Published<PackageOutcome>();
            var restart = WebAppRestartStep.Outcome(report);
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            yield return new PackageRollbackResult
            {
                WebAppName = request.App.Name,
                Action = failed != null ? PackageRollbackAction.Failed : package?.Action ?? PackageRollbackAction.Skipped,
                PreviousPackage = package?.PreviousPackage,
                Package = package?.Package ?? request.TargetPackage,
                HealthUrl = restart?.HealthUrl,
                TimeToHealthy = restart?.TimeToHealthy,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                Plan = package?.Plan ?? report.Steps.FirstOrDefault()?.Plan,
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
        }
    }
}
