using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer.Standalone
{
    /// <summary>
    /// Standalone entry, for suites that drive the server from another process (Pester):
    /// <c>dotnet AppServiceDr.TdsServer.dll --state DIR [--port N] [--seed FILE.json]</c>. It makes its own
    /// certificate authority and server certificate, listens on 127.0.0.1, writes what a client needs into DIR
    /// (tds.json last) and runs until SIGTERM or Ctrl+C.
    /// </summary>
    public static class Program
    {
        private const string Usage = "usage: AppServiceDr.TdsServer --state DIR [--port N] [--seed FILE.json]";

        public static async Task<int> Main(string[] args)
        {
            string? state = null;
            string? seedPath = null;
            var port = 0;
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--state" when value != null:
                        state = value;
                        break;
                    case "--seed" when value != null:
                        seedPath = value;
                        break;
                    case "--port" when value != null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535:
                        break;
                    default:
                        Console.Error.WriteLine(Usage);
                        return 2;
                }
                i++;
            }
            if (state == null)
            {
                Console.Error.WriteLine(Usage);
                return 2;
            }

            SeedFile seed;
            try
            {
                seed = seedPath == null ? new SeedFile() : SeedFile.Read(seedPath);
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }

            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            using var terminate = OnTerminate(stop);

            var directory = new StateDirectory(state);
            using var authority = SimCertificateAuthority.Create("AppServiceDr TDS Server Root CA");
            using var certificate = authority.IssueServerCertificate("localhost", "127.0.0.1");
            directory.WriteCertificates(authority, certificate);
            using var server = new SimSqlServer(port) { Certificate = certificate };
            try
            {
                seed.ApplyTo(server);
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            var logins = seed.Logins.Select(l => (l.Name!, l.Password!)).ToList();
            if (logins.Count == 0)
            {
                // Nothing declared: one login, with a password made for this run.
                var password = "Tds!" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
                server.AddLogin("sa", password);
                logins.Add(("sa", password));
            }
            directory.Follow(server);
            directory.WriteConnection(server, logins);
            Console.WriteLine("tds listening on " + server.DataSource + "; connection details in " + directory.PathOf(StateDirectory.ConnectionFile));

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl+C
            }
            Console.WriteLine("tds stopping");
            return 0;
        }

        /// <summary>SIGTERM ends the wait instead of the process; null where the system has no such signal.</summary>
        private static PosixSignalRegistration? OnTerminate(CancellationTokenSource stop)
        {
            try
            {
                return PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
                {
                    context.Cancel = true;
                    stop.Cancel();
                });
            }
            catch (PlatformNotSupportedException)
            {
                return null;
            }
        }
    }
}
