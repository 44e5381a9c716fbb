// What can be wrong with what a driver put in a ring (issue 8 point 6). Queue faults make the ring
// unusable: the queue stops and the device raises DEVICE_NEEDS_RESET. Request faults spoil one
// buffer only: the device model answers it with an error status when it can.
namespace Target.Virtio.Ring;

public enum RingFault : byte
{
    None,
    // ---- queue faults
    /// <summary>
    /// The ring itself is not in readable/writable guest memory. Reported by TryPop but not fatal for
    /// a queue: the DMA map may be between an unmap and a remap; a failed used-ring write is.
    /// </summary>
    RingUnmapped,
    /// <summary>avail.idx moved by more than the queue size since the device last looked.</summary>
    AvailIndexJump,
    /// <summary>A head or next index is not below the table size.</summary>
    IndexOutOfRange,
    /// <summary>A chain visits more descriptors than its table holds (a loop, or longer than the queue).</summary>
    ChainTooLong,
    /// <summary>An indirect descriptor inside an indirect table.</summary>
    NestedIndirect,
    /// <summary>An indirect descriptor with NEXT, a length that is 0 or not a multiple of 16, or INDIRECT not negotiated.</summary>
    BadIndirect,
    // ---- request faults
    /// <summary>A buffer is outside the DMA map or its mapping forbids the access.</summary>
    BufferUnmapped,
    /// <summary>A device-readable descriptor after a device-writable one.</summary>
    ReadableAfterWritable,
    /// <summary>addr + len wraps, or the chain's bytes do not fit 32 bits.</summary>
    LengthOverflow,
    /// <summary>More segments than a request holds.</summary>
    TooManySegments,
}

public static class RingFaults
{
    public static bool IsQueueFault(RingFault f) => f is >= RingFault.RingUnmapped and <= RingFault.BadIndirect;
}
