namespace Framewire.Cli.Admin;

/// <summary>The last <c>capacity</c> samples, oldest dropped first: the dashboard's history, fixed in size however long the server runs.</summary>
internal sealed class SampleRing(int capacity)
{
    private readonly DashboardSample[] _samples = new DashboardSample[capacity];
    private int _next;
    private int _count;

    public int Count => _count;

    public void Add(DashboardSample sample)
    {
        _samples[_next] = sample;
        _next = (_next + 1) % _samples.Length;
        _count = Math.Min(_count + 1, _samples.Length);
    }

    /// <summary>The samples, oldest first.</summary>
    public DashboardSample[] ToArray()
    {
        var copy = new DashboardSample[_count];
        int start = (_next - _count + _samples.Length) % _samples.Length;
        for (int i = 0; i < _count; i++)
        {
            copy[i] = _samples[(start + i) % _samples.Length];
        }

        return copy;
    }
}
