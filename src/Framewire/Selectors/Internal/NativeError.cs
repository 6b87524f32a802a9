using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Framewire.Selectors.Internal;

/// <summary>Turns a failed C call into an exception that carries its errno.</summary>
internal static class NativeError
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Throw(string function, int errno) =>
        throw new Win32Exception(errno, $"{function} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
}
