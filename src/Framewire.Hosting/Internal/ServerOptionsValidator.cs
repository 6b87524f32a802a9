using Microsoft.Extensions.Options;

namespace Framewire.Hosting.Internal;

/// <summary>
/// Fails the host's start on settings the library refuses, with the library's own sentence: configuration keys are the
/// options' property names, so it names the key to fix.
/// </summary>
internal sealed class ServerOptionsValidator : IValidateOptions<FramewireServerOptions>
{
    public ValidateOptionsResult Validate(string? name, FramewireServerOptions options)
    {
        try
        {
            options.ToMessageServerOptions().Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"The {FramewireServerOptions.SectionName} section: {e.Message}");
        }
    }
}
