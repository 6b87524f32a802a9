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
            Console.Error.WriteLine("usage: Framewire.Fuzz frames|headers|proxy|checksum [afl|libfuzzer|replay FILE|DIRECTORY...]");
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
                return Replay(target, args.Skip(2));
            default:
                Console.Error.WriteLine($"unknown mode '{mode}': afl, libfuzzer or replay");
                return 2;
        }
    }

    // Every input runs, so one command tells which of a campaign's saved inputs still fail and how.
    private static int Replay(ReadOnlySpanAction target, IEnumerable<string> paths)
    {
        int failed = 0;
        foreach (string path in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
        {
            try
            {
                target(File.ReadAllBytes(path));
                Console.WriteLine($"ok {path}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAILED {path}: {e}");
            }
        }

        return failed == 0 ? 0 : 1;
    }

    private static ReadOnlySpanAction? Target(string name) => name switch
    {
        "frames" => FrameStreamTarget.Run,
        "headers" => HeaderTarget.Run,
        "proxy" => ProxyTarget.Run,
        "checksum" => ChecksumTarget.Run,
        _ => null,
    };
}
