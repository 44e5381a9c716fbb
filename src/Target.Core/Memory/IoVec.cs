// One (address, length) data segment, laid out as struct iovec so arrays of it go straight to the
// kernel (preadv/io_submit/sendmsg). Data of every I/O is a list of these: a pool buffer, a
// malloc bdev's memory or a guest page alike.
using System.Runtime.InteropServices;

namespace Target.Core.Memory;

[StructLayout(LayoutKind.Sequential)]
public readonly struct IoVec
{
    public readonly nint Base;
    public readonly nuint Length;

    public IoVec(nint @base, nuint length)
    {
        Base = @base;
        Length = length;
    }

    public unsafe IoVec(void* @base, long length) : this((nint)@base, (nuint)length) { }

    public override string ToString() => $"[0x{Base:x}+{Length}]";
}
