using System.Text;
using Framewire.Client;

namespace Framewire.Tests.Client;

/// <summary><see cref="Request"/> builds what the tutorial's app-client sends; its former name still builds the same, for one release.</summary>
public sealed class RequestTests
{
    [Fact]
    public void Create_Search_IsTheTutorialsJson()
    {
        Request request = Request.Create("search", "ring");

        Assert.Equal(("text/json", "utf-8", "{\"action\": \"search\", \"value\": \"ring\"}"), (request.ContentType, request.ContentEncoding, Encoding.UTF8.GetString(request.Content.Span)));
    }

    [Fact]
    public void Create_OtherAction_IsActionPlusValueAsBinary()
    {
        Request request = Request.Create("hello", "world");

        Assert.Equal(("binary/custom-client-binary-type", "binary", "helloworld"), (request.ContentType, request.ContentEncoding, Encoding.UTF8.GetString(request.Content.Span)));
    }

#pragma warning disable CS0618 // The obsolete name is what is under test.
    [Theory]
    [InlineData("search", "ring")]
    [InlineData("hello", "world")]
    public void SeedRequest_StillBuildsTheSameRequest(string action, string value)
    {
        Request old = (SeedRequest.Create(action, value) with { Idempotent = true }).ToRequest();
        Request now = Request.Create(action, value);

        Assert.Equal((now.ContentType, now.ContentEncoding, Convert.ToHexString(now.Content.Span), true), (old.ContentType, old.ContentEncoding, Convert.ToHexString(old.Content.Span), old.Idempotent));
        Assert.NotNull(typeof(SeedRequest).GetCustomAttributes(typeof(ObsoleteAttribute), inherit: false).SingleOrDefault());
    }
#pragma warning restore CS0618
}
