using System;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AppService;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Rolls an App Service app back to an earlier run-from-package version: WEBSITE_RUN_FROM_PACKAGE is set to
    /// the earlier package (every other app setting kept), the app is restarted, and the run ends when it answers
    /// healthy.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DeploymentRollback", DefaultParameterSetName = VersionSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PackageRollbackResult))]
    public sealed class InvokeDeploymentRollbackCommand : AppRestartCmdlet
    {
        private const string VersionSet = "Version";
        private const string PackageUriSet = "PackageUri";

        /// <summary>Subscription of the app.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VersionSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = PackageUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the app.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VersionSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = PackageUriSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The App Service app to roll back.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VersionSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = PackageUriSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        /// <summary>The version to go back to: the app's current package URL with its version replaced.</summary>
        [Parameter(Mandatory = true, ParameterSetName = VersionSet, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("PackageVersion")]
        [ValidateNotNullOrEmpty]
        public string? Version { get; set; }

        /// <summary>The full URL of the package to go back to. With -Resume, give it again when it carries a SAS.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PackageUriSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNull]
        public Uri? PackageUri { get; set; }

        protected override void EndProcessing() =>
            Run(new PackageRollbackRunbook(), () => new PackageRollbackRequest
            {
                App = RestartTarget(SubscriptionId, ResourceGroupName, WebAppName)!,
                PackageUri = PackageUri,
                Version = Version,
            });
    }
}
