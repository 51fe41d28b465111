using System;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AppServiceDr.Fabric.Core;

/// <summary>The fabric's self-signed server certificate, made fresh at every start.</summary>
internal static class FabricCertificate
{
    public static X509Certificate2 Create(string dnsSuffix, params string[] moreSuffixes)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsSuffix, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName(dnsSuffix);
        names.AddDnsName("*." + dnsSuffix);
        names.AddDnsName("*.vault." + dnsSuffix);
        names.AddDnsName("*.web." + dnsSuffix);
        foreach (var more in moreSuffixes)
        {
            names.AddDnsName("*." + more);
            names.AddDnsName("*.vault." + more);
            names.AddDnsName("*.web." + more);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
        // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
