// One parsed discovery log entry (NVMe-oF 1.1 §5.3, Figure 40; nvme-tcp.md §2.5): where and how a
// subsystem (or another discovery controller / referral) can be reached.
using System.Buffers.Binary;
using System.Text;

namespace Target.Initiator;

public sealed record DiscoveryEntry(
    byte TrType, byte AdrFam, byte SubType, byte Treq, ushort PortId, ushort Cntlid, ushort Asqsz, ushort Eflags,
    string TrSvcId, string SubNqn, string TrAddr, byte TsasSecType)
{
    public const byte TrTypeTcp = 3;
    public const byte AdrFamIPv4 = 1, AdrFamIPv6 = 2;

    /// <summary>Parses one 1024-byte entry.</summary>
    public static DiscoveryEntry Parse(ReadOnlySpan<byte> e) => new(
        e[0], e[1], e[2], e[3],
        BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(4)),
        BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(6)),
        BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(8)),
        BinaryPrimitives.ReadUInt16LittleEndian(e.Slice(10)),
        Text(e.Slice(32, 32)), Text(e.Slice(256, 256)), Text(e.Slice(512, 256)), e[768]);

    private static string Text(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        if (end < 0) end = field.Length;
        return Encoding.ASCII.GetString(field.Slice(0, end)).TrimEnd(' ');
    }
}
