using System.Text.Json.Serialization;

namespace ReplicatedLog.Storage;

/// <summary>One line of a node's file: the term and vote, or one log entry.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "record")]
[JsonDerivedType(typeof(StateRecord), "state")]
[JsonDerivedType(typeof(EntryRecord), "entry")]
internal abstract record StorageRecord;

/// <summary>The term and the vote in it, as of this line.</summary>
internal sealed record StateRecord(long Term, string? VotedFor) : StorageRecord;

/// <summary>The entry at <paramref name="Index"/>: it replaces the entry there and drops every entry after it.</summary>
internal sealed record EntryRecord(long Index, long Term, string? Key, string? Value) : StorageRecord;
