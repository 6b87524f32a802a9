using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Async;

/// <summary>The async connection's first steps: the PROXY header from a trusted proxy and the TLS handshake, within the handshake timeout.</summary>
internal sealed partial class AsyncConnection
{
    private async Task<(SslStream? Tls, ConnectionClose? Refusal)> EstablishAsync()
    {
        if (!_proxyRequired && _services.Tls is null)
        {
            return (null, null);
        }

        using var timeout = new CancellationTokenSource(_services.HandshakeTimeout);
        SslStream? tls = null;
        bool proxyStep = _proxyRequired;
        try
        {
            byte[] following = [];
            if (_proxyRequired)
            {
                ProxyHeaderRead read = await ProxyHeaderReader.ReadAsync(_socket, _waitForData, timeout.Token).ConfigureAwait(false);
                if (read.Error is not null)
                {
                    return (null, ConnectionServices.ProxyHeaderRefused(read.Error));
                }

                _info = _services.AfterProxyHeader(_info, read.Header);
                following = read.FollowingBytes;
                proxyStep = false;
            }

            if (_services.Tls is null)
            {
                if (following.Length > 0)
                {
                    // Well under the pipe's pause threshold, so the flush completes without a reader.
                    await _input.Writer.WriteAsync(following).ConfigureAwait(false);
                }

                return (null, null);
            }

            _stream = new NetworkStream(_socket, ownsSocket: false);
            tls = new SslStream(following.Length > 0 ? new PrefixedStream(following, _stream) : _stream, leaveInnerStreamOpen: true);
            await tls.AuthenticateAsServerAsync(_services.Tls, timeout.Token).ConfigureAwait(false);
            if (_services.Log.IsEnabled(LogLevel.Debug))
            {
                ServerLog.TlsEstablished(_services.Log, _info.Id, tls.SslProtocol.ToString(), tls.NegotiatedCipherSuite.ToString());
            }

            return (tls, null);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            if (tls is not null)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }

            bool late = timeout.IsCancellationRequested;
            return (null, proxyStep
                ? ConnectionServices.ProxyHeaderRefused(late ? _services.HandshakeLate("PROXY header") : "PROXY header failed: " + e.Message)
                : new ConnectionClose(CloseReason.HandshakeFailed, late ? _services.HandshakeLate("TLS handshake") : "TLS handshake failed: " + e.Message));
        }
    }
}
