using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.KeyVault
{
    /// <summary>
    /// Seed 004 scenario 2 as one runbook: recover every named secret (in parallel), then, when an app is
    /// given, restart it and wait until it answers healthy. Steps: <c>secret:&lt;name&gt;</c> ... and <c>restart:&lt;app&gt;</c>.
    /// </summary>
    public static class KeyVaultRecoveryRunbook
    {
        public const string Name = "KeyVaultSecretRecovery";
        private const string SecretStepPrefix = "secret:";

        /// <summary>Resolves the names (wildcards, -All) and builds the runbook. Fails before any change when
        /// nothing matches or the input is inconsistent.</summary>
        public static async Task<RunbookDefinition> CreateAsync(DrEnvironment environment, SecretRecoveryRequest request, WebAppTarget? app, SecretRedactor redactor, CancellationToken ct)
        {
            var service = new SecretRecoveryService(environment, redactor);
            var names = await service.ResolveNamesAsync(request, ct).ConfigureAwait(false);
            if (names.Count == 0)
                throw new DrException("NoMatchingSecret", DrErrorCategory.ObjectNotFound,
                    $"No secret in vault '{request.VaultName}' matches {(request.All ? "-All (there are no deleted secrets)" : string.Join(", ", request.Names))}.", request.VaultName) { IsPrecondition = true };
            return Build(environment, request, names, app, redactor);
        }

        /// <summary>Rebuilds the runbook of a journaled run from the inputs it recorded (for -Resume). A -NewValue
        /// is a secret and was not recorded: pass it again.</summary>
        public static RunbookDefinition FromJournal(DrEnvironment environment, IReadOnlyDictionary<string, string?> inputs, SecureString? newValue, SecretRedactor redactor)
        {
            string? Get(string key) => inputs.Optional(key);
            var request = new SecretRecoveryRequest
            {
                VaultUri = new Uri(Get("VaultUri") ?? throw new DrException("JournalDamaged", DrErrorCategory.InvalidData, "The run did not record its vault.") { IsPrecondition = true }),
                Names = Split(Get("Names")),
                All = Get("All") == "True",
                BackupFile = Get("BackupFile"),
                NewValue = newValue,
                Timeout = TimeSpan.FromSeconds(double.Parse(Get("TimeoutSeconds") ?? "300", CultureInfo.InvariantCulture)),
            };
            if (inputs.ContainsKey("NewValue") && newValue == null)
                throw new DrException("ResumeNeedsNewValue", DrErrorCategory.InvalidArgument,
                    "This run was started with -NewValue, which is never recorded. Pass -NewValue again with -Resume.") { IsPrecondition = true };
            var app = WebAppTarget.FromInputs(inputs);
            return Build(environment, request, Split(Get("Secrets")), app, redactor);
        }

        private static IReadOnlyList<string> Split(string? joined) =>
            string.IsNullOrEmpty(joined) ? Array.Empty<string>() : joined!.Split(',');

        private static RunbookDefinition Build(DrEnvironment environment, SecretRecoveryRequest request, IReadOnlyList<string> names, WebAppTarget? app, SecretRedactor redactor)
        {
            var service = new SecretRecoveryService(environment, redactor);
            var inputs = new List<RunInput>
            {
                new RunInput("VaultUri", request.VaultUri.ToString()),
                new RunInput("Names", string.Join(",", request.Names)),
                new RunInput("All", request.All.ToString()),
                new RunInput("Secrets", string.Join(",", names)),
                new RunInput("TimeoutSeconds", request.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)),
            };
            if (request.BackupFile != null) inputs.Add(new RunInput("BackupFile", request.BackupFile));
            if (request.NewValue != null) inputs.Add(new RunInput("NewValue", null, isSecret: true));
            var steps = names.Select(n => new RunbookStep(SecretStepPrefix + n, $"Make secret '{n}' in vault '{request.VaultName}' readable again",
                ctx => RecoverStepAsync(service, request, n, ctx))).ToList();
            if (app != null)
            {
                inputs.AddRange(app.ToInputs());
                var restart = new WebAppRestartService(environment, redactor);
                steps.Add(WebAppRestartStep.Create(restart, app, steps.Select(s => s.Id).ToArray()));
            }
            return new RunbookDefinition(Name, inputs, steps);
        }

        private static async Task<StepResult> RecoverStepAsync(SecretRecoveryService service, SecretRecoveryRequest request, string name, StepContext ctx)
        {
            var r = await service.RecoverAsync(request, name, ctx.Host, ctx.CancellationToken, ctx.RecordChange).ConfigureAwait(false);
            ctx.SetOutput("Action", r.Action.ToString());
            ctx.SetOutput("Plan", r.Plan);
            ctx.SetOutput("DurationMs", ((long)r.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
            if (r.DeletedOn != null) ctx.SetOutput("DeletedOn", r.DeletedOn.Value.ToString("o", CultureInfo.InvariantCulture));
            if (r.ScheduledPurgeDate != null) ctx.SetOutput("ScheduledPurgeDate", r.ScheduledPurgeDate.Value.ToString("o", CultureInfo.InvariantCulture));
            if (r.RecoveryLevel != null) ctx.SetOutput("RecoveryLevel", r.RecoveryLevel);
            switch (r.Action)
            {
                case SecretRecoveryAction.AlreadyActive:
                    return StepResult.AlreadyDone(r.Plan);
                case SecretRecoveryAction.Skipped:
                    return StepResult.Declined(r.Plan);
                case SecretRecoveryAction.NeedsValue:
                    throw new DrException(r.ErrorId ?? "SecretPurged", DrErrorCategory.ObjectNotFound, r.Error ?? r.Plan, name);
                case SecretRecoveryAction.Failed:
                    throw r.Failure ?? new DrException(r.ErrorId ?? "SecretRecoveryFailed", DrErrorCategory.InvalidOperation, r.Error ?? r.Plan, name);
                default:
                    return StepResult.Done(r.Plan);
            }
        }

        /// <summary>One result per secret, read back from the run's report (so a resumed run reports the
        /// secrets finished before the crash too).</summary>
        public static IReadOnlyList<SecretRecoveryResult> Results(RunReport report)
        {
            var vaultUri = report.Inputs.TryGetValue("VaultUri", out var v) && v != null ? new Uri(v) : null;
            var list = new List<SecretRecoveryResult>();
            foreach (var s in report.Steps.Where(s => s.StepId.StartsWith(SecretStepPrefix, StringComparison.Ordinal)))
            {
                string? O(string key) => s.Outputs.TryGetValue(key, out var value) ? value : null;
                var action = Enum.TryParse<SecretRecoveryAction>(O("Action"), out var a) ? a
                    : s.Outcome == StepOutcome.Failed ? SecretRecoveryAction.Failed : SecretRecoveryAction.Skipped;
                list.Add(new SecretRecoveryResult
                {
                    VaultName = vaultUri?.Host.Split('.')[0] ?? "",
                    Name = s.StepId.Substring(SecretStepPrefix.Length),
                    Action = action,
                    Plan = O("Plan") ?? s.Plan,
                    DeletedOn = O("DeletedOn") is string d ? DateTimeOffset.Parse(d, CultureInfo.InvariantCulture) : (DateTimeOffset?)null,
                    ScheduledPurgeDate = O("ScheduledPurgeDate") is string p ? DateTimeOffset.Parse(p, CultureInfo.InvariantCulture) : (DateTimeOffset?)null,
                    RecoveryLevel = O("RecoveryLevel"),
                    Duration = O("DurationMs") is string ms ? TimeSpan.FromMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture)) : s.Duration ?? TimeSpan.Zero,
                    ErrorId = s.ErrorId,
                    Error = s.Error,
                    RunId = report.RunId,
                });
            }
            return list;
        }
    }
}
