using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.AzureStack
{
    /// <summary>Seed 000's third part: where the secrets file is, what moved, and how long each command may take.</summary>
    public sealed class AppServiceRolesRequest
    {
        /// <summary>The App Service secrets file (SystemSecrets.json) as a path on the controller. The path is journaled;
        /// the file's content never is.</summary>
        public string SecretsFilePath { get; set; } = "";

        /// <summary>The restored database server, when it has another address than the backed-up deployment's.</summary>
        public string? OverrideDatabaseServer { get; set; }

        /// <summary>The restored file share, when it has another path than the backed-up deployment's.</summary>
        public string? OverrideContentShare { get; set; }

        /// <summary>The services stopped before the restore and started after it. HostingVssService is deprecated
        /// after release 1.4: it is stopped and started only where it still exists.</summary>
        public IReadOnlyList<string> Services { get; set; } = DefaultServices;

        public static readonly IReadOnlyList<string> DefaultServices = new[] { "WebFarmService", "ResourceMetering", "HostingVssService" };

        /// <summary>How long one App Service command may run before it is stopped.</summary>
        public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(60);

        /// <summary>How long a service may take to stop or start.</summary>
        public TimeSpan ServiceTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>How long to wait for a management server to report Ready.</summary>
        public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(30);

        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>Plan: where the commands ran (checked again on -Resume) and which services exist there.</summary>
        public string? ComputerName { get; set; }
        public List<string> PresentServices { get; set; } = new List<string>();
    }

    /// <summary>
    /// Seed 000 "Restore App Service roles and services" on the controller VM, each command one journaled step:
    /// <c>stop-services</c> (WebFarmService, ResourceMetering, and HostingVssService where it exists),
    /// <c>restore-stamp</c> (Restore-AppServiceStamp -FilePath, with -OverrideDatabaseServer / -OverrideContentShare
    /// when they moved; its ENTER prompt answered), <c>restore-roles</c> (Restore-AppServiceRoles),
    /// <c>start-services</c> (run even when a step between failed, so the run never leaves the services stopped),
    /// <c>wait-ready</c> (a management server reports Ready), then <c>sync-sites</c> and <c>sync-serverfarms</c>
    /// (Get-AppServiceSite | Sync-AppServiceObject, Get-AppServiceServerFarm | Sync-AppServiceObject, their "all"
    /// prompts answered Yes). The commands are reached through <see cref="IControllerSession"/>.
    /// </summary>
    public sealed class AppServiceRolesRunbook : Runbook<AppServiceRolesRequest, AppServiceRolesResult>
    {
        public const string StopStep = "stop-services";
        public const string StampStep = "restore-stamp";
        public const string RolesStep = "restore-roles";
        public const string StartStep = "start-services";
        public const string ReadyStep = "wait-ready";
        public const string SyncSitesStep = "sync-sites";
        public const string SyncFarmsStep = "sync-serverfarms";

        /// <summary>The App Service commands the runbook calls (documented on the controller VM).</summary>
        public static readonly IReadOnlyList<string> AppServiceCommands = new[]
        {
            "Restore-AppServiceStamp", "Restore-AppServiceRoles", "Get-AppServiceServer", "Get-AppServiceSite", "Get-AppServiceServerFarm", "Sync-AppServiceObject",
        };

        private static readonly string[] ServiceCommands = { "Get-Service", "Stop-Service", "Start-Service" };

        public override string Name => "AppServiceRoles";
        public override string Command => "Invoke-AppServiceRoleRecovery";

        internal static IControllerSession Controller(RunContext run) =>
            run.Port<IControllerSession>() ?? throw new InvalidOperationException("This run was given no controller session.");

        protected internal override async Task PreflightAsync(RunContext run, AppServiceRolesRequest request, CancellationToken ct)
        {
            await CheckControllerAsync(run, request, ct).ConfigureAwait(false);
            await CheckSecretsFileAsync(run, request, ct).ConfigureAwait(false);
        }

        /// <summary>The controller answers, has the App Service commands, and which of the services exist there.</summary>
        internal static async Task CheckControllerAsync(RunContext run, AppServiceRolesRequest request, CancellationToken ct)
        {
            if (string.IsNullOrWhiteSpace(request.SecretsFilePath))
                throw DrException.Precondition("SecretsFileNotGiven", DrErrorCategory.InvalidArgument, "Give the path of the App Service secrets file (SystemSecrets.json) on the controller.");
            if (request.Services.Count == 0)
                throw DrException.Precondition("NoServices", DrErrorCategory.InvalidArgument, "Name at least one App Service service to stop and start.");
            var controller = Controller(run);
            await controller.ConnectAsync(ct).ConfigureAwait(false);
            request.ComputerName = controller.ComputerName;
            var missing = await controller.MissingCommandsAsync(AppServiceCommands.Concat(ServiceCommands).ToList(), ct).ConfigureAwait(false);
            if (missing.Count > 0)
                throw DrException.Precondition("AppServiceCommandsNotFound", DrErrorCategory.ObjectNotFound,
                    $"The App Service commands are not in this session on {controller.ComputerName} (missing: {string.Join(", ", missing)}). " +
                    "Run this on the App Service controller VM (CN0-VM), or pass -ComputerName or -Session to reach it.", controller.ComputerName);
            request.PresentServices = new List<string>();
            foreach (var service in request.Services)
            {
                var found = await InvokeAsync(run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                    new ControllerCommand("Get-Service", ("Name", service), ("ErrorAction", "SilentlyContinue"))), request.ServiceTimeout, ct).ConfigureAwait(false);
                if (found.Output.Count > 0) request.PresentServices.Add(service);
            }
            if (request.PresentServices.Count == 0)
                throw DrException.Precondition("AppServiceServicesNotFound", DrErrorCategory.ObjectNotFound,
                    $"None of the services {string.Join(", ", request.Services)} exists on {controller.ComputerName}: it is not an App Service controller.", controller.ComputerName);
        }

        /// <summary>The secrets file exists on the controller and is a JSON object. Its content is registered as secret
        /// before anything else sees it and is not kept.</summary>
        internal static async Task CheckSecretsFileAsync(RunContext run, AppServiceRolesRequest request, CancellationToken ct)
        {
            var controller = Controller(run);
            var path = request.SecretsFilePath;
            var exists = await InvokeAsync(run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                new ControllerCommand("Test-Path", ("LiteralPath", path), ("PathType", "Leaf"))), request.ServiceTimeout, ct).ConfigureAwait(false);
            if (!exists.Output.Any(o => o.TryGetValue("", out var v) && string.Equals(v, "True", StringComparison.OrdinalIgnoreCase)))
                throw DrException.Precondition("SecretsFileNotFound", DrErrorCategory.ObjectNotFound,
                    $"The App Service secrets file '{path}' was not found on {controller.ComputerName}. Copy SystemSecrets.json there first.", path);
            var read = await InvokeAsync(run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                new ControllerCommand("Get-Content", ("LiteralPath", path), ("Raw", true))) { Sensitive = true }, request.ServiceTimeout, ct).ConfigureAwait(false);
            var text = read.Output.Select(o => o.TryGetValue("", out var v) ? v : null).FirstOrDefault(v => v != null) ?? "";
            run.Redactor.Register(text);
            if (read.Errors.Count > 0)
                throw DrException.Precondition("SecretsFileUnreadable", DrErrorCategory.ReadError,
                    $"The App Service secrets file '{path}' could not be read on {controller.ComputerName}.", path);
            try
            {
                using var document = JsonDocument.Parse(text);
                RegisterStrings(run.Redactor, document.RootElement);
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.EnumerateObject().Any())
                    throw Invalid(path);
            }
            catch (JsonException)
            {
                throw Invalid(path);
            }
        }

        private static DrException Invalid(string path) =>
            DrException.Precondition("SecretsFileInvalid", DrErrorCategory.InvalidData,
                $"'{path}' is not an App Service secrets file: it is not a JSON object with the exported secrets. Download the secrets again (App Service > Secrets > Download Secrets in the administrator portal). Its content is not shown.", path);

        private static void RegisterStrings(SecretRedactor redactor, JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    if (e.GetString() is string s && s.Length >= 4) redactor.Register(s);
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) RegisterStrings(redactor, p.Value);
                    break;
                case JsonValueKind.Array:
                    foreach (var i in e.EnumerateArray()) RegisterStrings(redactor, i);
                    break;
            }
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, AppServiceRolesRequest request) => Build(run, request, Array.Empty<string>());

        /// <summary>The steps, the first ones after <paramref name="after"/> (the whole recovery's earlier parts).</summary>
        internal static IEnumerable<RunbookStep> Build(RunContext run, AppServiceRolesRequest request, IReadOnlyList<string> after)
        {
            var controller = Controller(run);
            if (request.ComputerName != null && !string.Equals(request.ComputerName, controller.ComputerName, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("ControllerDiffers", DrErrorCategory.InvalidArgument,
                    $"This run works on {request.ComputerName}; it was given {controller.ComputerName}. Resume it with the same -ComputerName or -Session (or on the controller itself).", controller.ComputerName);
            var on = request.ComputerName ?? controller.ComputerName;
            var services = string.Join(", ", request.PresentServices);
            var stamp = new ControllerCommand("Restore-AppServiceStamp", StampParameters(request).ToArray());
            yield return new RunbookStep(StopStep, $"Stop {services} on {on}", ctx => ServicesAsync(ctx, request, stop: true), after.ToArray());
            yield return new RunbookStep(StampStep, $"{stamp} on {on}, answering its ENTER prompt", ctx => CommandAsync(ctx, request,
                new ControllerInvocation(ControllerPromptAnswer.Enter, stamp) { Sensitive = true }, "App Service secrets and configuration restored from the backup"), StopStep);
            yield return new RunbookStep(RolesStep, $"Restore-AppServiceRoles on {on}", ctx => CommandAsync(ctx, request,
                new ControllerInvocation(ControllerPromptAnswer.None, new ControllerCommand("Restore-AppServiceRoles")), "App Service roles restored"), StampStep);
            yield return new RunbookStep(StartStep, $"Start {services} on {on} (also when a step before failed)", ctx => StartAsync(ctx, request),
                StopStep, StampStep, RolesStep) { RunsAfterFailure = true };
            yield return new RunbookStep(ReadyStep, $"Wait until a management server on {on} reports Ready", ctx => WaitReadyAsync(ctx, request), StartStep, RolesStep);
            yield return new RunbookStep(SyncSitesStep, $"Get-AppServiceSite | Sync-AppServiceObject on {on}, answering Yes to get all sites",
                ctx => SyncAsync(ctx, request, "Get-AppServiceSite", "sites"), ReadyStep);
            yield return new RunbookStep(SyncFarmsStep, $"Get-AppServiceServerFarm | Sync-AppServiceObject on {on}, answering Yes for all ServerFarm entities",
                ctx => SyncAsync(ctx, request, "Get-AppServiceServerFarm", "server farms"), SyncSitesStep);
        }

        private static IEnumerable<(string, object)> StampParameters(AppServiceRolesRequest r)
        {
            yield return ("FilePath", r.SecretsFilePath);
            if (r.OverrideDatabaseServer != null) yield return ("OverrideDatabaseServer", r.OverrideDatabaseServer);
            if (r.OverrideContentShare != null) yield return ("OverrideContentShare", r.OverrideContentShare);
        }

        /// <summary>Runs one pipeline with a time limit: a command still running then is stopped (ControllerCommandTimedOut);
        /// errors it wrote fail the call (ControllerCommandFailed).</summary>
        internal static async Task<ControllerResult> InvokeAsync(RunContext run, IControllerSession controller, ControllerInvocation invocation, TimeSpan timeout, CancellationToken ct, bool errorsFail = false)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            ControllerResult result;
            try
            {
                result = await controller.InvokeAsync(invocation, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new DrException("ControllerCommandTimedOut", DrErrorCategory.OperationTimeout,
                    $"{invocation.Pipeline[0].Name} on {controller.ComputerName} was still running after {timeout.TotalSeconds:0} s and was stopped.", invocation.Pipeline[0].Name);
            }
            if (errorsFail && result.Errors.Count > 0)
                throw new DrException("ControllerCommandFailed", DrErrorCategory.InvalidOperation,
                    $"{invocation.Pipeline[0].Name} on {controller.ComputerName} failed: {run.Redactor.Redact(string.Join(" ", result.Errors))}", invocation.Pipeline[0].Name);
            return result;
        }

        private const string CompletedOutput = "completed";

        /// <summary>Runs one of the commands between the stop and the start. The services are made sure to be stopped first:
        /// after a failure they were started again, and a resumed run stops them again before it goes on.</summary>
        private static async Task<StepResult> CommandAsync(StepContext ctx, AppServiceRolesRequest request, ControllerInvocation invocation, string done)
        {
            var controller = Controller(ctx.Run);
            if (!ctx.ShouldProcess(controller.ComputerName, invocation.ToString())) return StepResult.Declined($"{invocation.Pipeline[0].Name} not run.");
            var stopped = await ServicesAsync(ctx, request, stop: true).ConfigureAwait(false);
            ctx.RecordChange($"{invocation.Pipeline[0].Name} run on {controller.ComputerName}");
            var result = await InvokeAsync(ctx.Run, controller, invocation, request.CommandTimeout, ctx.CancellationToken, errorsFail: true).ConfigureAwait(false);
            ctx.SetOutput(CompletedOutput, "1");
            var prompts = result.Prompts.Count == 0 ? "" : $" ({result.Prompts.Count} prompt(s) answered)";
            var again = stopped.Outcome == StepOutcome.Succeeded ? $" The services were stopped again first: {stopped.Note}" : "";
            return StepResult.Done(done + prompts + "." + again);
        }

        /// <summary>Starts the services. When a step between the stop and the start did not complete, they are started all the
        /// same (the run never leaves them stopped), and the step ends not complete, so a resumed run stops them again,
        /// finishes that step, and starts them again here.</summary>
        private static async Task<StepResult> StartAsync(StepContext ctx, AppServiceRolesRequest request)
        {
            var result = await ServicesAsync(ctx, request, stop: false).ConfigureAwait(false);
            var unfinished = new[] { StopStep, StampStep, RolesStep }.Where(id => id != StopStep && ctx.GetOutput(id, CompletedOutput) == null).ToList();
            ctx.Publish(new ServicesOutcome { Running = !ctx.WhatIf, Services = request.PresentServices.ToList() });
            if (unfinished.Count == 0 || ctx.WhatIf) return result;
            return StepResult.Declined($"{result.Note} They were started again because {string.Join(" and ", unfinished)} did not complete; when the run is resumed they are stopped again, that step runs, and they are started here again.");
        }

        /// <summary>What the start step left: whether the services run.</summary>
        public sealed class ServicesOutcome
        {
            public bool Running { get; set; }
            public List<string> Services { get; set; } = new List<string>();
        }

        /// <summary>Stops (or starts) each present service that is not already so, and checks it is. A service that does
        /// not stop fails the step; <c>start-services</c> then still runs.</summary>
        private static async Task<StepResult> ServicesAsync(StepContext ctx, AppServiceRolesRequest request, bool stop)
        {
            var controller = Controller(ctx.Run);
            var ct = ctx.CancellationToken;
            var wanted = stop ? "Stopped" : "Running";
            var changed = new List<string>();
            foreach (var service in request.PresentServices)
            {
                if (await StatusAsync(ctx, controller, request, service).ConfigureAwait(false) == wanted) continue;
                var verb = stop ? "Stop-Service" : "Start-Service";
                if (!ctx.ShouldProcess($"{service} on {controller.ComputerName}", verb)) { changed.Add(service); continue; }
                ctx.RecordChange($"{(stop ? "stopped" : "started")} {service} on {controller.ComputerName}");
                try
                {
                    await InvokeAsync(ctx.Run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                        new ControllerCommand(verb, ("Name", service))), request.ServiceTimeout, ct, errorsFail: true).ConfigureAwait(false);
                }
                catch (DrException ex) when (stop)
                {
                    throw new DrException("ServiceWillNotStop", DrErrorCategory.OperationTimeout,
                        $"{service} on {controller.ComputerName} did not stop: {ex.Message} The services are started again before the run ends.", service, ex);
                }
                var now = await StatusAsync(ctx, controller, request, service).ConfigureAwait(false);
                if (now != wanted)
                    throw new DrException(stop ? "ServiceWillNotStop" : "ServiceWillNotStart", DrErrorCategory.InvalidOperation,
                        $"{service} on {controller.ComputerName} is {now ?? "unknown"} after {verb}, not {wanted}.", service);
                changed.Add(service);
            }
            if (changed.Count == 0) return StepResult.AlreadyDone($"{string.Join(", ", request.PresentServices)} already {wanted.ToLowerInvariant()}.");
            if (ctx.WhatIf) return StepResult.Declined($"{string.Join(", ", changed)} not {(stop ? "stopped" : "started")}.");
            return StepResult.Done($"{string.Join(", ", changed)} {wanted.ToLowerInvariant()} on {controller.ComputerName}.");
        }

        private static async Task<string?> StatusAsync(StepContext ctx, IControllerSession controller, AppServiceRolesRequest request, string service)
        {
            var result = await InvokeAsync(ctx.Run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                new ControllerCommand("Get-Service", ("Name", service))), request.ServiceTimeout, ctx.CancellationToken, errorsFail: true).ConfigureAwait(false);
            return result.Output.Select(o => o.TryGetValue("Status", out var s) ? s : null).FirstOrDefault();
        }

        private static async Task<StepResult> WaitReadyAsync(StepContext ctx, AppServiceRolesRequest request)
        {
            var controller = Controller(ctx.Run);
            if (ctx.WhatIf) return StepResult.Declined($"What if: wait until a management server on {controller.ComputerName} reports Ready (at most {request.ReadyTimeout.TotalMinutes:0.#} min).");
            var ready = await ctx.WaitAsync($"Waiting for a management server on {controller.ComputerName} to report Ready", request.ReadyTimeout, request.PollInterval,
                async ct =>
                {
                    var servers = await InvokeAsync(ctx.Run, controller, new ControllerInvocation(ControllerPromptAnswer.None,
                        new ControllerCommand("Get-AppServiceServer", ("ServerType", "ManagementServer"))), request.CommandTimeout, ct, errorsFail: true).ConfigureAwait(false);
                    var names = servers.Output.Where(o => o.TryGetValue("Status", out var s) && string.Equals(s, "Ready", StringComparison.OrdinalIgnoreCase))
                        .Select(o => o.TryGetValue("Name", out var n) ? n : null).Where(n => n != null).ToList();
                    if (names.Count > 0) return WaitProbe<string>.Done(string.Join(", ", names));
                    var seen = string.Join(", ", servers.Output.Select(o => $"{(o.TryGetValue("Name", out var n) ? n : "?")}: {(o.TryGetValue("Status", out var s) ? s : "?")}"));
                    return WaitProbe<string>.Pending(seen.Length == 0 ? "no management server listed" : seen);
                },
                elapsed => new DrException("ManagementServerNotReady", DrErrorCategory.OperationTimeout,
                    $"No management server on {controller.ComputerName} reported Ready within {elapsed.TotalSeconds:0} s; the objects are not synchronized. Check the roles in the administrator portal, then resume.", controller.ComputerName))
                .ConfigureAwait(false);
            return StepResult.Done($"Management server {ready} is Ready.");
        }

        private static async Task<StepResult> SyncAsync(StepContext ctx, AppServiceRolesRequest request, string getter, string what)
        {
            var controller = Controller(ctx.Run);
            var invocation = new ControllerInvocation(ControllerPromptAnswer.Yes, new ControllerCommand(getter), new ControllerCommand("Sync-AppServiceObject"));
            if (!ctx.ShouldProcess(controller.ComputerName, invocation.ToString())) return StepResult.Declined($"The {what} were not synchronized.");
            ctx.RecordChange($"{invocation} run on {controller.ComputerName}");
            var result = await InvokeAsync(ctx.Run, controller, invocation, request.CommandTimeout, ctx.CancellationToken, errorsFail: true).ConfigureAwait(false);
            ctx.Publish(new SyncOutcome { Objects = result.Output.Count, Prompts = result.Prompts.ToList() });
            return StepResult.Done($"The {what} were synchronized ({result.Prompts.Count} prompt(s) answered Yes).");
        }

        /// <summary>What a sync step saw.</summary>
        public sealed class SyncOutcome
        {
            public int Objects { get; set; }
            public List<string> Prompts { get; set; } = new List<string>();
        }

        protected internal override IEnumerable<AppServiceRolesResult> Results(AppServiceRolesRequest request, RunReport report)
        {
            yield return Result(request, report, report.Steps);
        }

        internal static AppServiceRolesResult Result(AppServiceRolesRequest request, RunReport report, IReadOnlyList<StepReport> steps)
        {
            StepReport? Step(string id) => steps.FirstOrDefault(s => s.StepId == id);
            bool Done(string id) => Step(id) is { } s && (s.Outcome == StepOutcome.Succeeded || s.Outcome == StepOutcome.AlreadyDone);
            var failed = steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            return new AppServiceRolesResult
            {
                ComputerName = request.ComputerName ?? "",
                SecretsFilePath = request.SecretsFilePath,
                Services = request.PresentServices.ToArray(),
                StampRestored = Done(StampStep),
                RolesRestored = Done(RolesStep),
                ServicesRunning = Step(StartStep)?.Published<ServicesOutcome>()?.Running ?? false,
                ManagementServerReady = Done(ReadyStep),
                Synchronized = Done(SyncSitesStep) && Done(SyncFarmsStep),
                Duration = report.Duration ?? TimeSpan.FromTicks(steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
        }
    }
}
