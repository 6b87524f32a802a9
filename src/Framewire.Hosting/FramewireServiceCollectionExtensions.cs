using System.Diagnostics.CodeAnalysis;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Framewire.Hosting;

/// <summary>Adds a <see cref="MessageServer"/> to a generic host.</summary>
public static class FramewireServiceCollectionExtensions
{
    /// <summary>
    /// Runs a <see cref="MessageServer"/> for <typeparamref name="THandler"/> (a singleton made by the container) while
    /// the host runs, with <see cref="FramewireServerOptions"/> bound from the configuration section
    /// <see cref="FramewireServerOptions.SectionName"/>. The server itself is a singleton too, for its
    /// <see cref="MessageServer.LocalEndPoint"/>.
    /// </summary>
    /// <returns>The options builder, to configure or validate the options further.</returns>
    public static OptionsBuilder<FramewireServerOptions> AddFramewireServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services)
        where THandler : class, IMessageHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<THandler>();
        return services.AddFramewireServer(provider => provider.GetRequiredService<THandler>());
    }

    /// <summary>
    /// Runs a <see cref="MessageServer"/> for the handler <paramref name="handlerFactory"/> makes while the host runs,
    /// with <see cref="FramewireServerOptions"/> bound from the configuration section
    /// <see cref="FramewireServerOptions.SectionName"/>.
    /// </summary>
    /// <returns>The options builder, to configure or validate the options further.</returns>
    public static OptionsBuilder<FramewireServerOptions> AddFramewireServer(
        this IServiceCollection services,
        Func<IServiceProvider, IMessageHandler> handlerFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        services.TryAddSingleton(provider => new MessageServer(
            handlerFactory(provider),
            provider.GetRequiredService<IOptions<FramewireServerOptions>>().Value.ToMessageServerOptions(),
            provider.GetService<ILoggerFactory>()));
        services.AddHostedService<ServerService>();

        // A bad host or limit fails the host's start with the option's name, not the first connection.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FramewireServerOptions>, ServerOptionsValidator>());
        return services.AddOptions<FramewireServerOptions>()
            .BindConfiguration(FramewireServerOptions.SectionName)
            .ValidateOnStart();
    }
}
