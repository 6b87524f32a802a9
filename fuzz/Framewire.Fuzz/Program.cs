using SharpFuzz;

namespace Framewire.Fuzz;

/// <summary>
/// <c>Framewire.Fuzz target [afl|libfuzzer|replay FILE...]</c>: runs a fuzz target under AFL++ (the default), under
/// libFuzzer through libfuzzer-dotnet, or once over saved inputs to reproduce a finding without a fuzzer.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || Target(args[0]) is not { } target)
        {
            Console.Error.WriteLine("usage: Framewire.Fuzz frames|proxy [afl|libfuzzer|replay FILE...]");
            return 2;
        }

        string mode = args.Length > 1 ? args[1] : "afl";
        switch (mode)
        {
            case "afl":
                Fuzzer.OutOfProcess.Run(stream =>
                {
                    using var memory = new MemoryStream();
                    stream.CopyTo(memory);
                    target(memory.GetBuffer().AsSpan(0, (int)memory.Length));
                });
                return 0;
            case "libfuzzer":
                Fuzzer.LibFuzzer.Run(span => target(span));
                return 0;
            case "replay":
                foreach (string path in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]))
                {
                    target(File.ReadAllBytes(path));
                    Console.WriteLine($"ok {path}");
                }

                return 0;
            default:
                Console.Error.WriteLine($"unknown mode '{mode}': afl, libfuzzer or replay");
                return 2;
        }
    }

    private static ReadOnlySpanAction? Target(string name) => name switch
    {
        "frames" => FuzzTargets.Frames,
        "proxy" => FuzzTargets.Proxy,
        _ => null,
    };
}
