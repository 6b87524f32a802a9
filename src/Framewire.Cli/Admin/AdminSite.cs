using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>What every admin connection shares: the served server, the dashboard's feed, and whether HTTP must name this machine.</summary>
internal sealed record AdminSite(MessageServer Server, DashboardFeed Feed, bool ChecksHost);
