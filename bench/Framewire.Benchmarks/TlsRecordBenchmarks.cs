using System.Net.Security;
using BenchmarkDotNet.Attributes;
using Framewire.Engines.Internal.Selector;
using Framewire.Testing;

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
    private OpenSslPair? _pair;
    private SslStream? _clientTls;
    private OpenSslSession? _serverTls;

    [GlobalSetup]
    public void Setup()
    {
        _pair = new OpenSslPair();
        _clientTls = _pair.ClientTls;
        _serverTls = _pair.Session;
        _answer.AsSpan().Fill((byte)'a');
    }

    [GlobalCleanup]
    public void Cleanup() => _pair?.Dispose();

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
    private void Wait(int outcome) => _pair!.WaitFor(outcome, Timeout.InfiniteTimeSpan);
}
