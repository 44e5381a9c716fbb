// One outstanding R2T of a write command (NVMe TCP Transport 1.0 §3.6.2.7–§3.6.2.8): the range it
// asked for and how much of it has arrived. A qpair keeps MAXR2T+1 (capped) slots per request;
// the R2T's TTAG names the slot, so every H2CData is checked against the R2T it answers.
namespace Target.Transports.Tcp;

internal struct TcpR2TSlot
{
    /// <summary>R2TO: offset of the requested range in the command's data.</summary>
    public uint Offset;
    /// <summary>R2TL: bytes requested; 0 when the slot is free.</summary>
    public uint Length;
    /// <summary>Bytes of the range received so far (the next DATAO is Offset + Received).</summary>
    public uint Received;

    public readonly bool Active => Length != 0;
}
