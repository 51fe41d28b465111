using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.KeyVault;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Recovers deleted Key Vault secrets and waits until each is readable again; restores purged ones from a
    /// backup or a new value; optionally restarts the app that uses them and waits until it is healthy.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "KeyVaultSecretRecovery", DefaultParameterSetName = VaultNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SecretRecoveryResult))]
    public sealed class InvokeKeyVaultSecretRecoveryCommand : AzureRunbookCmdlet
    {
        private const string VaultNameSet = "VaultName";
        private const string VaultUriSet = "VaultUri";
        private readonly List<string> _names = new List<string>();

        /// <summary>The vault's name (public cloud, or the cloud chosen with -Environment).</summary>
        [Parameter(Mandatory = true, ParameterSetName = VaultNameSet, Position = 0)]
        [ValidatePattern("^[0-9a-zA-Z-]{3,24}$")]
        public string VaultName { get; set; } = "";

        /// <summary>The vault's URI, for Azure Stack Hub and other clouds.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VaultUriSet)]
        [ValidateNotNull]
        public Uri? VaultUri { get; set; }

        /// <summary>Secret names; wildcards match both deleted and active secrets.</summary>
        [Parameter(ParameterSetName = VaultNameSet, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = VaultUriSet, Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        /// <summary>Every soft-deleted secret in the vault.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        public SwitchParameter All { get; set; }

        /// <summary>A secret backup blob (Backup-AzKeyVaultSecret) to restore when the one named secret was purged.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? BackupFile { get; set; }

        /// <summary>A value to set when the one named secret was purged.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? NewValue { get; set; }

        /// <summary>Seconds to wait for a recovered secret to become readable.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 300;

        /// <summary>Subscription of the app to restart.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the app to restart.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>After the secrets are readable, restart this App Service app and wait until it is healthy.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        /// <summary>Path probed on the app's host name. Default /.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateNotNullOrEmpty]
        public string HealthPath { get; set; } = "/";

        /// <summary>Status codes that count as healthy. Default 200.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateRange(100, 599)]
        public int[] HealthyStatusCode { get; set; } = { 200 };

        /// <summary>Seconds to wait for the app to answer healthy.</summary>
        [Parameter(ParameterSetName = VaultNameSet)]
        [Parameter(ParameterSetName = VaultUriSet)]
        [ValidateRange(1, 86400)]
        public int HealthTimeoutSec { get; set; } = 600;

        protected override void ProcessRecord() => _names.AddRange(Name);

        protected override string[] Runbooks => new[] { KeyVaultRecoveryRunbook.Name };

        protected override void EndProcessing()
        {
            var redactor = new SecretRedactor();
            var environment = BuildEnvironment();
            var backupFile = BackupFile == null ? null : ResolvePath(BackupFile);
            Execute(async (journaled, host, token) =>
            {
                if (journaled != null) return KeyVaultRecoveryRunbook.FromJournal(environment, journaled, NewValue, redactor);
                if (All && _names.Count > 0)
                    throw new DrException("NameAndAll", DrErrorCategory.InvalidArgument, "Give -Name or -All, not both.") { IsPrecondition = true };
                var request = new SecretRecoveryRequest
                {
                    VaultUri = VaultUri ?? environment.VaultUri(VaultName),
                    Names = _names.ToArray(),
                    All = All,
                    BackupFile = backupFile,
                    NewValue = NewValue,
                    Timeout = TimeSpan.FromSeconds(TimeoutSec),
                    Patterns = PowerShellWildcards.Instance,
                };
                WebAppTarget? app = null;
                if (WebAppName != null)
                {
                    if (SubscriptionId == null || ResourceGroupName == null)
                        throw new DrException("WebAppNeedsResourceGroup", DrErrorCategory.InvalidArgument,
                            "-WebAppName needs -SubscriptionId and -ResourceGroupName.", WebAppName) { IsPrecondition = true };
                    app = new WebAppTarget
                    {
                        SubscriptionId = SubscriptionId, ResourceGroupName = ResourceGroupName, Name = WebAppName,
                        HealthPath = HealthPath, HealthyStatusCodes = HealthyStatusCode, HealthTimeout = TimeSpan.FromSeconds(HealthTimeoutSec),
                    };
                }
                return await KeyVaultRecoveryRunbook.CreateAsync(environment, request, app, redactor, token).ConfigureAwait(false);
            }, redactor, report => KeyVaultRecoveryRunbook.Results(report).Cast<object>());
        }
    }
}
