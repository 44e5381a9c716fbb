using Target.Core.Interop;
using Target.Core.Nvme;
using Target.Core.Nvme.Spec;
using Target.Core.Rpc;

namespace Target.Core.Tests.Interop;

public class ErrnoTests
{
    [Fact]
    public void LastIsTheErrnoOfTheFailedCall()
    {
        Assert.Equal(-1, Libc.Close(-1));
        Assert.Equal(Errno.EBADF, Errno.Last);
    }

    [Fact]
    public void TextIsStrerror()
    {
        Assert.Equal("No such file or directory", Errno.Text(Errno.ENOENT));
        Assert.Equal("No such device", Errno.Text(Errno.ENODEV));
        Assert.Equal("Invalid argument", Errno.Text(Errno.EINVAL));
    }

    [Fact]
    public void RpcErrorIsNegativeErrnoWithStrerrorText()
    {
        RpcException e = RpcException.Errno(Errno.ENODEV);
        Assert.Equal(-19, e.Code);
        Assert.Equal("No such device", e.Message);
        Assert.Equal("No rate limits specified", RpcException.Errno(Errno.EINVAL, "No rate limits specified").Message);
    }

    [Theory]
    [InlineData(0, StatusCodeType.Generic, GenericStatus.Success, false)]
    [InlineData(Errno.EINVAL, StatusCodeType.Generic, GenericStatus.InvalidField, true)]
    [InlineData(Errno.ERANGE, StatusCodeType.Generic, GenericStatus.LbaOutOfRange, true)]
    [InlineData(Errno.ENOSPC, StatusCodeType.Generic, GenericStatus.CapacityExceeded, true)]
    [InlineData(Errno.ENOTSUP, StatusCodeType.Generic, GenericStatus.InvalidOpcode, true)]
    [InlineData(Errno.ECANCELED, StatusCodeType.Generic, GenericStatus.AbortedByRequest, false)]
    [InlineData(Errno.ENOMEM, StatusCodeType.Generic, GenericStatus.NamespaceNotReady, false)]
    [InlineData(Errno.EFAULT, StatusCodeType.Generic, GenericStatus.DataTransferError, true)]
    [InlineData(Errno.EROFS, StatusCodeType.Generic, GenericStatus.NamespaceWriteProtected, true)]
    [InlineData(Errno.EIO, StatusCodeType.Generic, GenericStatus.InternalError, false)]
    [InlineData(Errno.ECONNRESET, StatusCodeType.Generic, GenericStatus.InternalError, false)]
    public void NvmeStatusOfErrno(int errno, StatusCodeType sct, GenericStatus sc, bool dnr)
    {
        NvmeStatus s = ErrnoNvmeStatus.From(errno);
        Assert.Equal(sct, s.Sct);
        Assert.Equal((byte)sc, s.Sc);
        Assert.Equal(dnr, s.Dnr);
    }
}
