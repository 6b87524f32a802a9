using System.Security.Cryptography.X509Certificates;

namespace Framewire.Internal;

/// <summary>Loads certificates and keys from PEM files the same way for the server and the client.</summary>
internal static class PemFiles
{
    /// <summary>The first certificate of <paramref name="certificatePath"/> with the key of <paramref name="keyPath"/>.</summary>
    public static X509Certificate2 LoadCertificateWithKey(string certificatePath, string keyPath)
    {
        X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        // SChannel cannot use the ephemeral key a PEM file loads into; a PKCS#12 round trip gives it a stored one.
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>Every certificate in <paramref name="path"/>; the file must hold at least one.</summary>
    /// <exception cref="InvalidDataException">The file holds no PEM certificate.</exception>
    public static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"{path} holds no PEM certificate.");
        }

        return certificates;
    }
}
