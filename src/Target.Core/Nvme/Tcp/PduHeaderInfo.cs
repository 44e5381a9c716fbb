// A validated PDU header as PduReader returns it: type, flags and where header, padding, data
// and data digest lie within PLEN (nvme-tcp.md §1.1, §1.9).
namespace Target.Core.Nvme.Tcp;

public struct PduHeaderInfo
{
    public PduType Type;
    public PduFlags Flags;
    public int Hlen;
    /// <summary>Bytes from PDU start to the first data byte (HLEN + HDGST + pad); all header bytes.</summary>
    public int HeaderBytes;
    /// <summary>Data bytes following the header area (in-capsule data, DATAL, TermReq header copy).</summary>
    public uint DataLength;
    /// <summary>4 when a data digest follows the data, else 0.</summary>
    public int DataDigestLength;
    public uint Plen;

    public readonly bool HasData => DataLength != 0;
    public readonly bool IsLast => (Flags & PduFlags.LastPdu) != 0;
}
