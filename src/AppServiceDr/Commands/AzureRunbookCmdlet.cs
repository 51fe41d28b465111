using System;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Commands
{
    /// <summary>Runbook cmdlets that talk to Azure: which cloud, and how to sign in.</summary>
    public abstract class AzureRunbookCmdlet : RunbookCmdlet
    {
        /// <summary>The Azure cloud. Default AzureCloud.</summary>
        [Parameter]
        [ValidateSet("AzureCloud", "AzureUSGovernment", "AzureChinaCloud")]
        public string Environment { get; set; } = "AzureCloud";

        /// <summary>Resource Manager endpoint of a cloud not in -Environment (Azure Stack Hub).</summary>
        [Parameter]
        public Uri? ResourceManagerEndpoint { get; set; }

        /// <summary>Tenant to sign in to.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? TenantId { get; set; }

        /// <summary>A bearer token (for example from Get-AzAccessToken -AsSecureString) used instead of signing in.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? AccessToken { get; set; }

        /// <summary>Sign in with the managed identity of the machine (scheduled runs).</summary>
        [Parameter]
        public SwitchParameter UseManagedIdentity { get; set; }

        /// <summary>Client id of a user-assigned managed identity.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ManagedIdentityClientId { get; set; }

        /// <summary>The api-versions the cloud serves: latest (public Azure and the sovereign clouds), or an Azure Stack Hub
        /// profile (2020-09-01-hybrid, 2019-03-01-hybrid), which reads the stamp's sign-in endpoints from
        /// -ResourceManagerEndpoint.</summary>
        [Parameter]
        [ValidateSet("Latest", "2020-09-01-hybrid", "2019-03-01-hybrid")]
        public string? ApiProfile { get; set; }

        /// <summary>SHA-256 of one server certificate to trust besides the normal chain (Azure Stack Hub with a private CA).</summary>
        [Parameter]
        [ValidatePattern("^([0-9A-Fa-f]{2}:?){32}$")]
        public string? TrustedCertificateSha256 { get; set; }

        protected override DrEnvironment? RunEnvironment() => BuildEnvironment();

        protected DrEnvironment BuildEnvironment()
        {
            try
            {
                return NewEnvironment();
            }
            catch (DrException ex)
            {
                ThrowTerminatingError(ToErrorRecord(ex));
                throw;
            }
        }

        private DrEnvironment NewEnvironment()
        {
            DrCredential credential;
            if (AccessToken != null)
                credential = DrCredential.FromAccessToken(AccessToken);
            else if (UseManagedIdentity || ManagedIdentityClientId != null)
                credential = DrCredential.ManagedIdentity(ManagedIdentityClientId);
            else
                credential = DrCredential.Default(TenantId);
            return DrEnvironment.Create(Environment, ResourceManagerEndpoint, TrustedCertificateSha256, credential, ApiProfile);
        }
    }

    /// <summary>Runbook cmdlets that end by restarting an App Service app and waiting until it answers healthy: the
    /// health parameters are declared here once, for every such cmdlet.</summary>
    public abstract class AppRestartCmdlet : AzureRunbookCmdlet
    {
        /// <summary>Path probed on the app's host name. Default /.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string HealthPath { get; set; } = "/";

        /// <summary>Status codes that count as healthy. Default 200.</summary>
        [Parameter]
        [ValidateRange(100, 599)]
        public int[] HealthyStatusCode { get; set; } = { 200 };

        /// <summary>Seconds to wait for the app to answer healthy.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int HealthTimeoutSec { get; set; } = 600;

        /// <summary>The app to restart, with this command's health settings; null when no app is named. An app needs
        /// its subscription and resource group.</summary>
        protected WebAppTarget? RestartTarget(string? subscriptionId, string? resourceGroupName, string? webAppName)
        {
            if (webAppName == null)
            {
                NoAppToRestart();
                return null;
            }
            if (subscriptionId == null || resourceGroupName == null)
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("WebAppNeedsResourceGroup", DrErrorCategory.InvalidArgument,
                    "-WebAppName needs -SubscriptionId and -ResourceGroupName.", webAppName)));
            return new WebAppTarget
            {
                SubscriptionId = subscriptionId!,
                ResourceGroupName = resourceGroupName!,
                Name = webAppName,
                HealthPath = HealthPath,
                HealthyStatusCodes = HealthyStatusCode,
                HealthTimeout = TimeSpan.FromSeconds(HealthTimeoutSec),
            };
        }

        /// <summary>Refuses health parameters for a run that restarts no app: given for nothing, they would be
        /// silently ignored.</summary>
        protected void NoAppToRestart()
        {
            if (HealthGiven)
                ThrowTerminatingError(ToErrorRecord(DrException.Precondition("HealthCheckWithoutApp", DrErrorCategory.InvalidArgument,
                    "-HealthPath, -HealthyStatusCode and -HealthTimeoutSec judge the app this run restarts; name it with -WebAppName.", "HealthPath")));
        }

        private bool HealthGiven =>
            MyInvocation.BoundParameters.ContainsKey(nameof(HealthPath)) || MyInvocation.BoundParameters.ContainsKey(nameof(HealthyStatusCode))
            || MyInvocation.BoundParameters.ContainsKey(nameof(HealthTimeoutSec));

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (IsResume && HealthGiven)
                WriteWarning("A resumed run checks the app's health as it was started to; -HealthPath, -HealthyStatusCode and -HealthTimeoutSec apply to new runs.");
        }
    }
}
