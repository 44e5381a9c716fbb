// Which way a task's data segments move (SAM-5 data-in / data-out buffers).
namespace Target.Scsi;

public enum ScsiDataDirection : byte
{
    /// <summary>No data buffer.</summary>
    None,
    /// <summary>Data-in: the device writes the segments (READ, INQUIRY, ...).</summary>
    FromDevice,
    /// <summary>Data-out: the device reads the segments (WRITE, UNMAP parameter list, ...).</summary>
    ToDevice,
}
