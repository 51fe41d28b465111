using System;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Azure;

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

        /// <summary>SHA-256 of one server certificate to trust besides the normal chain (Azure Stack Hub with a private CA).</summary>
        [Parameter]
        [ValidatePattern("^([0-9A-Fa-f]{2}:?){32}$")]
        public string? TrustedCertificateSha256 { get; set; }

        protected DrEnvironment BuildEnvironment()
        {
            DrCredential credential;
            if (AccessToken != null)
                credential = DrCredential.FromAccessToken(AccessToken);
            else if (UseManagedIdentity || ManagedIdentityClientId != null)
                credential = DrCredential.ManagedIdentity(ManagedIdentityClientId);
            else
                credential = DrCredential.Default(TenantId);
            return DrEnvironment.Create(Environment, ResourceManagerEndpoint, TrustedCertificateSha256, credential);
        }
    }
}
