using Framewire.Selectors;

namespace Framewire.Engines.Internal.Selector;

/// <summary>Something an event loop has registered with its selector: the key's data, told when it is ready.</summary>
internal interface ILoopItem
{
    void OnReady(SelectorEvents events);
}
