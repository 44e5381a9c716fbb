// One R2T a host is answering (NVMe TCP Transport 1.0 §3.6.2.7–§3.6.2.8): the command, the TTAG to
// echo, the next DATAO and the bytes of the R2T still to send. TcpHostQpair keeps these in a ring
// in arrival order, so several R2Ts of one command (MAXR2T > 0) are answered one after another.
namespace Target.Initiator;

internal struct H2CWork
{
    public HostRequest? Request;
    public ushort Ttag;
    public uint Offset;
    public uint Remaining;
}
