// The notify page of BAR4 (0x3000–0x3FFF): a memfd the endpoint hands to the client as the
// sparse-mmap fd, so guest doorbell writes land in shared memory with no vfio-user message (as
// SPDK's <name>_bar4 file). The file is 16 KiB so region offsets equal file offsets; only the
// notify page is mapped here. Queues poll their rings, so the page is read only for statistics.
using System.Text;
using Target.Core.Interop;

namespace Target.Virtio.Pci;

public sealed unsafe class NotifyArea : IDisposable
{
    private nint _page;

    public NotifyArea(string name)
    {
        byte[] n = Encoding.UTF8.GetBytes("virtio-notify-" + name + "\0");
        fixed (byte* p = n) Fd = Libc.MemfdCreate(p, Libc.MFD_CLOEXEC);
        if (Fd < 0) throw new IOException("memfd_create failed: errno " + Errno.Last);
        if (Libc.Ftruncate(Fd, (long)VirtioPciLayout.VirtioBarSize) != 0)
        {
            int e = Errno.Last;
            Fd = Libc.CloseFd(Fd);
            throw new IOException("ftruncate failed: errno " + e);
        }
        void* m = Libc.Mmap(null, (nuint)VirtioPciLayout.NotifyLength, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, Fd, (long)VirtioPciLayout.NotifyOffset);
        if (Libc.MapFailed(m))
        {
            int e = Errno.Last;
            Fd = Libc.CloseFd(Fd);
            throw new IOException("mmap failed: errno " + e);
        }
        _page = (nint)m;
    }

    public int Fd { get; private set; }

    /// <summary>The last value the driver wrote to queue <paramref name="queue"/>'s doorbell.</summary>
    public uint Read(int queue) =>
        _page != 0 && (uint)queue < VirtioPciLayout.NotifyLength / VirtioPciLayout.NotifyOffMultiplier ? Volatile.Read(ref ((uint*)_page)[queue]) : 0;

    /// <summary>A trapped doorbell write (client did not mmap the page): stored like a mapped one.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (_page == 0 || offset >= VirtioPciLayout.NotifyLength) return;
        int n = (int)Math.Min((ulong)data.Length, VirtioPciLayout.NotifyLength - offset);
        data[..n].CopyTo(new Span<byte>((byte*)_page + offset, n));
    }

    public void Dispose()
    {
        // The page stays mapped (a queue reactor may still read it); the fd goes.
        Fd = Libc.CloseFd(Fd);
    }
}
