using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// The dashboard in a real headless Chromium, against a real <c>app-server --admin</c> process: the page loads from
/// the admin endpoint alone, shows a row per live client, sorts and filters them, and its charts move while
/// <c>framewire bench</c> loads the server.
/// </summary>
public sealed class DashboardBrowserTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [ChromiumFact]
    public async Task Dashboard_ShowsARowPerLiveClient_AndItsChartsMoveUnderBench()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--admin", "127.0.0.1:0");
        int port = await server.WaitForListeningPortAsync();
        string admin = (await server.Stdout.WaitForLineAsync(l => l.StartsWith("Admin on ", StringComparison.Ordinal), Timeout))["Admin on ".Length..];
        var clients = new List<MessageClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", port);
                clients.Add(client);
                await client.SearchAsync("morpheus");
            }

            string[] peers = [.. clients.Select(c => Endpoints.Format(c.LocalEndPoint)).Order(StringComparer.Ordinal)];
            await using HeadlessChromium browser = await HeadlessChromium.OpenAsync($"http://{admin}/");

            await browser.WaitUntilAsync("document.querySelectorAll('#rows tr').length === 3", Timeout);
            Assert.Equal(string.Join(' ', peers), await TextAsync(browser, Cells(1) + ".sort().join(' ')"));
            Assert.Equal("idle idle idle", await TextAsync(browser, Cells(3) + ".join(' ')"));

            // Sorting by peer, twice for descending; filtering by address, then by a state no client is in.
            await browser.EvaluateAsync("document.querySelector('th[data-key=peer]').click(); document.querySelector('th[data-key=peer]').click()");
            Assert.Equal(string.Join(' ', peers.Reverse()), await TextAsync(browser, Cells(1) + ".join(' ')"));
            await SetAsync(browser, "address-filter", peers[1], "input");
            Assert.Equal(peers[1], await TextAsync(browser, Cells(1) + ".join(' ')"));
            await SetAsync(browser, "address-filter", "", "input");
            await SetAsync(browser, "state-filter", "processing", "change");
            Assert.Equal("0", await TextAsync(browser, "String(document.querySelectorAll('#rows tr').length)"));
            await SetAsync(browser, "state-filter", "", "change");
            Assert.Equal("3", await TextAsync(browser, "String(document.querySelectorAll('#rows tr').length)"));

            // Idle, the newest sample says no messages; under the load generator it says some, and the latency chart has points.
            // The clients' first requests may still be in the sample of the second they came in.
            await browser.WaitUntilAsync("Number(document.body.dataset.samples) >= 1", Timeout);
            await browser.WaitUntilAsync("document.getElementById('chart-messages').dataset.last.startsWith('0,')", Timeout);
            int samplesBefore = int.Parse(await TextAsync(browser, "document.body.dataset.samples"), System.Globalization.CultureInfo.InvariantCulture);
            await using ChildProcess bench = ChildProcess.StartFramewire("bench", "frame", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "4", "-d", "8", "--warmup", "0");
            await browser.WaitUntilAsync("Number(document.getElementById('chart-messages').dataset.last.split(',')[0]) > 0", Timeout);
            await browser.WaitUntilAsync("Number(document.getElementById('chart-latency').dataset.points) > 0", Timeout);
            await browser.WaitUntilAsync("document.querySelectorAll('#rows tr').length === 7", Timeout);
            Assert.True(int.Parse(await TextAsync(browser, "document.body.dataset.samples"), System.Globalization.CultureInfo.InvariantCulture) > samplesBefore);

            Assert.Equal(0, await bench.WaitForExitAsync(Timeout));
        }
        finally
        {
            foreach (MessageClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task SetAsync(HeadlessChromium browser, string id, string value, string eventName) =>
        await browser.EvaluateAsync($"(() => {{ const e = document.getElementById('{id}'); e.value = '{value}'; e.dispatchEvent(new Event('{eventName}')); }})()");

    private static string Cells(int column) => $"[...document.querySelectorAll('#rows tr')].map(r => r.children[{column}].textContent)";

    private static async Task<string> TextAsync(HeadlessChromium browser, string expression) =>
        (await browser.EvaluateAsync(expression))?.GetValue<string>() ?? throw new InvalidOperationException($"`{expression}` gave nothing");
}
