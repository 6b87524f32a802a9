using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Framewire.Cli;

/// <summary>
/// A command's errors as the one line it prints, with the exit code that goes with each: a usage error exits 2, a
/// failure at run time 1. .NET's socket messages name neither the address nor a likely cause, an argument error ends
/// in "(Parameter 'host')", and a missing Unix socket file reads as "Cannot assign requested address"; these lines say
/// what happened, to which address.
/// </summary>
internal static class Failures
{
    public static int Usage(TextWriter stderr, string problem) => Write(stderr, problem, ExitCode.Usage);

    public static int Failed(TextWriter stderr, string problem) => Write(stderr, problem, ExitCode.Failure);

    /// <summary>
    /// An argument the library refused: a host name that does not resolve is a failure at run time (the name may be
    /// right and the resolver down), anything else a usage error.
    /// </summary>
    public static int Refused(TextWriter stderr, ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.InnerException is SocketException ? Failed(stderr, WithoutParameter(e)) : Usage(stderr, WithoutParameter(e));
    }

    /// <summary>Resolves a command's host and port, or prints why not and gives the exit code in <paramref name="exitCode"/>.</summary>
    public static bool TryResolve(string host, int port, TextWriter stderr, [NotNullWhen(true)] out EndPoint? endPoint, out int exitCode)
    {
        try
        {
            endPoint = Endpoints.Parse(host, port);
            exitCode = (int)ExitCode.Success;
            return true;
        }
        catch (ArgumentException e)
        {
            endPoint = null;
            exitCode = Refused(stderr, e);
            return false;
        }
    }

    public static string CannotConnect(EndPoint endPoint, SocketException e) =>
        $"cannot connect to {Endpoints.Format(endPoint)}: {Reason(endPoint, e, listening: false)}";

    public static string CannotListen(EndPoint endPoint, SocketException e) =>
        $"cannot listen on {Endpoints.Format(endPoint)}: {Reason(endPoint, e, listening: true)}";

    /// <summary>The exception's message without the "(Parameter 'name')" that .NET appends to it.</summary>
    public static string WithoutParameter(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName is not null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }

    private static string Reason(EndPoint endPoint, SocketException e, bool listening)
    {
        string? socketFile = (endPoint as UnixDomainSocketEndPoint)?.ToString();
        return e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "the address is in use, by another server or one still closing (pick another port, or 0 for a free one)",

            // Linux says ENOENT, which .NET reports as EADDRNOTAVAIL, when a socket file's folder or the file itself is missing.
            SocketError.AddressNotAvailable when socketFile is not null && listening =>
                $"cannot create the socket file: does the folder {Path.GetDirectoryName(socketFile)} exist?",
            SocketError.AddressNotAvailable when socketFile is not null && !File.Exists(socketFile) => "no such socket file (is the server running?)",
            SocketError.AddressNotAvailable when listening => "this machine has no such address",
            SocketError.ConnectionRefused when socketFile is not null => "connection refused: the socket file is there, but no server listens on it",
            SocketError.ConnectionRefused => "connection refused (is the server running, on that port?)",
            SocketError.AccessDenied when listening && endPoint is IPEndPoint { Port: > 0 and < 1024 } => "permission denied: ports below 1024 need privileges",
            SocketError.AccessDenied => "permission denied",
            SocketError.TimedOut => "timed out",
            _ => e.Message,
        };
    }

    private static int Write(TextWriter stderr, string problem, ExitCode code)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        stderr.WriteLine($"Error: {problem}");
        return (int)code;
    }
}
