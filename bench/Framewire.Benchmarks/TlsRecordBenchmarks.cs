using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Framewire.Engines.Internal.Selector;

namespace Framewire.Benchmarks;

/// <summary>
/// The selector engine's TLS record path, one request and its answer, over a real loopback connection: the client
/// writes a search request as one TLS record; the server side, an <see cref="SslStream"/> over <see cref="LoopTls"/>
/// on the accepted non-blocking descriptor, waits with a zero-byte read, is completed as the loop completes it when
/// the socket is readable, reads the plaintext, encrypts an answer into its ciphertext buffer and sends it; the
/// client reads the answer. What one operation allocates is both sides' steady state.
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
    private LoopTls? _serverTls;

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

        _serverTls = new LoopTls((int)_server.Handle, prefix: null);
        _clientTls = new SslStream(new NetworkStream(_client), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        Task clientHandshake = _clientTls.AuthenticateAsClientAsync("localhost");
        Task serverHandshake = _serverTls.Ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate });
        while (!serverHandshake.IsCompleted || !clientHandshake.IsCompleted)
        {
            Pump();
        }

        serverHandshake.GetAwaiter().GetResult();
        clientHandshake.GetAwaiter().GetResult();
        Pump();
        _answer.AsSpan().Fill((byte)'a');
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _clientTls?.Dispose();
        _serverTls?.Dispose();
        _server?.Dispose();
        _client?.Dispose();
        _certificate?.Dispose();
    }

    [Benchmark]
    public int RequestAndAnswer()
    {
        LoopTls server = _serverTls!;
        ValueTask<int> wait = server.Ssl.ReadAsync(Memory<byte>.Empty);
        _clientTls!.Write(_request);
        Complete(wait);

        ValueTask<int> read = server.Ssl.ReadAsync(_plaintext);
        int received = Complete(read);
        server.Ssl.Write(_answer);
        Send(server);

        int answered = 0;
        while (answered < _answer.Length)
        {
            answered += _clientTls.Read(_clientBuffer);
        }

        return received + answered;
    }

    /// <summary>What the loop does for a waiting read: lets it take the socket once the socket is readable.</summary>
    private int Complete(ValueTask<int> read)
    {
        while (!read.IsCompleted)
        {
            _server!.Poll(-1, SelectMode.SelectRead);
            _serverTls!.OnReadable();
        }

        return read.GetAwaiter().GetResult();
    }

    private void Pump()
    {
        Send(_serverTls!);
        if (_serverTls!.IsReadPending && _server!.Poll(1000, SelectMode.SelectRead))
        {
            _serverTls.OnReadable();
        }
    }

    private void Send(LoopTls tls)
    {
        // As the connection sends it; a full socket buffer waits for writability, as the loop would.
        for (int errno = tls.SendCiphertext(); errno != 0; errno = tls.SendCiphertext())
        {
            if (errno != SocketCalls.EAGAIN)
            {
                throw new IOException($"The benchmark's send failed: errno {errno}.");
            }

            _server!.Poll(-1, SelectMode.SelectWrite);
        }
    }
}
