// What a PDU receiver has negotiated and will accept: direction, digests, the sender's data
// alignment and the largest data lengths (nvme-tcp.md §1.3, §1.4, §1.9, §5.3). Every length in
// a received header is checked against these before anything is sized from it.
namespace Target.Core.Nvme.Tcp;

public struct PduLimits
{
    /// <summary>True on the controller side (receives H2C PDUs), false on the host side.</summary>
    public bool ReceiveAsController;
    public bool HeaderDigest;
    public bool DataDigest;
    /// <summary>Data alignment the sender must honour (CPDA on the controller, HPDA on the host).</summary>
    public byte Pda;
    /// <summary>Largest in-capsule data of a CapsuleCmd.</summary>
    public uint MaxInCapsuleData;
    /// <summary>Largest data of one H2CData (MAXH2CDATA) or C2HData PDU.</summary>
    public uint MaxDataPerPdu;

    public static PduLimits ForController(uint maxInCapsuleData, uint maxH2CData) => new()
    {
        ReceiveAsController = true,
        MaxInCapsuleData = maxInCapsuleData,
        MaxDataPerPdu = maxH2CData,
    };

    public static PduLimits ForHost(uint maxC2HData) => new()
    {
        ReceiveAsController = false,
        MaxDataPerPdu = maxC2HData,
    };
}
