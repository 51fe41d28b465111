using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using AppServiceDr.Engine.Drills;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Proves the template a region rebuild deploys: validates it, runs what-if, deploys it into a new drill resource
    /// group, checks that every declared resource exists, and deletes the group again, reporting each duration.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "ArmTemplateDeployment", DefaultParameterSetName = TemplateFileSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(DrillTestResult))]
    public sealed class TestArmTemplateDeploymentCommand : AzureRunbookCmdlet
    {
        private const string TemplateFileSet = "TemplateFile";
        private const string TemplateUriSet = "TemplateUri";

        [Parameter(Mandatory = true, ParameterSetName = TemplateFileSet)]
        [Parameter(Mandatory = true, ParameterSetName = TemplateUriSet)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; } = "";

        /// <summary>The region to deploy the drill into (the recovery region).</summary>
        [Parameter(Mandatory = true, ParameterSetName = TemplateFileSet)]
        [Parameter(Mandatory = true, ParameterSetName = TemplateUriSet)]
        [ValidateNotNullOrEmpty]
        public string Location { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = TemplateFileSet, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? TemplateFile { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = TemplateUriSet)]
        [ValidateNotNull]
        public Uri? TemplateUri { get; set; }

        [Parameter(ParameterSetName = TemplateFileSet)]
        [Parameter(ParameterSetName = TemplateUriSet)]
        [ValidateNotNullOrEmpty]
        public string? TemplateParameterFile { get; set; }

        /// <summary>Template parameter values; SecureString values are never journaled and must be given again with -Resume.</summary>
        [Parameter]
        [ValidateNotNull]
        public Hashtable? TemplateParameter { get; set; }

        /// <summary>The drill resource group (it must contain "drill" and must not exist). Default: appservicedr-drill-&lt;UTC time&gt;.</summary>
        [Parameter(ParameterSetName = TemplateFileSet)]
        [Parameter(ParameterSetName = TemplateUriSet)]
        [ValidateNotNullOrEmpty]
        public string? DrillResourceGroupName { get; set; }

        /// <summary>Minutes each deployment and the cleanup may take.</summary>
        [Parameter(ParameterSetName = TemplateFileSet)]
        [Parameter(ParameterSetName = TemplateUriSet)]
        [ValidateRange(1, 10080)]
        public int TimeoutMinutes { get; set; } = 60;

        protected override System.Collections.Generic.IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new System.Collections.Generic.Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
            {
                ["TemplateParameter"] = TemplateParameter?.Cast<DictionaryEntry>().Where(e => e.Value is System.Security.SecureString)
                    .ToDictionary(e => e.Key.ToString()!, e => (System.Security.SecureString)e.Value!, StringComparer.OrdinalIgnoreCase),
            };

        protected override void EndProcessing() =>
            Run(new ArmTemplateDrillRunbook(), () => new ArmTemplateDrillRequest
            {
                SubscriptionId = SubscriptionId,
                Location = Location,
                TemplateFile = TemplateFile == null ? null : ResolvePath(TemplateFile),
                TemplateUri = TemplateUri,
                TemplateParameterFile = TemplateParameterFile == null ? null : ResolvePath(TemplateParameterFile),
                DrillResourceGroupName = DrillResourceGroupName,
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
            }.WithParameters((TemplateParameter ?? new Hashtable()).Cast<DictionaryEntry>()
                .Select(e => new System.Collections.Generic.KeyValuePair<string, object?>(e.Key.ToString()!, e.Value is PSObject o ? o.BaseObject : e.Value))));
    }
}
