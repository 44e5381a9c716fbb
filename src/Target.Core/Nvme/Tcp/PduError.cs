// Why a received PDU is fatal: the FES and FEI a TermReq reports (NVMe TCP Transport 1.0
// §3.6.2.4; nvme-tcp.md §1.7). For InvalidHeaderField / UnsupportedParameter the FEI is the byte
// offset of the offending field inside the PDU.
namespace Target.Core.Nvme.Tcp;

public readonly struct PduError
{
    public PduError(FatalErrorStatus fes, uint fei)
    {
        Fes = fes;
        Fei = fei;
    }

    public FatalErrorStatus Fes { get; }
    public uint Fei { get; }
    public bool IsError => Fes != FatalErrorStatus.None;

    public static PduError InvalidField(int offset) => new(FatalErrorStatus.InvalidHeaderField, (uint)offset);
    public static PduError Unsupported(int offset) => new(FatalErrorStatus.UnsupportedParameter, (uint)offset);
    public static PduError Of(FatalErrorStatus fes) => new(fes, 0);

    public override string ToString() => "FES " + ((int)Fes).ToString("x2") + " FEI " + Fei;
}
