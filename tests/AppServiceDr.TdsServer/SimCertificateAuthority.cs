using System;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AppServiceDr.TdsServer
{
    /// <summary>
    /// A root certificate authority made in memory, for tests: it issues TLS server certificates whose subject
    /// alternative names are host names or IP addresses. Nothing is written to a certificate store.
    /// </summary>
    public sealed class SimCertificateAuthority : IDisposable
    {
        private readonly X509Certificate2 _root;

        private SimCertificateAuthority(X509Certificate2 root)
        {
            _root = root;
            Certificate = X509CertificateLoader.LoadCertificate(root.RawData);
        }

        /// <summary>The root certificate without its private key: what a client trusts.</summary>
        public X509Certificate2 Certificate { get; }

        /// <summary>A new root, valid from a day ago for ten years.</summary>
        public static SimCertificateAuthority Create(string commonName = "AppServiceDr Test Root CA")
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
            return new SimCertificateAuthority(Reloaded(created));
        }

        /// <summary>A TLS server certificate for <paramref name="names"/> (each an IP address or a DNS name, the first
        /// also the common name), with its private key, signed by this authority.</summary>
        public X509Certificate2 IssueServerCertificate(params string[] names)
        {
            if (names.Length == 0) throw new ArgumentException("A server certificate needs at least one name.", nameof(names));
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=" + names[0], key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in names)
            {
                if (IPAddress.TryParse(name, out var address)) san.AddIpAddress(address);
                else san.AddDnsName(name);
            }
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));
            var serial = new byte[16];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            var now = DateTimeOffset.UtcNow;
            using var issued = request.Create(_root, now.AddDays(-1), now.AddYears(2), serial);
            using var withKey = issued.CopyWithPrivateKey(key);
            return Reloaded(withKey);
        }

        /// <summary>The certificate (public part only) in PEM, as certificate files are usually shared.</summary>
        public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

        /// <summary>Writes the certificate's PEM to <paramref name="path"/> and returns the path.</summary>
        public static string WritePem(X509Certificate2 certificate, string path)
        {
            File.WriteAllText(path, ToPem(certificate));
            return path;
        }

        /// <summary>A round trip through PKCS#12: an ephemeral key is not usable by every platform's TLS (Windows
        /// needs it in a key container), a loaded one is.</summary>
        private static X509Certificate2 Reloaded(X509Certificate2 certificate) =>
            X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);

        public void Dispose()
        {
            _root.Dispose();
            Certificate.Dispose();
        }
    }
}
