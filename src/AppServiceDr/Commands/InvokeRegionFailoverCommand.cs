using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Moves the application to another region when its region is down: with the high-availability setup in
    /// place, switches the SQL failover group, optionally the storage account, the secondary app (restarted
    /// until healthy) and the Traffic Manager priority; without it, rebuilds the application from its template
    /// and the latest geo-backup. Either way one journaled, resumable runbook.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "RegionFailover", DefaultParameterSetName = FailoverGroupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(RegionFailoverResult))]
    public sealed class InvokeRegionFailoverCommand : AppRestartCmdlet
    {
        private const string FailoverGroupSet = "FailoverGroup";
        private const string RebuildSet = "Rebuild";

        [Parameter(Mandatory = true, ParameterSetName = FailoverGroupSet)]
        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the secondary SQL server (and the default for the other resources).</summary>
        [Parameter(Mandatory = true, ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The secondary SQL server of the failover group: the one that becomes primary.</summary>
        [Parameter(Mandatory = true, ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? ServerName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? FailoverGroupName { get; set; }

        /// <summary>Force the failover (forceFailoverAllowDataLoss) when the primary cannot be reached; asks first unless -Force.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        public SwitchParameter AllowDataLoss { get; set; }

        /// <summary>With -AllowDataLoss: try the planned failover first and force only when it fails.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        public SwitchParameter TryPlannedBeforeForcedFailover { get; set; }

        /// <summary>A geo-redundant storage account to fail over as well.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? StorageAccountName { get; set; }

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? StorageAccountResourceGroupName { get; set; }

        /// <summary>A Traffic Manager profile (priority routing) in front of both apps.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? TrafficManagerProfileName { get; set; }

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? TrafficManagerResourceGroupName { get; set; }

        /// <summary>The endpoint to make active. Default: the one targeting -WebAppName.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? TrafficManagerEndpointName { get; set; }

        /// <summary>The app in the secondary region (or the one the template creates), restarted and verified at the end.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppResourceGroupName { get; set; }

        /// <summary>Minutes one operation (failover, deployment, restore) may take.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateRange(1, 1440)]
        public int TimeoutMinutes { get; set; } = 60;

        // ---- rebuild without a replica ----

        /// <summary>Resource group of the lost SQL server, whose geo-backup is restored.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? SourceResourceGroupName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? SourceServerName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? DatabaseName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetResourceGroupName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetLocation { get; set; }

        /// <summary>The SQL server the template creates; the database is restored into it.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetServerName { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNull]
        public Uri? TemplateUri { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? TemplateFile { get; set; }

        /// <summary>Template parameters; SecureString values are never journaled (give them again with -Resume).</summary>
        [Parameter(ParameterSetName = RebuildSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNull]
        public Hashtable? TemplateParameter { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? TemplateParameterFile { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string DeploymentName { get; set; } = "appservicedr-rebuild";

        /// <summary>Entra application (appId) of the SPA whose redirect URIs get the new URL.</summary>
        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? SpaApplicationId { get; set; }

        /// <summary>Entra application (appId) whose web redirect URIs get the new URL too.</summary>
        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? WebApplicationId { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string RedirectPath { get; set; } = "/";

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? DnsZoneName { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? DnsZoneResourceGroupName { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateNotNullOrEmpty]
        public string? DnsRecordName { get; set; }

        [Parameter(ParameterSetName = RebuildSet)]
        [ValidateRange(1, 604800)]
        public int DnsTtl { get; set; } = 300;

        /// <summary>Do not ask before a failover that can lose data.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipDataLossPrompt => Force;

        protected override bool MayAskDataLossQuestion => !Force && (AllowDataLoss || StorageAccountName != null || IsResume);

        /// <summary>The path the parameters choose; with -Resume, the engine takes the runbook from the run's journal.</summary>
        protected override void EndProcessing()
        {
            if (ParameterSetName == RebuildSet) Run(new RegionRebuildRunbook(), RebuildRequest);
            else Run(new RegionFailoverRunbook(), FailoverRequest);
        }

        /// <summary>A rebuild run is resumed with its secure template parameters given again.</summary>
        protected override IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["TemplateParameter"] = new RegionRebuildRequest().WithParameters(Parameters()).SecureTemplateParameters };

        private RegionFailoverRequest FailoverRequest() => new RegionFailoverRequest
        {
            SubscriptionId = SubscriptionId!,
            ResourceGroupName = ResourceGroupName!,
            ServerName = ServerName!,
            FailoverGroupName = FailoverGroupName!,
            AllowDataLoss = AllowDataLoss,
            TryPlannedBeforeForcedFailover = TryPlannedBeforeForcedFailover,
            StorageAccountName = StorageAccountName,
            StorageAccountResourceGroupName = StorageAccountResourceGroupName,
            TrafficManagerProfileName = TrafficManagerProfileName,
            TrafficManagerResourceGroupName = TrafficManagerResourceGroupName,
            TrafficManagerEndpointName = TrafficManagerEndpointName,
            Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
            SecondaryApp = RestartTarget(SubscriptionId, WebAppResourceGroupName ?? ResourceGroupName, WebAppName),
        };

        private RegionRebuildRequest RebuildRequest() => new RegionRebuildRequest
        {
            SubscriptionId = SubscriptionId!,
            SourceResourceGroupName = SourceResourceGroupName!,
            SourceServerName = SourceServerName!,
            DatabaseName = DatabaseName!,
            TargetResourceGroupName = TargetResourceGroupName!,
            TargetLocation = TargetLocation!,
            TargetServerName = TargetServerName!,
            TemplateUri = TemplateUri,
            // Paths belong to the session: resolved here, on the pipeline thread, never by the engine's workers.
            TemplateFile = TemplateFile == null ? null : ResolvePath(TemplateFile),
            TemplateParameterFile = TemplateParameterFile == null ? null : ResolvePath(TemplateParameterFile),
            DeploymentName = DeploymentName,
            App = RestartTarget(SubscriptionId, TargetResourceGroupName, WebAppName)!,
            SpaApplicationId = SpaApplicationId,
            WebApplicationId = WebApplicationId,
            RedirectPath = RedirectPath,
            DnsZoneName = DnsZoneName,
            DnsZoneResourceGroupName = DnsZoneResourceGroupName,
            DnsRecordName = DnsRecordName,
            DnsTtl = DnsTtl,
            Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
        }.WithParameters(Parameters());

        private IEnumerable<KeyValuePair<string, object?>> Parameters() =>
            (TemplateParameter ?? new Hashtable()).Cast<DictionaryEntry>()
                .Select(e => new KeyValuePair<string, object?>(e.Key.ToString()!, e.Value is PSObject wrapped ? wrapped.BaseObject : e.Value));
    }
}
