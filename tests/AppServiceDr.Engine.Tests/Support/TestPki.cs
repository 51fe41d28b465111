using System;
using System.IO;
using System.Security.Cryptography.X509Certificates;
using AppServiceDr.TdsServer;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>
    /// The certificates every SQL test uses, made once per test run: a root authority of the tests' own, the TDS
    /// server's certificate it issued for 127.0.0.1 and localhost, and PEM files of both for clients to trust.
    /// Nothing goes into a certificate store; the files are removed when the run ends.
    /// </summary>
    public static class TestPki
    {
        private static readonly Lazy<Issued> Made = new Lazy<Issued>(() => new Issued());

        /// <summary>The tests' root authority.</summary>
        public static SimCertificateAuthority Authority => Made.Value.Authority;

        /// <summary>The server certificate for 127.0.0.1 and localhost, with its private key.</summary>
        public static X509Certificate2 ServerCertificate => Made.Value.Server;

        /// <summary>PEM file of <see cref="ServerCertificate"/>: what a client pins (SqlClient's ServerCertificate).</summary>
        public static string ServerCertificateFile => Made.Value.ServerFile;

        /// <summary>PEM file of the root authority.</summary>
        public static string AuthorityFile => Made.Value.AuthorityFile;

        private sealed class Issued
        {
            public Issued()
            {
                Authority = SimCertificateAuthority.Create();
                Server = Authority.IssueServerCertificate("localhost", "127.0.0.1");
                var folder = Path.Combine(Path.GetTempPath(), "dr-pki-" + Guid.NewGuid().ToString("N").Substring(0, 12));
                Directory.CreateDirectory(folder);
                ServerFile = SimCertificateAuthority.WritePem(Server, Path.Combine(folder, "tds-server.cer"));
                AuthorityFile = SimCertificateAuthority.WritePem(Authority.Certificate, Path.Combine(folder, "tds-ca.cer"));
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                };
            }

            public SimCertificateAuthority Authority { get; }
            public X509Certificate2 Server { get; }
            public string ServerFile { get; }
            public string AuthorityFile { get; }
        }
    }
}
