using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AzureStack;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 000 "Restore App Service roles and services" on the App Service controller VM: stops the App Service
    /// services, restores the stamp from the secrets file and the roles, starts the services again (also when a step
    /// between failed), waits for a Ready management server and synchronizes the sites and server farms. On the
    /// controller itself, or through PowerShell remoting as Invoke-Command does.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "AppServiceRoleRecovery", DefaultParameterSetName = LocalSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(AppServiceRolesResult))]
    public sealed class InvokeAppServiceRoleRecoveryCommand : ControllerRunbookCmdlet
    {
        /// <summary>The App Service secrets file (SystemSecrets.json), as a path on the controller.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = LocalSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ComputerNameSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = SessionSet)]
        [ValidateNotNullOrEmpty]
        public string? SecretsFilePath { get; set; }

        /// <summary>The restored database server, when its address differs from the backed-up deployment's.</summary>
        [Parameter(ParameterSetName = LocalSet)]
        [Parameter(ParameterSetName = ComputerNameSet)]
        [Parameter(ParameterSetName = SessionSet)]
        [ValidateNotNullOrEmpty]
        public string? OverrideDatabaseServer { get; set; }

        /// <summary>The restored file share, when its path differs from the backed-up deployment's.</summary>
        [Parameter(ParameterSetName = LocalSet)]
        [Parameter(ParameterSetName = ComputerNameSet)]
        [Parameter(ParameterSetName = SessionSet)]
        [ValidateNotNullOrEmpty]
        public string? OverrideContentShare { get; set; }

        protected override void EndProcessing() =>
            RunOnController(new AppServiceRolesRunbook(), () => RolesRequest(SecretsFilePath!, OverrideDatabaseServer, OverrideContentShare));
    }

    /// <summary>How a cmdlet's controller parameters become the run's controller session and the roles request.</summary>
    internal static class ControllerPorts
    {
        /// <summary>-Session, or -ComputerName (with -Credential) through remoting, or this session on the controller
        /// itself; <paramref name="remote"/> is what the command closes when it ends.</summary>
        public static object Create(PSSession? session, string? computerName, PSCredential? credential, IDrHost host, out IDisposable? remote)
        {
            remote = null;
            if (session != null) return (RemoteControllerSession)(remote = new RemoteControllerSession(session));
            if (computerName != null && !IsLocal(computerName)) return (RemoteControllerSession)(remote = new RemoteControllerSession(computerName, credential));
            return new LocalControllerSession((HostBridge)host);
        }

        private static bool IsLocal(string name) =>
            string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) || name == "." || name == "127.0.0.1";

        public static AppServiceRolesRequest RolesRequest(string secretsFilePath, string? overrideDatabaseServer, string? overrideContentShare,
            string[]? services, int commandTimeoutSec, int serviceTimeoutSec, int readyTimeoutSec) => new AppServiceRolesRequest
        {
            SecretsFilePath = secretsFilePath,
            OverrideDatabaseServer = overrideDatabaseServer,
            OverrideContentShare = overrideContentShare,
            Services = services ?? AppServiceRolesRequest.DefaultServices.ToArray(),
            CommandTimeout = TimeSpan.FromSeconds(commandTimeoutSec),
            ServiceTimeout = TimeSpan.FromSeconds(serviceTimeoutSec),
            ReadyTimeout = TimeSpan.FromSeconds(readyTimeoutSec),
            PollInterval = TimeSpan.FromSeconds(Math.Min(15, Math.Max(1, readyTimeoutSec / 20))),
        };
    }

    /// <summary>
    /// Runbook cmdlets that reach the App Service controller's commands: here (on the controller VM), or through
    /// -ComputerName/-Credential or -Session as Invoke-Command does; and the time limits of those commands.
    /// </summary>
    public abstract class ControllerRunbookCmdlet : RunbookCmdlet
    {
        protected const string LocalSet = "Local";
        protected const string ComputerNameSet = "ComputerName";
        protected const string SessionSet = "Session";

        /// <summary>The controller VM to reach through PowerShell remoting (WinRM).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ComputerNameSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNullOrEmpty]
        [Alias("Cn")]
        public string? ComputerName { get; set; }

        /// <summary>The account for -ComputerName (for example the controller's roleadmin).</summary>
        [Parameter(ParameterSetName = ComputerNameSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>An open PSSession to the controller VM.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNull]
        public PSSession? Session { get; set; }

        /// <summary>The App Service services to stop and start again. Default WebFarmService, ResourceMetering,
        /// HostingVssService (only those that exist are touched).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ServiceName { get; set; }

        /// <summary>Seconds one App Service command may run before it is stopped. Default 3600.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int CommandTimeoutSec { get; set; } = 3600;

        /// <summary>Seconds a service may take to stop or start. Default 300.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int ServiceTimeoutSec { get; set; } = 300;

        /// <summary>Seconds to wait for a management server to report Ready. Default 1800.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int ReadyTimeoutSec { get; set; } = 1800;

        private IDisposable? _remote;

        protected override IReadOnlyList<object> RunPorts(IDrHost host) => new[] { ControllerPorts.Create(Session, ComputerName, Credential, host, out _remote) };

        /// <summary>The request of the roles-and-services part with this command's services and time limits.</summary>
        protected AppServiceRolesRequest RolesRequest(string secretsFilePath, string? overrideDatabaseServer, string? overrideContentShare) =>
            ControllerPorts.RolesRequest(secretsFilePath, overrideDatabaseServer, overrideContentShare, ServiceName, CommandTimeoutSec, ServiceTimeoutSec, ReadyTimeoutSec);

        /// <summary>Runs the runbook and closes a remote session this command opened.</summary>
        protected void RunOnController<TRequest, TResult>(Engine.Runbooks.Runbook<TRequest, TResult> runbook, Func<TRequest> request)
            where TRequest : class
            where TResult : class
        {
            try
            {
                Run(runbook, request);
            }
            finally
            {
                _remote?.Dispose();
                _remote = null;
            }
        }
    }
}
