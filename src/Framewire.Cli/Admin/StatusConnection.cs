namespace Framewire.Cli.Admin;

/// <summary>One open connection: its state is one of handshake, idle, reading, processing, writing, draining.</summary>
internal sealed record StatusConnection(
    long Id,
    string Peer,
    string Local,
    DateTimeOffset ConnectedAt,
    double AgeSeconds,
    string State,
    long BytesReceived,
    long BytesSent,
    long FramesReceived,
    long FramesSent,
    int InFlight);
