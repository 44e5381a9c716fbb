// One command slot of a TCP qpair (SPDK struct spdk_nvmf_tcp_req): the core's Request plus the
// transport's state, its own in-capsule data slot, the data buffer in use and a 256-byte native
// area for the PDU headers it sends (C2HData, data digest, CapsuleResp). Preallocated per qpair.
// Its R2Ts (up to the host's MAXR2T+1 outstanding) live in the qpair's R2T table (TcpR2TSlot).
using Target.Core.Nvmf;

namespace Target.Transports.Tcp;

internal sealed unsafe class TcpRequest : Request
{
    public const int PduAreaSize = 256;
    public const int C2HHeaderOffset = 0;      // up to 128 bytes (HPDA padding)
    public const int DataDigestOffset = 128;   // 4 bytes
    public const int ResponseOffset = 136;     // 28 bytes

    public TcpRequest(Qpair qpair, ushort index, byte* icdSlot, int icdCapacity, byte* pduArea) : base(qpair, 1)
    {
        Index = index;
        IcdSlot = icdSlot;
        IcdCapacity = icdCapacity;
        PduArea = pduArea;
    }

    public ushort Index { get; }
    public byte* IcdSlot { get; }
    public int IcdCapacity { get; }
    public byte* PduArea { get; }

    public TcpRequestState TcpState;
    /// <summary>The data buffer (the ICD slot or a pool buffer); null when the command has no data.</summary>
    public byte* Buffer;
    public bool BufferFromPool;
    /// <summary>The SGL length: bytes the command moves.</summary>
    public uint TransferLength;
    /// <summary>H2C bytes received so far, over all of its R2Ts.</summary>
    public uint H2CReceived;
    /// <summary>First byte not yet asked for by an R2T.</summary>
    public uint R2TNextOffset;
    /// <summary>R2Ts sent whose data has not all arrived.</summary>
    public int R2TsActive;
    /// <summary>A data digest mismatch was seen: complete with Transient Transport Error.</summary>
    public bool DataDigestError;
    /// <summary>The other half of a fused pair, linked in arrival order (SPDK fused_pair).</summary>
    public TcpRequest? FusedPair;
    /// <summary>A fused half whose partner is missing: completes with Aborted due to Missing Fused Command.</summary>
    public bool FusedFailed;
    /// <summary>Link in the poll group's wait-for-buffer queue.</summary>
    public TcpRequest? NextWaiting;
}
