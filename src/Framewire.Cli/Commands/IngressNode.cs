using Framewire.Apps;
using Framewire.Internal;
using Framewire.Protocol;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>app-server --ingress N</c> (hidden, for the benchmark): the search app in the pull model, one node thread taking
/// requests from the ingress queue and answering each as <see cref="SearchHandler"/> does, so that the two models can
/// be measured on the same work.
/// </summary>
internal sealed class IngressNode : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private readonly IngressQueue _queue;
    private readonly SearchHandler _handler;
    private readonly WorkerPool _workers = new(1, 1);
    private readonly MessageContext _context;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public IngressNode(IngressQueue queue, SearchHandler handler, ChecksumAlgorithm checksum)
    {
        _queue = queue;
        _handler = handler;

        // The server's checksum option: the handler's answers carry one, as in the push model.
        _context = new MessageContext(new ConnectionInfo(0, null, null), _workers, checksum);
        _thread = new Thread(Run) { IsBackground = true, Name = "Framewire ingress node" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
        _workers.Dispose();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                ValueTask<IncomingMessage?> next = _queue.ReadAsync(Tick, _stop.Token);
                IncomingMessage? message = next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
                if (message is not null)
                {
                    message.ReplyWith(_handler, _context);
                    message.Dispose();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
