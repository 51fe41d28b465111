using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.KeyVault;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Recovers deleted Key Vault secrets and waits until each is readable again; restores purged ones from a
    /// backup or a new value; optionally restarts the app that uses them and waits until it is healthy.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "KeyVaultSecretRecovery", DefaultParameterSetName = VaultNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SecretRecoveryResult))]
    public sealed class InvokeKeyVaultSecretRecoveryCommand : AppRestartCmdlet
    {
        private const string VaultNameSet = "VaultName";
        private const string VaultUriSet = "VaultUri";
        private readonly List<string> _names = new List<string>();

        /// <summary>The vault's name (public cloud, or the cloud chosen with -Environment).</summary>
        [Parameter(Mandatory = true, ParameterSetName = VaultNameSet, Position = 0)]
        [ValidatePattern("^[0-9a-zA-Z-]{3,24}$")]
        public string VaultName { get; set; } = "";

        /// <summary>The vault's URI, for Azure Stack Hub and other clouds.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VaultUriSet, ValueFromPipelineByPropertyName = true)]
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
        [Parameter(ParameterSetName = VaultNameSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = VaultUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the app to restart.</summary>
        [Parameter(ParameterSetName = VaultNameSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = VaultUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>After the secrets are readable, restart this App Service app and wait until it is healthy.</summary>
        [Parameter(ParameterSetName = VaultNameSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = VaultUriSet, ValueFromPipelineByPropertyName = true)]
        public string? WebAppName { get; set; }

        protected override void ProcessRecord() => _names.AddRange(Name);

        protected override void EndProcessing() =>
            Run(new KeyVaultRecoveryRunbook(), () => new SecretRecoveryRequest
            {
                VaultUri = VaultUri ?? BuildEnvironment().VaultUri(VaultName),
                Names = _names.ToArray(),
                All = All,
                BackupFile = BackupFile == null ? null : ResolvePath(BackupFile),
                NewValue = NewValue,
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
                Patterns = PowerShellWildcards.Instance,
                App = RestartTarget(SubscriptionId, ResourceGroupName, WebAppName),
            });
    }
}
