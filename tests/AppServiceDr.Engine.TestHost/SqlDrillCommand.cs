using AppServiceDr.Testing;
using System;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// <c>sql-drill &lt;stateDir&gt; &lt;fabricPort&gt; &lt;fabricCertFile&gt; &lt;subscription&gt;</c>: runs Test-SqlPointInTimeRestore's
    /// drill against a fabric hosted by the test process, so the test can kill this process while the drill's restore
    /// runs and resume the drill itself.
    /// </summary>
    public sealed class SqlDrillCommand : ITestHostCommand
    {
        public const string DrillDatabase = "AppRequestPortal-drill-crash";

        public string Name => "sql-drill";

        public static SqlPointInTimeDrillRequest Request(string subscription) => new SqlPointInTimeDrillRequest
        {
            SubscriptionId = subscription, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseName = "AppRequestPortal",
            DrillDatabaseName = DrillDatabase, Timeout = TimeSpan.FromSeconds(120),
        };

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            var environment = FailoverRunbookCommand.Environment(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), X509CertificateLoader.LoadCertificateFromFile(args[2]));
            var report = (await new RunbookRunner(new RunStore(args[0])).RunAsync(new SqlPointInTimeDrillRunbook(), Request(args[3]),
                new RunContext(new RecordingHost(), new RunOptions(), environment), cancellationToken)).Report;
            Console.WriteLine(report.RunId + " " + report.Status);
            return report.Status == RunStatus.Succeeded ? 0 : 1;
        }
    }
}
