using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AzureStack;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 000 "Recovery of App Service on Azure Stack" as one resumable run: the databases in parallel with the file
    /// share, then the roles and services on the controller, then the sync, then a Function App's storage when asked,
    /// then a check that the App Service endpoints answer. Its report is the recovery record.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AzureStackAppServiceRecovery", DefaultParameterSetName = RecoverSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(AzureStackRecoveryResult))]
    public sealed class InvokeAzureStackAppServiceRecoveryCommand : AppRestartCmdlet
    {
        private const string RecoverSet = "Recover";

        /// <summary>The App Service secrets file (SystemSecrets.json), as a path on the controller.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? SecretsFilePath { get; set; }

        /// <summary>The controller VM to reach through PowerShell remoting.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [Alias("Cn")]
        public string? ComputerName { get; set; }

        /// <summary>The account for -ComputerName.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>An open PSSession to the controller VM.</summary>
        [Parameter]
        [ValidateNotNull]
        public PSSession? Session { get; set; }

        /// <summary>The App Service services to stop and start again.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string[]? ServiceName { get; set; }

        /// <summary>Seconds one App Service command may run. Default 3600.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateRange(1, 86400)]
        public int CommandTimeoutSec { get; set; } = 3600;

        /// <summary>Seconds a service may take to stop or start. Default 300.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateRange(1, 3600)]
        public int ServiceTimeoutSec { get; set; } = 300;

        /// <summary>Seconds to wait for a Ready management server. Default 1800.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateRange(1, 86400)]
        public int ReadyTimeoutSec { get; set; } = 1800;

        /// <summary>The SQL Server instance that hosts the restored App Service databases.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerInstance { get; set; }

        /// <summary>A SQL login for -ServerInstance (otherwise integrated authentication).</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? SqlCredential { get; set; }

        /// <summary>A certificate file to trust for -ServerInstance when the system does not.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerCertificate { get; set; }

        /// <summary>The folder with the newest appservice_hosting*.bak and appservice_metering*.bak backups.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? BackupPath { get; set; }

        /// <summary>Pass -ServerInstance to Restore-AppServiceStamp as -OverrideDatabaseServer (the server moved).</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        public SwitchParameter DatabaseServerMoved { get; set; }

        /// <summary>The remote backup share of the file share content.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? Source { get; set; }

        /// <summary>The App Service file share to restore into.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? Destination { get; set; }

        /// <summary>The account that connects to -Source.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? ShareCredential { get; set; }

        /// <summary>Reset the file share's permissions after the copy (what ReACL.cmd does).</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        public SwitchParameter ResetPermissions { get; set; }

        /// <summary>Pass -Destination to Restore-AppServiceStamp as -OverrideContentShare (the share moved).</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        public SwitchParameter ContentShareMoved { get; set; }

        /// <summary>The restored database server for Restore-AppServiceStamp, given explicitly.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? OverrideDatabaseServer { get; set; }

        /// <summary>The restored file share for Restore-AppServiceStamp, given explicitly.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? OverrideContentShare { get; set; }

        /// <summary>Subscription of the Function App.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the Function App.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>Restore this Function App's storage too.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public string? FunctionAppName { get; set; }

        /// <summary>Create this storage account for the Function App.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? NewStorageAccountName { get; set; }

        /// <summary>Use this existing storage account for the Function App.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? StorageAccountName { get; set; }

        /// <summary>Use this storage connection string for the Function App.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? StorageConnectionString { get; set; }

        /// <summary>Restarts at most until the Function App starts without errors. Default 3.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateRange(1, 20)]
        public int MaxRestartCount { get; set; } = 3;

        /// <summary>App Service endpoints that must answer at the end.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateNotNullOrEmpty]
        public Uri[]? EndpointUri { get; set; }

        /// <summary>Seconds each endpoint may take to answer. Default 600.</summary>
        [Parameter(ParameterSetName = RecoverSet)]
        [ValidateRange(1, 86400)]
        public int EndpointTimeoutSec { get; set; } = 600;

        /// <summary>Do not ask before the databases are overwritten (WITH REPLACE).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipDataLossPrompt => Force;

        protected override bool MayAskDataLossQuestion => !Force && (IsResume || ServerInstance != null);

        private IDisposable? _remote;

        protected override IReadOnlyList<object> RunPorts(IDrHost host) => new[] { ControllerPorts.Create(Session, ComputerName, Credential, host, out _remote) };

        protected override IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["SqlPassword"] = SqlCredential?.Password,
                ["ShareCredential"] = ShareCredential?.GetNetworkCredential(),
                ["StorageConnectionString"] = StorageConnectionString,
            };

        protected override void EndProcessing()
        {
            if (Session != null && ComputerName != null)
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("ControllerGivenTwice", DrErrorCategory.InvalidArgument,
                    "Give the controller once: -ComputerName (with -Credential) or -Session.", "Session")));
            try
            {
                Run(new AppServiceStampRecoveryRunbook(), BuildRequest);
            }
            finally
            {
                _remote?.Dispose();
                _remote = null;
            }
        }

        private AppServiceStampRecoveryRequest BuildRequest()
        {
            if ((ServerInstance == null) != (BackupPath == null))
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("DatabasePartIncomplete", DrErrorCategory.InvalidArgument,
                    "The database part needs both -ServerInstance and -BackupPath.", ServerInstance ?? BackupPath)));
            if ((Source == null) != (Destination == null))
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("FileSharePartIncomplete", DrErrorCategory.InvalidArgument,
                    "The file share part needs both -Source and -Destination.", Source ?? Destination)));
            var request = new AppServiceStampRecoveryRequest
            {
                Roles = ControllerPorts.RolesRequest(SecretsFilePath!, OverrideDatabaseServer, OverrideContentShare, ServiceName, CommandTimeoutSec, ServiceTimeoutSec, ReadyTimeoutSec),
                DatabaseServerMoved = DatabaseServerMoved,
                ContentShareMoved = ContentShareMoved,
                ShareCredentialGiven = ShareCredential != null,
                Endpoints = (EndpointUri ?? Array.Empty<Uri>()).ToList(),
                EndpointTimeout = TimeSpan.FromSeconds(EndpointTimeoutSec),
                EndpointPollInterval = TimeSpan.FromSeconds(Math.Min(10, Math.Max(1, EndpointTimeoutSec / 30))),
            };
            if (ServerInstance != null)
                request.Databases = new Engine.Sql.SqlRestoreRequest
                {
                    Server = SqlServer(ServerInstance, SqlCredential, null, ServerCertificate),
                    BackupPath = ResolvePath(BackupPath!),
                    WithReplace = true,
                };
            if (Source != null)
                request.FileShare = new Engine.Shares.ShareCopyRequest
                {
                    Source = ResolvePath(Source),
                    Destination = ResolvePath(Destination!),
                    Credential = ShareCredential?.GetNetworkCredential(),
                    ResetPermissions = ResetPermissions ? new Engine.Shares.SharePermissionReset() : null,
                };
            if (FunctionAppName != null)
                request.FunctionApps.Add(new FunctionAppStorageRequest
                {
                    App = RestartTarget(SubscriptionId, ResourceGroupName, FunctionAppName)!,
                    StorageAccountName = NewStorageAccountName ?? StorageAccountName,
                    CreateAccount = NewStorageAccountName != null,
                    ConnectionString = StorageConnectionString,
                    MaxRestarts = MaxRestartCount,
                });
            else NoAppToRestart();
            return request;
        }
    }
}
