using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Triage;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Walks seed 004's decision tree with probes (HTTP to the app, the Key Vault reference status of its settings, a
    /// verify query or an answer on the data, resource health, the region's service issues) and returns the scenario,
    /// the evidence of each branch, and the recovery command to run with the names filled in. Changes nothing.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DrTriage", DefaultParameterSetName = TriageSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(TriageResult))]
    public sealed class InvokeDrTriageCommand : AzureRunbookCmdlet
    {
        private const string TriageSet = "Triage";

        /// <summary>Subscription of the app.</summary>
        [Parameter(Mandatory = true, ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the app and the resources it uses.</summary>
        [Parameter(Mandatory = true, ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The App Service app.</summary>
        [Parameter(Mandatory = true, ParameterSetName = TriageSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        /// <summary>The path requested on the app to tell whether it is accessible. Default /.</summary>
        [Parameter(ParameterSetName = TriageSet)]
        [ValidateNotNullOrEmpty]
        public string HealthPath { get; set; } = "/";

        /// <summary>Status codes that count as accessible. Default 200.</summary>
        [Parameter(ParameterSetName = TriageSet)]
        [ValidateRange(100, 599)]
        public int[] HealthyStatusCode { get; set; } = { 200 };

        /// <summary>The app's SQL server.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? ServerName { get; set; }

        /// <summary>The app's database.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? DatabaseName { get; set; }

        /// <summary>The app's storage account.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? StorageAccountName { get; set; }

        /// <summary>The app's Key Vault.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? VaultName { get; set; }

        /// <summary>The vault's URI, used in the printed command (Azure Stack Hub and other clouds).</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public Uri? VaultUri { get; set; }

        /// <summary>The failover group, for the region failover command.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? FailoverGroupName { get; set; }

        /// <summary>The failover group's partner server in the other region.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? PartnerServerName { get; set; }

        /// <summary>Resource group of the partner server.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? PartnerResourceGroupName { get; set; }

        /// <summary>The standby app in the other region.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? SecondaryWebAppName { get; set; }

        /// <summary>Resource group of the standby app.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? SecondaryResourceGroupName { get; set; }

        /// <summary>The Traffic Manager profile in front of both apps.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? TrafficManagerProfileName { get; set; }

        /// <summary>The release known to be good (the emergency record's), for a rollback.</summary>
        [Parameter(ParameterSetName = TriageSet, ValueFromPipelineByPropertyName = true)]
        public string? PackageVersion { get; set; }

        /// <summary>A query on the database whose first column says whether the data is correct (not NULL, 0 or false).</summary>
        [Parameter(ParameterSetName = TriageSet)]
        [ValidateNotNullOrEmpty]
        public string? VerifyQuery { get; set; }

        /// <summary>Answers to what cannot be probed: @{ SignIn = $false } or @{ DataCorrect = $false }.</summary>
        [Parameter(ParameterSetName = TriageSet)]
        [ValidateNotNull]
        public Hashtable? Answer { get; set; }

        /// <summary>When the trouble (a deletion) began: the database restore point proposed is a minute before.</summary>
        [Parameter(ParameterSetName = TriageSet)]
        public DateTimeOffset IncidentStart { get; set; }

        protected override void EndProcessing() =>
            Run(new TriageRunbook(), () => new TriageRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                WebAppName = WebAppName!,
                HealthPath = HealthPath,
                HealthyStatusCodes = HealthyStatusCode,
                ServerName = ServerName,
                DatabaseName = DatabaseName,
                StorageAccountName = StorageAccountName,
                VaultName = VaultName,
                VaultUri = VaultUri,
                FailoverGroupName = FailoverGroupName,
                PartnerServerName = PartnerServerName,
                PartnerResourceGroupName = PartnerResourceGroupName,
                SecondaryWebAppName = SecondaryWebAppName,
                SecondaryResourceGroupName = SecondaryResourceGroupName,
                TrafficManagerProfileName = TrafficManagerProfileName,
                PackageVersion = PackageVersion,
                VerifyQuery = VerifyQuery,
                Answers = Answers(),
                IncidentStart = MyInvocation.BoundParameters.ContainsKey(nameof(IncidentStart)) ? IncidentStart : (DateTimeOffset?)null,
                CloudParameters = CloudParameters(),
            });

        private Dictionary<string, bool> Answers()
        {
            var answers = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in Answer ?? new Hashtable())
            {
                var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
                if (value is not bool yes)
                    ThrowTerminatingError(ToErrorRecord(DrException.Precondition("InvalidTriageAnswer", DrErrorCategory.InvalidArgument,
                        $"The answer to '{entry.Key}' must be $true or $false.", Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture))));
                else
                    answers[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture)!] = yes;
            }
            return answers;
        }

        /// <summary>The cloud this triage ran against, repeated in the printed command (sign-in parameters are not).</summary>
        private string? CloudParameters()
        {
            var parts = new List<string>();
            if (Environment != "AzureCloud") parts.Add("-Environment " + Environment);
            if (ResourceManagerEndpoint != null) parts.Add("-ResourceManagerEndpoint " + ResourceManagerEndpoint);
            return parts.Count == 0 ? null : string.Join(" ", parts);
        }
    }
}
