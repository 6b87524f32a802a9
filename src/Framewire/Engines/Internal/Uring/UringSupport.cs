namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// Whether the io_uring engine can run on this machine, decided once before a server starts: the engine needs
/// Linux 6.1 (multishot receive came in 6.0, deferred completion work in 6.1), io_uring not disabled by
/// <c>kernel.io_uring_disabled</c> or a seccomp filter, and the operations it submits.
/// </summary>
internal static unsafe class UringSupport
{
    /// <summary>Set to <c>off</c> to refuse io_uring as a kernel without it would: the fallback, on purpose.</summary>
    public const string DisableVariable = "FRAMEWIRE_IO_URING";

    private static readonly Lazy<string?> s_unavailable = new(Probe);

    /// <summary>Why the engine cannot run here, in a few words; null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>The words for an io_uring_setup failure.</summary>
    public static string DescribeSetupError(int errno) => errno switch
    {
        UringCalls.ENOSYS => "io_uring_setup is not implemented by this kernel (ENOSYS)",
        UringCalls.EPERM => "io_uring_setup was refused (EPERM: kernel.io_uring_disabled, or a seccomp filter)",
        UringCalls.EINVAL => "io_uring_setup refused the ring's flags (EINVAL: a kernel older than 6.1)",
        UringCalls.ENOMEM => "io_uring_setup ran out of memory (ENOMEM: the locked-memory limit?)",
        _ => $"io_uring_setup failed with errno {errno}",
    };

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "io_uring is Linux only";
        }

        if (string.Equals(Environment.GetEnvironmentVariable(DisableVariable), "off", StringComparison.OrdinalIgnoreCase))
        {
            return $"io_uring is switched off ({DisableVariable}=off)";
        }

        Version kernel = Environment.OSVersion.Version;
        if (kernel < new Version(6, 1))
        {
            return $"Linux {kernel.Major}.{kernel.Minor} is older than 6.1 (multishot receive, deferred completion work)";
        }

        try
        {
            string disabled = File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim();
            if (disabled != "0")
            {
                // 1 allows only members of kernel.io_uring_group; setup below finds out which this process is.
                if (disabled == "2")
                {
                    return "io_uring is disabled (kernel.io_uring_disabled = 2)";
                }
            }
        }
        catch (IOException)
        {
            // Kernels before 6.6 have no such switch.
        }
        catch (UnauthorizedAccessException)
        {
        }

        try
        {
            using Ring ring = Ring.Create(8, 16);
            if (MissingOperation(ring.Fd) is string missing)
            {
                return missing;
            }

            BufferRing.Probe(ring.Fd);
            return null;
        }
        catch (UringUnavailableException e)
        {
            return e.Message;
        }
    }

    private static string? MissingOperation(int ringFd)
    {
        // struct io_uring_probe: a 16-byte header, then 8 bytes per operation; 256 covers every opcode.
        const int Operations = 256;
        byte* probe = stackalloc byte[16 + (Operations * 8)];
        new Span<byte>(probe, 16 + (Operations * 8)).Clear();
        if (UringCalls.Register(ringFd, UringAbi.RegisterProbe, probe, Operations) < 0)
        {
            return $"IORING_REGISTER_PROBE failed with errno {UringCalls.LastError}";
        }

        ReadOnlySpan<(byte Op, string Name)> needed = [(UringAbi.OpAccept, "accept"), (UringAbi.OpRecv, "recv"), (UringAbi.OpSend, "send"), (UringAbi.OpAsyncCancel, "async_cancel"), (UringAbi.OpPollAdd, "poll_add")];
        foreach ((byte op, string name) in needed)
        {
            ushort flags = *(ushort*)(probe + 16 + (op * 8) + 2);
            if ((flags & UringAbi.ProbeOpSupported) == 0)
            {
                return $"the kernel's io_uring does not support IORING_OP_{name.ToUpperInvariant()}";
            }
        }

        return null;
    }
}
