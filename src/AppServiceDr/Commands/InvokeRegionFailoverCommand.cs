using System;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Moves the application to its secondary region when the primary region is down and the high-availability
    /// setup is in place: the SQL failover group, optionally the storage account, the secondary app (restarted
    /// until healthy) and the Traffic Manager priority, as one journaled, resumable runbook.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "RegionFailover", DefaultParameterSetName = FailoverGroupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(RunReport))]
    public sealed class InvokeRegionFailoverCommand : AzureRunbookCmdlet
    {
        private const string FailoverGroupSet = "FailoverGroup";

        [Parameter(Mandatory = true, ParameterSetName = FailoverGroupSet)]
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

        /// <summary>The app in the secondary region, restarted and verified after the data tier moved.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppName { get; set; }

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string? WebAppResourceGroupName { get; set; }

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateNotNullOrEmpty]
        public string HealthPath { get; set; } = "/";

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateRange(100, 599)]
        public int[] HealthyStatusCode { get; set; } = { 200 };

        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateRange(1, 86400)]
        public int HealthTimeoutSec { get; set; } = 600;

        /// <summary>Minutes one failover operation may take.</summary>
        [Parameter(ParameterSetName = FailoverGroupSet)]
        [ValidateRange(1, 1440)]
        public int TimeoutMinutes { get; set; } = 60;

        /// <summary>Do not ask before a failover that can lose data.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipDataLossPrompt => Force;

        protected override void EndProcessing()
        {
            var redactor = new SecretRedactor();
            var environment = BuildEnvironment();
            Execute(async (journaled, host, token) =>
            {
                if (journaled != null) return RegionFailoverRunbook.ForResume(environment, journaled, redactor);
                var request = new RegionFailoverRequest
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
                    SecondaryApp = WebAppName == null ? null : new WebAppTarget
                    {
                        SubscriptionId = SubscriptionId!,
                        ResourceGroupName = WebAppResourceGroupName ?? ResourceGroupName!,
                        Name = WebAppName,
                        HealthPath = HealthPath,
                        HealthyStatusCodes = HealthyStatusCode,
                        HealthTimeout = TimeSpan.FromSeconds(HealthTimeoutSec),
                    },
                };
                return await RegionFailoverRunbook.CreateAsync(environment, request, redactor, token).ConfigureAwait(false);
            }, redactor);
        }
    }
}
