using System.Text;
using System.Threading.Channels;

namespace Framewire.Tests.Support;

/// <summary>A TextWriter that hands each written line to the test as it is written.</summary>
internal sealed class LineWriter : TextWriter
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _current = new();
    private readonly StringBuilder _all = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _all.ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            _all.Append(value);
            if (value == '\n')
            {
                _lines.Writer.TryWrite(_current.ToString().TrimEnd('\r'));
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            string line = await _lines.Reader.ReadAsync(cts.Token);
            if (match(line))
            {
                return line;
            }
        }
    }

    /// <summary>Waits for the server's start line and returns the port it names.</summary>
    public async Task<int> WaitForListeningPortAsync()
    {
        string line = await WaitForLineAsync(l => l.StartsWith("Listening on ", StringComparison.Ordinal));
        return int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
