using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Framewire.Engines;
using Framewire.Engines.Internal.Selector;
using Framewire.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Tests.Engines;

/// <summary>
/// The selector engine's OpenSSL session on a real loopback connection, below the connection: how it tells a clean end
/// of the stream from one inside a record (the BIO's end-of-stream flag), and that its record buffers go back when
/// nothing is in flight and come again for the next record.
/// </summary>
public sealed class TlsOpenSslSessionTests : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly Socket _client;
    private readonly Socket _server;
    private readonly CapturingStream _capture;
    private readonly SslStream _clientTls;
    private readonly OpenSslContext _context;
    private readonly OpenSslSession _session;

    public TlsOpenSslSessionTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(listener.LocalEndPoint!);
        _server = listener.Accept();
        _server.Blocking = false;
        _capture = new CapturingStream(new NetworkStream(_client));
        _clientTls = new SslStream(_capture, leaveInnerStreamOpen: false, (_, _, _, _) => true);

        // The selector engine's hosts (Linux) have OpenSSL 3, which the runtime itself needs for SslStream.
        _context = OpenSslContext.TryCreate(new TlsServerOptions(_certificate), NullLogger.Instance)
            ?? throw new InvalidOperationException("OpenSSL 3 cannot be driven here.");
        _session = new OpenSslSession(_context, (int)_server.Handle, prefix: null);
        Task handshake = _clientTls.AuthenticateAsClientAsync("localhost");
        for (int step = _session.Handshake(); step != 1; step = _session.Handshake())
        {
            Wait(step);
        }

        handshake.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _clientTls.Dispose();
        _session.Dispose();
        _context.Dispose();
        _server.Dispose();
        _client.Dispose();
        _certificate.Dispose();
    }

    [Fact]
    public void EndOfStreamAfterWholeRecords_Closed()
    {
        _clientTls.Write("request"u8);
        _client.Shutdown(SocketShutdown.Send);

        Assert.Equal(7, ReadUntilDone(out int end));
        Assert.Equal(OpenSslSession.Closed, end);
    }

    [Fact]
    public void EndOfStreamInsideRecord_Failed()
    {
        _capture.Hold = true;
        _clientTls.Write("request"u8);
        byte[] record = _capture.TakeHeld();
        _client.Send(record.AsSpan(0, record.Length / 2));
        _client.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, ReadUntilDone(out int end));
        Assert.Equal(OpenSslSession.Failed, end);
        Assert.Contains("inside a record", _session.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void BuffersReleasedWhileNothingInFlight_NextRecordsServed()
    {
        for (int round = 0; round < 3; round++)
        {
            _clientTls.Write("request"u8);
            byte[] plaintext = new byte[64];
            int received;
            while ((received = _session.Read(plaintext)) <= 0)
            {
                Wait(received);
            }

            Assert.Equal("request"u8.ToArray(), plaintext.AsSpan(0, received).ToArray());
            Assert.Equal(6, _session.Write("answer"u8));
            Assert.True(_session.ReleaseBuffers(), "OpenSSL kept its record buffers with nothing in flight");

            byte[] answer = new byte[64];
            Assert.Equal(6, _clientTls.Read(answer));
        }
    }

    /// <summary>Reads until the session ends: the plaintext count, and how it ended.</summary>
    private int ReadUntilDone(out int end)
    {
        byte[] plaintext = new byte[64];
        int total = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!deadline.IsCancellationRequested)
        {
            int outcome = _session.Read(plaintext.AsSpan(total));
            if (outcome > 0)
            {
                total += outcome;
            }
            else if (outcome is OpenSslSession.WantRead or OpenSslSession.WantWrite)
            {
                Wait(outcome);
            }
            else
            {
                end = outcome;
                return total;
            }
        }

        throw new TimeoutException("The session neither ended nor failed.");
    }

    private void Wait(int outcome)
    {
        bool ready = outcome switch
        {
            OpenSslSession.WantRead => _server.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectRead),
            OpenSslSession.WantWrite => _server.Poll(TimeSpan.FromSeconds(10), SelectMode.SelectWrite),
            _ => throw new IOException("The session failed: " + _session.Failure),
        };
        Assert.True(ready, "the socket did not become ready");
    }
}
