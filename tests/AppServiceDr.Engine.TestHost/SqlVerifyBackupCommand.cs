using AppServiceDr.Testing;
using System;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// <c>sql-verify-backup &lt;server&gt; &lt;backupFile&gt;</c>, with the SQL login in DR_SQL_USER and DR_SQL_PASSWORD:
    /// verifies one backup through the restore engine with its default connection settings (encrypted, the server's
    /// certificate validated by the system, nothing pinned) and prints <c>RESULT &lt;action&gt; &lt;error id&gt; &lt;category&gt;</c>.
    /// Which authorities the system trusts is up to the process environment (SSL_CERT_FILE on Linux).
    /// </summary>
    public sealed class SqlVerifyBackupCommand : ITestHostCommand
    {
        public string Name => "sql-verify-backup";

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            if (args.Length != 2)
            {
                Console.Error.WriteLine("usage: sql-verify-backup <server> <backupFile>  (login in DR_SQL_USER, DR_SQL_PASSWORD)");
                return 2;
            }
            using var password = new SecureString();
            foreach (var c in Environment.GetEnvironmentVariable("DR_SQL_PASSWORD") ?? string.Empty) password.AppendChar(c);
            password.MakeReadOnly();
            var request = new SqlRestoreRequest
            {
                Server = new SqlServerConnectionInfo
                {
                    ServerInstance = args[0],
                    Authentication = SqlAuthenticationKind.SqlLogin,
                    UserName = Environment.GetEnvironmentVariable("DR_SQL_USER"),
                    Password = password,
                    ConnectTimeoutSeconds = 30,
                },
                BackupFile = args[1],
                VerifyOnly = true,
            };
            var state = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sql-verify-" + Guid.NewGuid().ToString("N"));
            try
            {
                var outcome = await new RunbookRunner(new RunStore(state)).RunAsync(new SqlRestoreRunbook(), request,
                    new RunContext(new RecordingHost()), cancellationToken).ConfigureAwait(false);
                var result = outcome.TypedResults.Single();
                var step = outcome.Report.Steps.Single();
                Console.WriteLine("RESULT " + result.Action + " " + (result.ErrorId ?? "-") + " " + (step.ErrorCategory?.ToString() ?? "-"));
                if (result.Error != null) Console.WriteLine(result.Error);
                return result.Error == null ? 0 : 1;
            }
            catch (DrException ex)
            {
                Console.WriteLine("RESULT Failed " + ex.ErrorId + " " + ex.Category);
                Console.WriteLine(ex.Message);
                return 1;
            }
            finally
            {
                if (System.IO.Directory.Exists(state)) System.IO.Directory.Delete(state, true);
            }
        }
    }
}
