// One SCSI command (SPDK struct spdk_scsi_task): the CDB, the LUN and tag it is addressed by, the
// data segments in the transport's memory (guest pages, pool buffers: never copied for READ/WRITE),
// and, once done, its status, fixed-format sense data and residual.
//
// Tasks are preallocated in a ScsiTaskPool owned by one transport queue; CDB, sense and segment
// storage are allocated with the task, so executing one allocates nothing. A task is touched only
// on its pool's reactor. Lifecycle: Take → fill (SetCdb, AddSegment) → ScsiDevice.Execute → the
// completion callback reads the result → Return. The fields after "execution state" belong to the
// SCSI layer while the task executes.
using Target.Core.Memory;
using Target.Scsi.Spec;

namespace Target.Scsi;

public sealed unsafe class ScsiTask
{
    /// <summary>Largest CDB accepted (virtio-scsi's default cdb_size; SPC allows up to 260 with variable length).</summary>
    public const int MaxCdbLength = 32;
    /// <summary>Sense bytes produced: the fixed format only.</summary>
    public const int SenseCapacity = FixedSenseData.Size;

    private readonly IoVec[] _segments;
    private readonly byte[] _cdb = new byte[MaxCdbLength];
    private readonly byte[] _sense = new byte[SenseCapacity];

    internal ScsiTask(ScsiTaskPool? pool, int maxSegments)
    {
        Pool = pool;
        _segments = new IoVec[maxSegments];
    }

    /// <summary>A task not taken from a pool (tests, one-off control commands).</summary>
    public ScsiTask(int maxSegments = 16) : this(null, maxSegments) { }

    public ScsiTaskPool? Pool { get; }
    public ScsiTaskState State { get; private set; }

    // ---- request ---------------------------------------------------------------------------

    /// <summary>LUN within the device (0..255).</summary>
    public int Lun { get; set; }
    /// <summary>The initiator's tag, which ABORT TASK / QUERY TASK name.</summary>
    public ulong Tag { get; set; }
    public ScsiDataDirection Direction { get; set; }
    public int CdbLength { get; private set; }
    public ReadOnlySpan<byte> Cdb => new(_cdb, 0, CdbLength);
    /// <summary>Sum of the segment lengths: the initiator's expected data transfer length.</summary>
    public ulong TransferLength { get; private set; }
    public int SegmentCount { get; private set; }
    public int MaxSegments => _segments.Length;
    public ReadOnlySpan<IoVec> Segments => new(_segments, 0, SegmentCount);
    /// <summary>Transport context (the request that carries this task); not used by the SCSI layer.</summary>
    public object? TransportContext { get; set; }

    /// <summary>Copies the CDB (at most MaxCdbLength bytes; the rest of the buffer is zeroed).</summary>
    public void SetCdb(ReadOnlySpan<byte> cdb)
    {
        int n = Math.Min(cdb.Length, MaxCdbLength);
        cdb[..n].CopyTo(_cdb);
        Array.Clear(_cdb, n, MaxCdbLength - n);
        CdbLength = n;
    }

    /// <summary>Appends a data segment; false when the task has no room for another.</summary>
    public bool AddSegment(nint address, nuint length)
    {
        if (SegmentCount == _segments.Length) return false;
        _segments[SegmentCount++] = new IoVec(address, length);
        TransferLength += length;
        return true;
    }

    // ---- result ----------------------------------------------------------------------------

    public ScsiStatus Status { get; internal set; }
    public int SenseLength { get; private set; }
    public ReadOnlySpan<byte> Sense => new(_sense, 0, SenseLength);
    /// <summary>Bytes moved to or from the segments.</summary>
    public ulong DataTransferred { get; internal set; }
    /// <summary>Underflow residual: TransferLength − DataTransferred.</summary>
    public ulong Residual => TransferLength > DataTransferred ? TransferLength - DataTransferred : 0;
    /// <summary>The CDB asked for more data than the segments hold (virtio-scsi: VIRTIO_SCSI_S_OVERRUN).</summary>
    public bool Overrun { get; internal set; }
    /// <summary>Ended by a task management function (ABORT TASK, LOGICAL UNIT RESET, ...).</summary>
    public bool Aborted { get; internal set; }

    // ---- execution state (SCSI layer) ------------------------------------------------------

