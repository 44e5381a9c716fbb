// The one errno → NVMe completion status mapping, for backends that fail an I/O with an errno
// (kernel AIO results, future network block devices). Values match what the target already answers
// for the same failure through BlockStatus (IoCommands) and DataPointerStatus (vfio-user): invalid
// argument → Invalid Field, out of range → LBA Out of Range, not supported → Invalid Opcode, out of
// resources → Namespace Not Ready (retryable), a bad address → Data Transfer Error; a plain I/O
// error and anything unlisted → Internal Error.
using Target.Core.Interop;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvme;

public static class ErrnoNvmeStatus
{
    /// <summary>The NVMe status for a positive <paramref name="errno"/> (0 is Success).</summary>
    public static NvmeStatus From(int errno) => errno switch
    {
        0 => NvmeStatus.Success,
        Errno.EINVAL or Errno.E2BIG or Errno.EMSGSIZE => NvmeStatus.InvalidField,
        Errno.ERANGE or Errno.EOVERFLOW => NvmeStatus.LbaOutOfRange,
        Errno.ENOSPC or Errno.EDQUOT or Errno.EFBIG => NvmeStatus.Generic(GenericStatus.CapacityExceeded, dnr: true),
        Errno.ENOTSUP or Errno.ENOSYS => NvmeStatus.InvalidOpcode,
        Errno.ECANCELED => NvmeStatus.Generic(GenericStatus.AbortedByRequest),
        Errno.ENOMEM or Errno.EAGAIN or Errno.ENOBUFS or Errno.EBUSY => NvmeStatus.Generic(GenericStatus.NamespaceNotReady),
        Errno.EFAULT => NvmeStatus.Generic(GenericStatus.DataTransferError, dnr: true),
        Errno.EROFS => NvmeStatus.Generic(GenericStatus.NamespaceWriteProtected, dnr: true),
        Errno.EPERM or Errno.EACCES => NvmeStatus.Generic(GenericStatus.OperationDenied, dnr: true),
        _ => NvmeStatus.InternalError,
    };
}
