using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Framewire.Tests.Support;

/// <summary>
/// A real headless Chromium with one page, driven over the DevTools protocol on a loopback WebSocket: enough of the
/// protocol to open a page, evaluate script in it and take a screenshot, so the tests need no browser library.
/// Chromium runs in a process group of its own (<c>setsid</c>), which dispose kills with every helper it started.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly ClientWebSocket _socket;
    private readonly string _profile;
    private string? _session;
    private int _nextId;

    private HeadlessChromium(ChildProcess process, ClientWebSocket socket, string profile)
    {
        _process = process;
        _socket = socket;
        _profile = profile;
    }

    /// <summary>Debian's <c>chromium</c> (or another Chromium) on the PATH; null when there is none.</summary>
    public static string? Executable { get; } = Find();

    /// <summary>Starts Chromium and opens <paramref name="url"/> in a page of <paramref name="width"/> by <paramref name="height"/> CSS pixels.</summary>
    public static async Task<HeadlessChromium> OpenAsync(string url, int width = 1280, int height = 1000)
    {
        string profile = Directory.CreateTempSubdirectory("framewire-chromium-").FullName;
        ChildProcess process = ChildProcess.Start("setsid", [
            Executable ?? throw new InvalidOperationException("chromium is not installed."),
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-extensions", "--disable-sync", "--mute-audio",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}",
            $"--window-size={width},{height}", "about:blank"]);
        var socket = new ClientWebSocket();
        var browser = new HeadlessChromium(process, socket, profile);
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await socket.ConnectAsync(await DevToolsAddressAsync(process, timeout.Token), timeout.Token);
            JsonNode target = await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
            JsonNode attached = await browser.SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true });
            browser._session = attached["sessionId"]!.GetValue<string>();
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
            await browser.SendAsync("Page.navigate", new JsonObject { ["url"] = url });
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        JsonNode result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is JsonNode exception)
        {
            throw new InvalidOperationException($"The page threw: {exception.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    /// <summary>Polls <paramref name="expression"/> until it is true; fails the test if it is not within <paramref name="within"/>.</summary>
    public async Task WaitUntilAsync(string expression, TimeSpan within)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (await EvaluateAsync(expression) is not JsonValue value || !value.TryGetValue(out bool done) || !done)
        {
            Assert.True(watch.Elapsed < within, $"the page never made `{expression}` true");
            await Task.Delay(100);
        }
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        JsonNode shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String(shot["data"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.KillGroup();
        }

        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A helper process may still be writing its last file; the temp folder's cleaner takes it.
        }
    }

    private static async Task<Uri> DevToolsAddressAsync(ChildProcess process, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (DevToolsLine().Match(process.Stderr) is { Success: true } match)
            {
                return new Uri(match.Groups[1].Value);
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"chromium exited before listening: {process.Stderr}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters)
    {
        int id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (_session is not null)
        {
            message["sessionId"] = _session;
        }

        using var timeout = new CancellationTokenSource(Timeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        while (true)
        {
            JsonNode reply = await ReceiveAsync(timeout.Token);

            // Events and answers to other sessions come in between; only the answer with our id is ours.
            if (reply["id"] is JsonValue replyId && replyId.GetValue<int>() == id)
            {
                return reply["error"] is JsonNode error
                    ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}")
                    : reply["result"]!;
            }
        }
    }

    private async Task<JsonNode> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"chromium closed the DevTools connection: {_process.Stderr}");
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return JsonNode.Parse(message.ToArray()) ?? throw new JsonException("An empty DevTools message.");
    }

    private static string? Find()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in new[] { "chromium", "chromium-browser" })
            {
                string path = Path.Combine(dir, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
