using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Framewire.Engines.Internal.Selector;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Benchmarks;

/// <summary>
/// The selector engine's TLS record path, one request and its answer, over a real loopback connection: the client
/// writes a search request as one TLS record; the server side, an <see cref="OpenSslSession"/> on the accepted
/// non-blocking descriptor, waits for the socket to be readable as the loop would, decrypts the request with one
/// recv, encrypts an answer and sends it with one send; the client reads the answer. What one operation allocates is
/// both sides' steady state.
/// </summary>
[MemoryDiagnoser]
public class TlsRecordBenchmarks
{
    private readonly byte[] _request = Inputs.SearchRequest("morpheus");
    private readonly byte[] _answer = new byte[96];
    private readonly byte[] _plaintext = new byte[16 * 1024];
    private readonly byte[] _clientBuffer = new byte[16 * 1024];
    private X509Certificate2? _certificate;
    private Socket? _client;
    private Socket? _server;
    private SslStream? _clientTls;
    private OpenSslContext? _context;
    private OpenSslSession? _serverTls;

    [GlobalSetup]
    public void Setup()
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
        _server.NoDelay = true;
        _server.Blocking = false;

        _context = OpenSslContext.TryCreate(new Engines.TlsServerOptions(_certificate), NullLogger.Instance)
            ?? throw new InvalidOperationException("OpenSSL 3 cannot be driven here.");
        _serverTls = new OpenSslSession(_context, (int)_server.Handle, prefix: null);
        _clientTls = new SslStream(new NetworkStream(_client), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        Task clientHandshake = _clientTls.AuthenticateAsClientAsync("localhost");
        for (int step = _serverTls.Handshake(); step != 1; step = _serverTls.Handshake())
        {
            Wait(step);
        }

        clientHandshake.GetAwaiter().GetResult();
        _answer.AsSpan().Fill((byte)'a');
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientTls?.Dispose();
        _serverTls?.Dispose();
        _context?.Dispose();
        _server?.Dispose();
        _client?.Dispose();
        _certificate?.Dispose();
    }

    [Benchmark]
    public int RequestAndAnswer()
    {
        OpenSslSession server = _serverTls!;
        _clientTls!.Write(_request);
        int received;
        while ((received = server.Read(_plaintext)) <= 0)
        {
            Wait(received);
        }

        for (int sent = 0; sent < _answer.Length;)
        {
            int written = server.Write(_answer.AsSpan(sent));
            if (written > 0)
            {
                sent += written;
                continue;
            }

            Wait(written);
        }

        // The record buffers stay between messages, as on a busy connection; the loop frees them once it is quiet.
        int answered = 0;
        while (answered < _answer.Length)
        {
            answered += _clientTls.Read(_clientBuffer);
        }

        return received + answered;
    }

    /// <summary>What the loop does when OpenSSL must wait: watches the socket for what it asked.</summary>
    private void Wait(int outcome)
    {
        switch (outcome)
        {
            case OpenSslSession.WantRead:
                _server!.Poll(-1, SelectMode.SelectRead);
                break;
            case OpenSslSession.WantWrite:
                _server!.Poll(-1, SelectMode.SelectWrite);
                break;
            default:
                throw new IOException("The benchmark's TLS failed: " + _serverTls!.Failure);
        }
    }
}
