using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Framewire.Tests.Support;

/// <summary>
/// A program run as a real child process with its output captured line by line: the built framewire command,
/// or a Python program from tests/interop. Killed on dispose if it is still running.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private const int Sigint = 2;
    private const int Sigkill = 9;
    private const int Sigterm = 15;

    private readonly Process _process;
    private readonly LineWriter _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ChildProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stdout.WriteLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public LineWriter Stdout => _stdout;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the framewire command built next to the tests.</summary>
    public static ChildProcess StartFramewire(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "framewire.dll");
        return Start("dotnet", [dll, .. args]);
    }

    /// <summary>Starts one of the Python programs in tests/interop.</summary>
    public static ChildProcess StartPython(string script, params string[] args) =>
        Start("python3", [Path.Combine(RepoPaths.Interop, script), .. args]);

    public static ChildProcess Start(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PYTHONIOENCODING"] = "utf-8";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {fileName}."));
    }

    /// <summary>Runs a program to completion and returns its exit code and output.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(ChildProcess child, TimeSpan? timeout = null)
    {
        await using (child)
        {
            int code = await child.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(30));
            return (code, child.Stdout.Text, child.Stderr);
        }
    }

    public Task<int> WaitForListeningPortAsync() => _stdout.WaitForListeningPortAsync();

    public void Interrupt() => Signal(Sigint);

    public void Terminate() => Signal(Sigterm);

    /// <summary>SIGKILL: the process dies at once, as in a crash, its sockets closed by the kernel.</summary>
    public void KillAbruptly() => Signal(Sigkill);

    /// <summary>
    /// True while a process of the group this child leads is alive: a child started through <c>setsid</c> leads a
    /// group of its own, which the programs it starts join.
    /// </summary>
    public bool GroupIsAlive => Kill(-_process.Id, 0) == 0;

    /// <summary>SIGINT to the child's whole group, as Ctrl-C in a terminal reaches every program of a job.</summary>
    public void InterruptGroup() => Kill(-_process.Id, Sigint);

    /// <summary>SIGKILL to the child's whole group: whatever it left running.</summary>
    public void KillGroup() => Kill(-_process.Id, Sigkill);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);

        // The parameterless wait also drains the redirected output.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
