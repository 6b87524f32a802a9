namespace Framewire.Engines.Internal.Uring;

/// <summary>io_uring cannot run here; the message says why, in words for the fallback's warning line.</summary>
internal sealed class UringUnavailableException(string message) : Exception(message);
