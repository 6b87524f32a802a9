using System.Text.Json;
using ReplicatedLog.Raft;

namespace ReplicatedLog.Storage;

/// <summary>
/// A node's term, vote and log in one append-only file of JSON lines, <c>node-ID.raft</c> in the data directory.
/// A new term or vote appends a state line; a new or replaced entry appends an entry line, which drops every entry
/// after it when the file is read back. <see cref="Save"/> returns only after the lines are on disk (fsync), and the
/// node sends nothing that promises them before that.
/// </summary>
internal sealed class NodeStorage : IDisposable
{
    private readonly FileStream _file;
    private readonly MemoryStream _pending = new();
    private readonly Utf8JsonWriter _writer;

    private NodeStorage(string path, FileStream file, PersistentState state)
    {
        Path = path;
        _file = file;
        State = state;
        _writer = new Utf8JsonWriter(_pending);
    }

    public string Path { get; }

    /// <summary>How many times <see cref="Save"/> has synced the file: fewer than the writes when writes share a sync.</summary>
    public long Syncs { get; private set; }

    /// <summary>What the file held when it was opened.</summary>
    public PersistentState State { get; }

    /// <summary>
    /// Opens the node's file in <paramref name="directory"/>, creating both when missing, and reads it back. A last
    /// line cut short (a crash in the middle of a write, before its fsync, so before anything depended on it) is cut
    /// off; a damaged line before the last is an error.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged before its last line.</exception>
    public static NodeStorage Open(string directory, int nodeId)
    {
        Directory.CreateDirectory(directory);
        string path = System.IO.Path.Combine(directory, $"node-{nodeId}.raft");
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            PersistentState state = ReadAll(path, file);
            return new NodeStorage(path, file, state);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends what <paramref name="output"/> says changed in <paramref name="node"/>, and syncs it to disk.</summary>
    public void Save(RaftNode node, RaftOutput output)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(output);
        if (!output.StateChanged && output.FirstChangedIndex == 0)
        {
            return;
        }

        _pending.SetLength(0);
        if (output.StateChanged)
        {
            WriteLine(new StateRecord(node.CurrentTerm, node.VotedFor));
        }

        if (output.FirstChangedIndex != 0)
        {
            for (long index = output.FirstChangedIndex; index <= node.LastLogIndex; index++)
            {
                LogEntry entry = node.EntryAt(index);
                WriteLine(new EntryRecord(index, entry.Term, entry.Key, entry.Value));
            }
        }

        _file.Write(_pending.GetBuffer(), 0, (int)_pending.Length);
        _file.Flush(flushToDisk: true);
        Syncs++;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _pending.Dispose();
        _file.Dispose();
    }

    private void WriteLine(StorageRecord record)
    {
        _writer.Reset();
        JsonSerializer.Serialize(_writer, record, StorageJsonContext.Default.StorageRecord);
        _writer.Flush();
        _pending.WriteByte((byte)'\n');
    }

    private static PersistentState ReadAll(string path, FileStream file)
    {
        byte[] content = new byte[file.Length];
        file.ReadExactly(content);
        long term = 0;
        string? votedFor = null;
        var log = new List<LogEntry>();
        int start = 0;
        int line = 1;
        while (start < content.Length)
        {
            int end = Array.IndexOf(content, (byte)'\n', start);
            if (end < 0)
            {
                break;
            }

            StorageRecord? record;
            try
            {
                record = JsonSerializer.Deserialize(content.AsSpan(start, end - start), StorageJsonContext.Default.StorageRecord);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}, line {line}: {e.Message}", e);
            }

            switch (record)
            {
                case StateRecord state:
                    term = state.Term;
                    votedFor = state.VotedFor;
                    break;
                case EntryRecord entry when entry.Index >= 1 && entry.Index <= log.Count + 1:
                    log.RemoveRange((int)entry.Index - 1, log.Count - ((int)entry.Index - 1));
                    log.Add(new LogEntry(entry.Term, entry.Key, entry.Value));
                    break;
                default:
                    throw new InvalidDataException($"{path}, line {line}: not a state or an entry that follows the log.");
            }

            start = end + 1;
            line++;
        }

        // What follows the last full line was never synced, so nothing was promised on it.
        file.SetLength(start);
        file.Position = start;
        return new PersistentState(term, votedFor, log);
    }
}
