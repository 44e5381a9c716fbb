// Where a SCSI task is in its life; ScsiTaskPool counts tasks per state (SPDK's state_cntr) so a
// queue's teardown can check nothing is left behind.
namespace Target.Scsi;

public enum ScsiTaskState : byte
{
    /// <summary>In its pool.</summary>
    Free,
    /// <summary>Taken by the transport, being filled (CDB, segments).</summary>
    Allocated,
    /// <summary>Handed to the SCSI layer, not waiting for anything.</summary>
    Executing,
    /// <summary>The bdev channel had no free I/O; retried when one of the LUN channel's I/Os completes.</summary>
    WaitingForResources,
    /// <summary>One bdev I/O in flight for it.</summary>
    InBdev,
    /// <summary>Finished; the completion callback is queued or running.</summary>
    Completing,
}
