// One command slot of a vfio-user submission queue (SPDK struct nvmf_vfio_user_req): the core's
// Request plus the segment list the PRP/SGL walkers fill (over the Request's own storage), and, for commands the transport
// itself issues (the internal Connect and Property Set), a completion callback instead of a CQE.
// Preallocated per SQ entry; nothing is allocated per I/O.
using Target.Core.Nvmf;
using Target.Transports.VfioUser.Nvme;

namespace Target.Transports.VfioUser;

internal sealed class VfioUserRequest : Request
{
    public VfioUserRequest(Qpair qpair, int maxSegments) : base(qpair, maxSegments)
    {
        Segments = new SegmentList(SegmentStorage);
    }

    /// <summary>Writes into the Request's segment storage; <see cref="UseMappedSegments"/> adopts it.</summary>
    public SegmentList Segments { get; }

    /// <summary>Makes what the walkers mapped the request's data, without copying the list.</summary>
    public void UseMappedSegments() => UseSegmentsInPlace(Segments.Count, (uint)Segments.TotalLength);

    /// <summary>Set for transport-issued commands: called instead of posting a CQE.</summary>
    public Action<VfioUserRequest>? Internal { get; set; }

    /// <summary>The command was consumed from the SQ and holds a CQ slot reservation.</summary>
    public bool Reserved { get; set; }
}
