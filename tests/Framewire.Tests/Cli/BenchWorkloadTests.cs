using System.Text;
using Framewire.Cli.Bench;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>The load generator's requests and answer checks, without sockets.</summary>
public class BenchWorkloadTests
{
    [Fact]
    public void SearchWorkload_ExpectedAnswers_AreTheTutorialServersBytes()
    {
        var workload = new SearchWorkload();

        Assert.Equal(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"), workload.RequestTemplate(0).ToArray());
        Assert.Equal(Frames.Json("{\"result\": \"Follow the white rabbit. \U0001f430\"}"), workload.ResponseTemplate(0));
        Assert.Equal(Frames.Json("{\"result\": \"In the caves beneath the Misty Mountains. \U0001f48d\"}"), workload.ResponseTemplate(1));
        Assert.Equal(Frames.Json("{\"result\": \"\U0001f43e Playing ball! \U0001f3d0\"}"), workload.ResponseTemplate(2));
        Assert.Equal(Frames.Json("{\"result\": \"No match for 'neo'.\"}"), workload.ResponseTemplate(3));
    }

    [Fact]
    public void RequestWriter_BatchAcrossTheCycle_IsTheRequestsInOrder()
    {
        var workload = new SearchWorkload();
        using var writer = new RequestWriter(workload, depth: 4);

        byte[] batch = writer.Write(first: 6, count: 4).ToArray();

        byte[] expected = [.. workload.RequestTemplate(2), .. workload.RequestTemplate(3), .. workload.RequestTemplate(0), .. workload.RequestTemplate(1)];
        Assert.Equal(expected, batch);
    }

    [Fact]
    public void BinaryWorkload_RequestAndAnswer_CarryTheSequenceNumber()
    {
        var workload = new BinaryWorkload(contentLength: 16);
        using var writer = new RequestWriter(workload, depth: 2);

        byte[] batch = writer.Write(first: 1234567, count: 2).ToArray();

        byte[] content = Encoding.ASCII.GetBytes("0001234567xxxxxx");
        byte[] next = Encoding.ASCII.GetBytes("0001234568xxxxxx");
        Assert.Equal([.. Frames.Binary(content), .. Frames.Binary(next)], batch);
        var checker = new ResponseChecker(workload);
        checker.Restart(1234567);
        byte[] answer = Frames.Raw(
            "{\"byteorder\": \"little\", \"content-type\": \"binary/custom-server-binary-type\", \"content-encoding\": \"binary\", \"content-length\": 37}",
            Encoding.ASCII.GetBytes("First 10 bytes of request: 0001234567"));
        Assert.Equal(1, checker.Check(answer, sent: 1234569));
        Assert.Null(checker.Failure);
    }

    [Fact]
    public void ResponseChecker_AnswersSplitAnywhere_AllComplete()
    {
        var workload = new SearchWorkload();
        var checker = new ResponseChecker(workload);
        byte[] stream = [.. workload.ResponseTemplate(0), .. workload.ResponseTemplate(1), .. workload.ResponseTemplate(2)];

        int completed = 0;
        foreach (byte b in stream)
        {
            completed += checker.Check([b], sent: 3);
        }

        Assert.Equal(3, completed);
        Assert.Null(checker.Failure);
        Assert.Equal(3, checker.Next);
    }

    [Fact]
    public void ResponseChecker_EchoesSwapped_FailsAtTheFirstOne()
    {
        var workload = new EchoWorkload(16);
        using var writer = new RequestWriter(workload, depth: 2);
        byte[] sent = writer.Write(first: 0, count: 2).ToArray();
        var checker = new ResponseChecker(workload);

        int completed = checker.Check([.. sent.AsSpan(16, 16), .. sent.AsSpan(0, 16)], sent: 2);

        Assert.Equal(0, completed);
        Assert.StartsWith("answer 0 differs at byte 0", checker.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ResponseChecker_BytesWithNothingOwed_Fails()
    {
        var workload = new EchoWorkload(4);
        using var writer = new RequestWriter(workload, depth: 1);
        byte[] sent = writer.Write(first: 0, count: 1).ToArray();
        var checker = new ResponseChecker(workload);

        int completed = checker.Check([.. sent, 1, 2], sent: 1);

        Assert.Equal(1, completed);
        Assert.StartsWith("2 byte(s) arrived with no answer owed", checker.Failure, StringComparison.Ordinal);
    }
}
