using System.CommandLine;
using System.Security.Cryptography;
using Framewire.Client;

namespace Framewire.Cli.Commands;

/// <summary>What a client command was told about TLS: <c>--tls</c>, <c>--tls-ca</c>, <c>--tls-client-cert</c>, <c>--tls-client-key</c>.</summary>
internal sealed record ClientTls(bool Enabled, string? CaPath, string? CertificatePath, string? KeyPath)
{
    public static ClientTls None { get; } = new(false, null, null, null);

    /// <summary>The client commands' options, built fresh for each command, and a reader of their values.</summary>
    public static (Option[] Options, Func<ParseResult, ClientTls> Read) CreateOptions()
    {
        Option<bool> tls = new("--tls") { Description = "Connect with TLS (implied by the other --tls options); bench shakes hands while connecting, before the clock starts, except in oneshot runs, where every request does" };
        Option<FileInfo?> ca = new("--tls-ca") { Description = "Trust only server certificates issued by this PEM CA, instead of the system's roots", HelpName = "FILE" };
        Option<FileInfo?> certificate = new("--tls-client-cert") { Description = "Present this PEM client certificate (mutual TLS), with --tls-client-key", HelpName = "FILE" };
        Option<FileInfo?> key = new("--tls-client-key") { Description = "The PEM private key of --tls-client-cert", HelpName = "FILE" };
        return (
            [tls, ca, certificate, key],
            result =>
            {
                string? caPath = result.GetValue(ca)?.FullName;
                string? certificatePath = result.GetValue(certificate)?.FullName;
                string? keyPath = result.GetValue(key)?.FullName;
                bool enabled = result.GetValue(tls) || caPath is not null || certificatePath is not null || keyPath is not null;
                return new ClientTls(enabled, caPath, certificatePath, keyPath);
            });
    }

    /// <summary>The client's TLS options, or null for plain TCP.</summary>
    /// <exception cref="ArgumentException">The settings do not go together, or a file is unusable.</exception>
    public TlsClientOptions? Load()
    {
        if (!Enabled)
        {
            return null;
        }

        if (CertificatePath is null != KeyPath is null)
        {
            throw new ArgumentException("--tls-client-cert and --tls-client-key go together.");
        }

        try
        {
            return TlsClientOptions.FromPemFiles(CaPath, CertificatePath, KeyPath);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException or InvalidDataException)
        {
            throw new ArgumentException($"cannot load the TLS files: {e.Message}", e);
        }
    }
}
