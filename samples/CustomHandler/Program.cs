using System.Text;
using Framewire.Apps;
using Framewire.Hosting;
using Framewire.Protocol;
using Microsoft.Extensions.Hosting;

// Settings come from the "Framewire" section of appsettings.json or from variables such as Framewire__Port=7000.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFramewireServer<UpperCaseHandler>();
await builder.Build().RunAsync();

/// <summary>Answers every request with its content in upper case; the server answers malformed frames itself.</summary>
internal sealed class UpperCaseHandler : IMessageHandler
{
    public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        string text = Encoding.UTF8.GetString(context.Request.Content);
        context.Respond(ContentTypes.ServerBinary, ContentTypes.Binary, Encoding.UTF8.GetBytes(text.ToUpperInvariant()));
        return ValueTask.CompletedTask;
    }
}
