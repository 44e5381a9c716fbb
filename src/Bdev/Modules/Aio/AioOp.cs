// The operations the aio bdev hands to the kernel; each maps to one IOCB_CMD_* opcode.
namespace Target.Bdev.Modules.Aio;

public enum AioOp : byte
{
    /// <summary>IOCB_CMD_PREADV: scatter read into an iovec array.</summary>
    Read,
    /// <summary>IOCB_CMD_PWRITEV: gather write from an iovec array.</summary>
    Write,
    /// <summary>IOCB_CMD_FSYNC: flush the file's data and metadata.</summary>
    Fsync,
}
