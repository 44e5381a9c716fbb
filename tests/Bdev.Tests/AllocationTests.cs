// "No allocation per I/O" through the bdev layer on the real modules: a reactor drives a stream of
// writes and reads (each completion submits the next one, QD 16) on a malloc bdev and on an aio bdev
// over an O_DIRECT file, and GC's per-thread counter on that reactor must not grow with the I/Os.
using Target.Bdev;
using Target.Core.Memory;
using Target.Bdev.Tests.Support;

namespace Target.Bdev.Tests;

public sealed class AllocationTests : IAsyncDisposable
{
    private readonly BdevTestHost _host = new(0);
    private readonly string _dir = Path.Combine("/var/tmp", "bdev-alloc-test-" + Guid.NewGuid().ToString("N"));

    public AllocationTests() => Directory.CreateDirectory(_dir);

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Keeps <see cref="Depth"/> I/Os in flight on the current reactor until Remaining is spent.</summary>
    private sealed unsafe class Stream : IBdevIoCompletion
    {
        public const int Depth = 16;
        private readonly BdevDesc _desc;
        private readonly BdevChannel _channel;
        private readonly IoVec[] _segments = new IoVec[Depth];
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private long _submitted;
        private long _allocatedAtStart;
        public long Remaining;
        public int Errors;

        public Stream(BdevDesc desc, nint buffers, int blockSize)
        {
            _desc = desc;
            _channel = desc.GetChannel();
            for (int i = 0; i < Depth; i++) _segments[i] = new IoVec(buffers + i * blockSize * 8, (nuint)(blockSize * 8));
        }

        public Task<long> Completed => _done.Task;

        public void Start()
        {
            _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Depth; i++) SubmitNext(i);
        }

        private void SubmitNext(int slot)
        {
            if (Remaining <= 0) return;
            Remaining--;
            long n = _submitted++;
            var type = (n & 1) == 0 ? BdevIoType.Write : BdevIoType.Read;
            int rc = _desc.Submit(_channel, type, (ulong)(n % 512) * 8, 8, new ReadOnlySpan<IoVec>(in _segments[slot]), this, (object?)Slots[slot]);
            if (rc != 0) { Errors++; return; }
            _inFlight++;
        }

        // Boxed slot numbers made once, so passing the context allocates nothing.
        private static readonly object[] Slots = MakeSlots();
        private static object[] MakeSlots() { var s = new object[Depth]; for (int i = 0; i < Depth; i++) s[i] = i; return s; }

        public void OnBdevIoComplete(BdevIoStatus status, object? context)
        {
            if (status != BdevIoStatus.Success) Errors++;
            _inFlight--;
            SubmitNext((int)context!);
            if (_inFlight == 0) _done.TrySetResult(GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart);
        }
    }

    private async Task<long> AllocatedBytesForAsync(string name, long ios)
    {
        var desc = await _host.OpenAsync(name);
        nint buffers = AllocBuffers();
        try
        {
            var s = await _host.OnMain(() => new Stream(desc, buffers, 512) { Remaining = ios });
            await _host.Reactors.Main.InvokeAsync(s.Start);
            long bytes = await s.Completed.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, s.Errors);
            await _host.OnMain(() => { desc.Close(); return true; });
            return bytes;
        }
        finally { FreeBuffers(buffers); }
    }

    private static unsafe nint AllocBuffers() => (nint)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(Stream.Depth * 4096 * 8, 4096);
    private static unsafe void FreeBuffers(nint p) => System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)p);

    [Fact]
    public async Task MallocAndAioAllocateNothingPerIo()
    {
        Assert.Equal(0, await _host.OnMain(() => _host.Malloc.Create("M0", 512, 8192, Guid.Empty, 0, 0, -1, out _)));
        string file = Path.Combine(_dir, "disk.img");
        using (var f = File.Create(file)) f.SetLength(8 << 20);
        Assert.Equal(0, await _host.OnMain(() => _host.Aio.Create("A0", file, 512, false, false, Guid.Empty, false, out _, out _)));

        foreach (string name in new[] { "M0", "A0" })
        {
            await AllocatedBytesForAsync(name, 2000); // warm-up: JIT, channel creation, pools
            long bytes = await AllocatedBytesForAsync(name, 20000);
            Assert.True(bytes / 20000 < 1, $"{name}: {bytes} bytes allocated on the reactor for 20000 I/Os");
        }
    }
}
