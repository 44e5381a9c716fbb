// Task management functions (SAM-5 §7) a transport can ask of a device, and their responses
// (SAM-5 §7.1, Table 47). virtio-scsi's VIRTIO_SCSI_T_TMF_* and response codes map onto these.
namespace Target.Scsi;

public enum ScsiTmfFunction : byte
{
    AbortTask,
    AbortTaskSet,
    ClearTaskSet,
    ClearAca,
    LogicalUnitReset,
    ItNexusReset,
    QueryTask,
    QueryTaskSet,
}

public enum ScsiTmfResponse : byte
{
    /// <summary>Done (for ABORT TASK also: the task was not found, so nothing is left to abort).</summary>
    FunctionComplete,
    /// <summary>QUERY TASK / QUERY TASK SET: the task (a task) exists.</summary>
    FunctionSucceeded,
    FunctionRejected,
    IncorrectLun,
    ServiceDeliveryOrTargetFailure,
}
