namespace Framewire.Selectors;

/// <summary>One ready registration, as <see cref="Selector.Select"/> reports it: Python's <c>(key, events)</c> pair.</summary>
/// <param name="Key">The registration that is ready.</param>
/// <param name="Events">What it is ready for, always within <see cref="SelectorKey.Events"/>.</param>
public readonly record struct SelectorEvent(SelectorKey Key, SelectorEvents Events);
