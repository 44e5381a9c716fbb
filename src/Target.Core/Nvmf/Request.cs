// One NVMe command in flight (SPDK struct spdk_nvmf_request, Linux struct nvmet_req): the copied
// SQE, the CQE to fill, and the data as a fixed-capacity list of IoVec segments. Transports pool
// these per qpair (and may subclass to keep their own per-command state); the core never
// allocates one. NVMe Base 2.0 §4.2/§4.6 for the entries.
//
// Data contract: the transport sets the segments before Execute — for host-to-controller commands
// they hold the host's data (in-capsule data, H2C data, the 1024-byte Connect data); for
// controller-to-host commands they are an empty buffer of the command's transfer length (SGL/PRP
// length) that the core fills, setting DataLength to the bytes to send.
using System.Runtime.CompilerServices;
using Target.Core.Memory;
using Target.Core.Nvme.Spec;
using Target.Core.Storage;

namespace Target.Core.Nvmf;

public class Request : IBlockCompletion
{
    public const int DefaultMaxSegments = 16;

    private readonly IoVec[] _iov;

    /// <summary>The SQE as received (copied in by the transport).</summary>
    public SubmissionEntry Sqe;

    /// <summary>The CQE the core fills; CID/SQID/SQHD are set at completion.</summary>
    public CompletionEntry Cqe;

    public Request(Qpair qpair, int maxSegments = DefaultMaxSegments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        Qpair = qpair;
        _iov = new IoVec[maxSegments];
    }

    public Qpair Qpair { get; }

    /// <summary>Who moves data; the transport sets it (normally <c>Sqe.Direction</c>).</summary>
    public DataDirection Direction { get; set; }

    /// <summary>Total bytes covered by the data segments.</summary>
    public uint Length { get; private set; }

    /// <summary>Controller-to-host: bytes of valid data the core produced (≤ Length).</summary>
    public uint DataLength { get; set; }

    public int IovCount { get; private set; }
    public int MaxSegments => _iov.Length;
    public ReadOnlySpan<IoVec> Iov => new(_iov, 0, IovCount);

    /// <summary>Where the request is in the core (for teardown accounting and debugging).</summary>
    public RequestState State { get; internal set; }

    // Core-private per-command state; reset by the dispatcher.
    internal Namespace? Namespace;
    /// <summary>The namespace's channel on this reactor (cached by the poll group, no per-I/O lookup).</summary>
    internal INamespaceChannel? Channel;
    internal Request? FusedPartner;
    internal ulong StartLba;
    internal uint BlockCount;
    internal int PendingOps;
    internal BlockStatus FirstError;
    /// <summary>Set when the request counts toward a subsystem's in-flight I/O (pause draining).</summary>
    internal Subsystem? PauseCounted;

    public void ClearData()
    {
        IovCount = 0;
        Length = 0;
        DataLength = 0;
    }

    /// <summary>Appends a data segment; false when the segment list is full.</summary>
    public bool AddSegment(IoVec segment)
    {
        if (IovCount == _iov.Length) return false;
        _iov[IovCount++] = segment;
        Length += (uint)segment.Length;
        return true;
    }

    public unsafe bool AddSegment(void* address, uint length) => AddSegment(new IoVec(address, length));

    /// <summary>
    /// The segment storage itself, for a transport that maps data pointers straight into it (no
    /// second copy of the list); it then calls <see cref="UseSegmentsInPlace"/>.
    /// </summary>
    protected IoVec[] SegmentStorage => _iov;

    /// <summary>Takes the first <paramref name="count"/> entries the transport wrote into <see cref="SegmentStorage"/> as the data.</summary>
    protected void UseSegmentsInPlace(int count, uint length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)_iov.Length, nameof(count));
        IovCount = count;
        Length = length;
    }

    /// <summary>Copies data bytes starting at <paramref name="offset"/> into <paramref name="destination"/>; returns bytes copied.</summary>
    public unsafe int CopyFromData(Span<byte> destination, int offset = 0)
    {
        int copied = 0;
        for (int i = 0; i < IovCount && copied < destination.Length; i++)
        {
            int segLen = (int)_iov[i].Length;
            if (offset >= segLen) { offset -= segLen; continue; }
            int n = Math.Min(segLen - offset, destination.Length - copied);
            new ReadOnlySpan<byte>((byte*)_iov[i].Base + offset, n).CopyTo(destination.Slice(copied));
            copied += n;
            offset = 0;
        }
        return copied;
    }

    /// <summary>Copies <paramref name="source"/> into the data segments at <paramref name="offset"/>; returns bytes copied.</summary>
    public unsafe int CopyToData(ReadOnlySpan<byte> source, int offset = 0)
    {
        int copied = 0;
        for (int i = 0; i < IovCount && copied < source.Length; i++)
        {
            int segLen = (int)_iov[i].Length;
            if (offset >= segLen) { offset -= segLen; continue; }
            int n = Math.Min(segLen - offset, source.Length - copied);
            source.Slice(copied, n).CopyTo(new Span<byte>((byte*)_iov[i].Base + offset, n));
            copied += n;
            offset = 0;
        }
        return copied;
    }

    /// <summary>Zeroes the whole data buffer (controller-to-host pages: unfilled fields read as 0).</summary>
    public unsafe void ZeroData()
    {
        for (int i = 0; i < IovCount; i++)
            new Span<byte>((byte*)_iov[i].Base, (int)_iov[i].Length).Clear();
    }

    /// <summary>Sets the status and completes (see <see cref="Complete()"/>).</summary>
    internal void Complete(NvmeStatus status)
    {
        Cqe.NvmeStatus = status;
        Complete();
    }

    /// <summary>
    /// Fills CID/SQID/SQHD and hands the request back to the transport. Called exactly once per
    /// Execute, on the qpair's reactor.
    /// </summary>
    internal void Complete()
    {
        Cqe.Cid = Sqe.Cid;
        Qpair.OnRequestCompleting(this);
        State = RequestState.Completed;
        Qpair.CompleteRequest(this);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void IBlockCompletion.OnBlockComplete(BlockStatus status, object? context)
    {
        Qpair.PollGroup?.CountBackendCompleted();
        IoCommands.OnBlockComplete(this, status, context);
    }
}
