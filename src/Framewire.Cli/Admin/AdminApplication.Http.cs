using System.Buffers;
using System.Globalization;
using System.Text;
using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>The HTTP side: one GET per connection, answered and closed; <c>/api/events</c> becomes an event stream.</summary>
internal sealed partial class AdminApplication
{
    private const string JsonType = "application/json";

    // The page is the only one it names: scripts and styles inline, data from this endpoint, nothing from elsewhere.
    private const string PagePolicy =
        "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'\r\n";

    private ProcessStatus ProcessHttp(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        HttpHeadStatus status = HttpRequestHead.TryRead(ref input, out HttpRequestHead head);
        if (status == HttpHeadStatus.Incomplete)
        {
            return ProcessStatus.NeedMoreData;
        }

        // A body or a second request is never read: the answer ends the connection.
        input = input.Slice(input.End);
        if (status != HttpHeadStatus.Complete)
        {
            return Refuse(output, status == HttpHeadStatus.TooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request", "The request is not HTTP/1.x.");
        }

        if (site.ChecksHost && !head.IsForLoopback())
        {
            return Refuse(output, "403 Forbidden", $"The admin endpoint answers requests for localhost, 127.0.0.1 or [::1], not {head.Host}.");
        }

        bool withBody = head.Method == "GET";
        if (!withBody && head.Method != "HEAD")
        {
            return Respond(output, "405 Method Not Allowed", "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n", "GET or HEAD only.\n"u8, withBody: true);
        }

        switch (head.Path)
        {
            case "/":
            case "/index.html":
                return Respond(output, "200 OK", "text/html; charset=utf-8", PagePolicy, DashboardPage.Html, withBody);
            case "/api/status":
                return Respond(output, "200 OK", JsonType, "", StatusDocuments.CreateUtf8(site.Server), withBody);
            case "/api/events":
                return withBody ? StartEvents(output) : Respond(output, "200 OK", "text/event-stream", "", [], withBody);
            default:
                return Respond(output, "404 Not Found", "text/plain; charset=utf-8", "", "Not found: the admin endpoint serves /, /api/status and /api/events.\n"u8, withBody);
        }
    }

    private static ProcessStatus Refuse(ConnectionOutput output, string status, string reason) =>
        Respond(output, status, "text/plain; charset=utf-8", "", Encoding.UTF8.GetBytes(reason + "\n"), withBody: true);

    private static ProcessStatus Respond(ConnectionOutput output, string status, string contentType, string extraHeaders, ReadOnlySpan<byte> body, bool withBody)
    {
        WriteHead(output, status, contentType, extraHeaders + $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n");
        if (withBody)
        {
            output.Write(body);
        }

        output.CompleteMessage();
        return ProcessStatus.Close;
    }

    private static void WriteHead(IBufferWriter<byte> output, string status, string contentType, string extraHeaders)
    {
        string head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\n{extraHeaders}Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
        Encoding.ASCII.GetBytes(head, output);
    }
}
