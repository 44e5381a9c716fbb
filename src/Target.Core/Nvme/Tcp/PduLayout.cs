// Fixed per-type facts of NVMe/TCP PDUs: header length, which digests may apply, whether data may
// follow, and the padding rule for the data offset (NVMe TCP Transport 1.0 §3.6; nvme-tcp.md
// §1.2, §1.9). The one table every reader and writer consults.
namespace Target.Core.Nvme.Tcp;

public static class PduLayout
{
    public const int DigestSize = 4;
    /// <summary>Largest PDO a receiver accepts: (MaxPda + 1) * 4.</summary>
    public const int MaxPdo = (ICReq.MaxPda + 1) * 4;
    /// <summary>Largest header area (CH + PSH + HDGST + pad) of any PDU.</summary>
    public const int MaxHeaderBytes = 128;

    /// <summary>Fixed HLEN of a PDU type; 0 for reserved types.</summary>
    public static int HeaderLength(PduType type) => type switch
    {
        PduType.ICReq or PduType.ICResp => ICReq.Size,
        PduType.CapsuleCmd => CapsuleCommand.Size,
        PduType.H2CTermReq or PduType.C2HTermReq or PduType.CapsuleResp
            or PduType.H2CData or PduType.C2HData or PduType.R2T => 24,
        _ => 0,
    };

    /// <summary>Whether a negotiated header digest is carried by this type.</summary>
    public static bool HasHeaderDigest(PduType type) =>
        type is PduType.CapsuleCmd or PduType.CapsuleResp or PduType.H2CData or PduType.C2HData or PduType.R2T;

    /// <summary>Whether a negotiated data digest is carried by this type (when it has data).</summary>
    public static bool HasDataDigest(PduType type) =>
        type is PduType.CapsuleCmd or PduType.H2CData or PduType.C2HData;

    /// <summary>Whether data may follow the header at PDO (TermReq data is handled apart).</summary>
    public static bool CarriesData(PduType type) =>
        type is PduType.CapsuleCmd or PduType.H2CData or PduType.C2HData;

    /// <summary>Types a host may send.</summary>
    public static bool IsHostToController(PduType type) =>
        type is PduType.ICReq or PduType.H2CTermReq or PduType.CapsuleCmd or PduType.H2CData;

    /// <summary>Types a controller may send.</summary>
    public static bool IsControllerToHost(PduType type) =>
        type is PduType.ICResp or PduType.C2HTermReq or PduType.CapsuleResp or PduType.C2HData or PduType.R2T;

    /// <summary>
    /// PDO of a data-carrying PDU: header plus digest, rounded up to the peer's alignment
    /// ((pda + 1) * 4 bytes) when pda is non-zero.
    /// </summary>
    public static int DataOffset(int hlen, bool headerDigest, byte pda)
    {
        int offset = hlen + (headerDigest ? DigestSize : 0);
        if (pda == 0) return offset;
        int align = (pda + 1) * 4;
        return (offset + align - 1) / align * align;
    }
}
