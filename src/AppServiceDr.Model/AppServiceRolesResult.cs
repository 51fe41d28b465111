using System;

namespace AppServiceDr
{
    /// <summary>Invoke-AppServiceRoleRecovery: what the run did on the App Service controller. Never carries the
    /// secrets file's content.</summary>
    public sealed class AppServiceRolesResult
    {
        /// <summary>Where the commands ran ("localhost" on the controller VM itself).</summary>
        public string ComputerName { get; set; } = "";
        public string SecretsFilePath { get; set; } = "";
        /// <summary>The services stopped and started again (those that exist on the controller).</summary>
        public string[] Services { get; set; } = Array.Empty<string>();
        public bool StampRestored { get; set; }
        public bool RolesRestored { get; set; }
        /// <summary>True when the services were running again at the end of the run.</summary>
        public bool ServicesRunning { get; set; }
        public bool ManagementServerReady { get; set; }
        /// <summary>True when the sites and the server farms were synchronized.</summary>
        public bool Synchronized { get; set; }
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
