using System.Runtime.CompilerServices;
using System.Text;
using Target.Core.Interop;

namespace Target.Core.Tests.Interop;

public class NulTerminatedUtf8Tests
{
    [Theory]
    [InlineData("")]
    [InlineData("/var/tmp/spdk_cpu_lock_000")]
    [InlineData("/tmp/ünïcödé-päth")]
    public void ShortStringsUseTheStackBuffer(string value)
    {
        Span<byte> stack = stackalloc byte[NulTerminatedUtf8.StackSize];
        using var s = new NulTerminatedUtf8(value, stack);
        Assert.Equal(Encoding.UTF8.GetBytes(value + "\0"), s.Bytes.ToArray());
        Assert.True(Unsafe.AreSame(ref stack[0], ref s.GetPinnableReference()));
    }

    [Fact]
    public void LongStringsUseAPooledBuffer()
    {
        string value = "/" + new string('é', 3000);
        Span<byte> stack = stackalloc byte[NulTerminatedUtf8.StackSize];
        using var s = new NulTerminatedUtf8(value, stack);
        Assert.Equal(Encoding.UTF8.GetBytes(value + "\0"), s.Bytes.ToArray());
        Assert.False(Unsafe.AreSame(ref stack[0], ref s.GetPinnableReference()));
    }

    [Fact]
    public void OpenAndUnlinkTakeManagedPaths()
    {
        string path = Path.Combine(Path.GetTempPath(), "interop-ü-" + Guid.NewGuid().ToString("N"));
        int fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180);
        Assert.True(fd >= 0, "errno " + Errno.Last);
        Libc.Close(fd);
        Assert.True(File.Exists(path));
        Assert.Equal(0, Libc.UnlinkPath(path));
        Assert.False(File.Exists(path));
        Assert.Equal(-Errno.ENOENT, Libc.UnlinkPath(path));
    }
}