    internal IScsiTaskCompletion? Completion;
    internal ScsiLunChannel? LunChannel;
    /// <summary>Intrusive links of the LUN channel's in-flight list and of its resource wait queue.</summary>
    internal ScsiTask? PrevInFlight, NextInFlight, NextWaiting;
    internal bool AbortRequested;
    /// <summary>Issues the task's current bdev I/O; re-run when the channel had no free I/O.</summary>
    internal delegate*<ScsiLunChannel, ScsiTask, void> Step;
    /// <summary>What runs after the current bdev I/O succeeded; null finishes the task GOOD.</summary>
    internal delegate*<ScsiLunChannel, ScsiTask, void> AfterIo;
    internal Target.Bdev.BdevIoType CurrentIo;
    /// <summary>Progress of multi-I/O commands (UNMAP descriptors, WRITE SAME chunks).</summary>
    internal ulong NextLba, RemainingBlocks;
    internal int NextIndex;
    internal bool Fua;
    internal TaskCompletionSource? AbortWaiter;

    internal void SetState(ScsiTaskState state)
    {
        Pool?.CountTransition(State, state);
        State = state;
    }

    /// <summary>Clears request and result for reuse (ScsiTaskPool.Take does this).</summary>
    public void Reset()
    {
        Lun = 0;
        Tag = 0;
        Direction = ScsiDataDirection.None;
        CdbLength = 0;
        TransferLength = 0;
        SegmentCount = 0;
        TransportContext = null;
        ClearResult();
    }

    internal void ClearResult()
    {
        Status = ScsiStatus.Good;
        SenseLength = 0;
        DataTransferred = 0;
        Overrun = false;
        Aborted = false;
        AbortRequested = false;
        Completion = null;
        LunChannel = null;
        PrevInFlight = NextInFlight = NextWaiting = null;
        Step = null;
        AfterIo = null;
        NextLba = RemainingBlocks = 0;
        NextIndex = 0;
        Fua = false;
        AbortWaiter = null;
    }

    /// <summary>CHECK CONDITION with fixed-format sense (SPC-4 §4.5.3).</summary>
    public void SetCheckCondition(SenseKey key, SenseCode code)
    {
        Status = ScsiStatus.CheckCondition;
        WriteSense(key, code, 0, 0);
    }

    /// <summary>CHECK CONDITION ILLEGAL REQUEST with a field pointer to CDB byte <paramref name="cdbByte"/> (bit -1: whole byte).</summary>
    public void SetInvalidCdbField(SenseCode code, int cdbByte, int bit = -1)
    {
        Status = ScsiStatus.CheckCondition;
        WriteSense(SenseKey.IllegalRequest, code, FixedSenseData.FieldPointerFlags(inCdb: true, bit), (ushort)cdbByte);
    }

    /// <summary>CHECK CONDITION ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST, pointing at parameter byte <paramref name="paramByte"/>.</summary>
    public void SetInvalidParameterField(int paramByte)
    {
        Status = ScsiStatus.CheckCondition;
        WriteSense(SenseKey.IllegalRequest, SenseCode.InvalidFieldInParameterList, FixedSenseData.FieldPointerFlags(inCdb: false, -1), (ushort)paramByte);
    }

    /// <summary>A status without sense data (GOOD, BUSY, TASK SET FULL, TASK ABORTED).</summary>
    public void SetStatus(ScsiStatus status)
    {
        Status = status;
        SenseLength = 0;
    }

    private void WriteSense(SenseKey key, SenseCode code, byte sks0, ushort fieldPointer)
    {
        ref FixedSenseData s = ref System.Runtime.CompilerServices.Unsafe.As<byte, FixedSenseData>(ref _sense[0]);
        s = default;
        s.ResponseCode = FixedSenseData.CurrentErrors;
        s.SenseKeyByte = (byte)key;
        s.AdditionalSenseLength = FixedSenseData.AdditionalLength;
        s.Asc = code.Asc;
        s.Ascq = code.Ascq;
        s.SenseKeySpecific0 = sks0;
        if (sks0 != 0) s.FieldPointer = fieldPointer;
        SenseLength = FixedSenseData.Size;
    }

    /// <summary>Fills <paramref name="destination"/> with the sense data REQUEST SENSE reports (no error: NO SENSE).</summary>
    internal static void WriteFixedSense(Span<byte> destination, SenseKey key, SenseCode code)
    {
        ref FixedSenseData s = ref System.Runtime.InteropServices.MemoryMarshal.AsRef<FixedSenseData>(destination);
        s = default;
        s.ResponseCode = FixedSenseData.CurrentErrors;
        s.SenseKeyByte = (byte)key;
        s.AdditionalSenseLength = FixedSenseData.AdditionalLength;
        s.Asc = code.Asc;
        s.Ascq = code.Ascq;
    }

    public override string ToString() => CdbLength > 0 ? $"task tag {Tag} lun {Lun} op 0x{_cdb[0]:x2}" : $"task tag {Tag}";
}
