using System.Net.Sockets;
using Framewire.Engines.Internal.Selector;
using Framewire.Testing;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// The selector engine's OpenSSL session on a real loopback connection, below the connection: how it tells a clean end
/// of the stream from one inside a record (the BIO's end-of-stream flag), and that its record buffers go back when
/// nothing is in flight and come again for the next record.
/// </summary>
public sealed class TlsOpenSslSessionTests : IDisposable
{
    private readonly CapturingStream _capture;
    private readonly OpenSslPair _pair;

    public TlsOpenSslSessionTests()
    {
        CapturingStream? capture = null;
        _pair = new OpenSslPair(beneath => capture = new CapturingStream(beneath));
        _capture = capture!;
    }

    public void Dispose() => _pair.Dispose();

    [Fact]
    public void EndOfStreamAfterWholeRecords_Closed()
    {
        _pair.ClientTls.Write("request"u8);
        _pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(7, ReadUntilDone(out int end));
        Assert.Equal(OpenSslSession.Closed, end);
    }

    [Fact]
    public void EndOfStreamInsideRecord_Failed()
    {
        _capture.Hold = true;
        _pair.ClientTls.Write("request"u8);
        byte[] record = _capture.TakeHeld();
        _pair.Client.Send(record.AsSpan(0, record.Length / 2));
        _pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, ReadUntilDone(out int end));
        Assert.Equal(OpenSslSession.Failed, end);
        Assert.Contains("inside a record", _pair.Session.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void BuffersReleasedWhileNothingInFlight_NextRecordsServed()
    {
        for (int round = 0; round < 3; round++)
        {
            _pair.ClientTls.Write("request"u8);
            byte[] plaintext = new byte[64];
            int received;
            while ((received = _pair.Session.Read(plaintext)) <= 0)
            {
                Wait(received);
            }

            Assert.Equal("request"u8.ToArray(), plaintext.AsSpan(0, received).ToArray());
            Assert.Equal(6, _pair.Session.Write("answer"u8));
            Assert.True(_pair.Session.ReleaseBuffers(), "OpenSSL kept its record buffers with nothing in flight");

            byte[] answer = new byte[64];
            Assert.Equal(6, _pair.ClientTls.Read(answer));
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
            int outcome = _pair.Session.Read(plaintext.AsSpan(total));
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

    private void Wait(int outcome) => Assert.True(_pair.WaitFor(outcome, TimeSpan.FromSeconds(10)), "the socket did not become ready");
}
