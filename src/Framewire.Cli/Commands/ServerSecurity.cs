using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Security.Cryptography;
using Framewire.Engines;

namespace Framewire.Cli.Commands;

/// <summary>
/// What a server command was told about PROXY headers and TLS: <c>--trusted-proxy</c>, <c>--tls-cert</c>,
/// <c>--tls-key</c>, <c>--tls-client-ca</c>. Files are read when the server is configured, so a bad one is a usage error.
/// </summary>
internal sealed record ServerSecurity(IReadOnlyList<IPNetwork> TrustedProxies, string? CertificatePath, string? KeyPath, string? ClientCaPath)
{
    public static ServerSecurity None { get; } = new([], null, null, null);

    /// <summary>The server commands' options, built fresh for each command, and a reader of their values.</summary>
    public static (Option[] Options, Func<ParseResult, ServerSecurity> Read) CreateOptions()
    {
        Option<IPNetwork[]> trustedProxy = new("--trusted-proxy")
        {
            Description = "A network (CIDR, e.g. 10.0.0.0/8) whose connections must start with a PROXY protocol v1/v2 header; repeatable",
            HelpName = "CIDR",
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseNetworks,
        };
        Option<FileInfo?> certificate = new("--tls-cert") { Description = "Serve TLS with this PEM certificate (chain), with --tls-key", HelpName = "FILE" };
        Option<FileInfo?> key = new("--tls-key") { Description = "The PEM private key of --tls-cert", HelpName = "FILE" };
        Option<FileInfo?> clientCa = new("--tls-client-ca") { Description = "Require client certificates issued by this PEM CA (mutual TLS)", HelpName = "FILE" };
        return (
            [trustedProxy, certificate, key, clientCa],
            result => new ServerSecurity(
                result.GetValue(trustedProxy) ?? [],
                result.GetValue(certificate)?.FullName,
                result.GetValue(key)?.FullName,
                result.GetValue(clientCa)?.FullName));
    }

    /// <summary>Puts these settings on <paramref name="options"/>, reading the certificate files.</summary>
    /// <exception cref="ArgumentException">The settings do not go together, or a file is unusable.</exception>
    public void ApplyTo(MessageServerOptions options)
    {
        foreach (IPNetwork network in TrustedProxies)
        {
            options.TrustedProxies.Add(network);
        }

        if (CertificatePath is null != KeyPath is null)
        {
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        }

        if (CertificatePath is null)
        {
            if (ClientCaPath is not null)
            {
                throw new ArgumentException("--tls-client-ca needs --tls-cert and --tls-key.");
            }

            return;
        }

        try
        {
            options.Tls = TlsServerOptions.FromPemFiles(CertificatePath, KeyPath!, ClientCaPath);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException or InvalidDataException)
        {
            throw new ArgumentException($"cannot load the TLS files: {e.Message}", e);
        }
    }

    private static IPNetwork[] ParseNetworks(ArgumentResult result)
    {
        var networks = new IPNetwork[result.Tokens.Count];
        for (int i = 0; i < networks.Length; i++)
        {
            string text = result.Tokens[i].Value;
            if (!IPNetwork.TryParse(text, out networks[i]))
            {
                result.AddError($"--trusted-proxy must be a network in CIDR notation (such as 10.0.0.0/8, 127.0.0.1/32, fd00::/8), not '{text}'");
            }
            else if (!IPAddress.Parse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal))).Equals(networks[i].BaseAddress))
            {
                // 10.0.0.1/8 is most likely a typo for a single address or for 10.0.0.0/8: trusting a whole network by accident is not harmless.
                result.AddError($"--trusted-proxy '{text}' has bits set after its prefix: write {networks[i]} for the network, or a /32 or /128 for one address");
            }
        }

        return networks;
    }
}
