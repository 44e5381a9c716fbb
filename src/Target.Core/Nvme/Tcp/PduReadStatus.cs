// Outcome of PduReader.TryReadHeader.
namespace Target.Core.Nvme.Tcp;

public enum PduReadStatus : byte
{
    /// <summary>The header area is complete and valid; the reader moved past it.</summary>
    Ok,
    /// <summary>More bytes are needed; nothing was consumed.</summary>
    NeedMore,
    /// <summary>The PDU is malformed; the error tells the TermReq to send.</summary>
    Error,
}
