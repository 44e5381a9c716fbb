// A consistent snapshot of the discovery log page (LID 70h): the generation counter it was read
// under and its entries.
namespace Target.Initiator;

public sealed record DiscoveryLog(ulong Generation, IReadOnlyList<DiscoveryEntry> Entries);
