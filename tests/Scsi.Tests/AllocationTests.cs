// "No allocation per I/O" through the SCSI layer: a reactor keeps 16 READ/WRITE(10) tasks from a
// ScsiTaskPool in flight on the malloc LUN (each completion starts the next), and the GC's per-thread
// counter on that reactor must not grow with the number of commands.
using Scsi.Tests.Support;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests;

public sealed class AllocationTests : IAsyncLifetime
{
    private ScsiTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ScsiTestHost.StartAsync();
    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private sealed class Stream : IScsiTaskCompletion
    {
        public const int Depth = 16;
        private readonly ScsiDevice _device;
        private readonly ScsiTaskPool _pool = new(Depth, 4);
        private readonly nint _buffers;
        private readonly byte[] _cdb = new byte[10];
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _allocatedAtStart;
        private long _issued;
        private int _inFlight;
        public long Remaining;
        public int Errors;

        public Stream(ScsiDevice device, nint buffers) { _device = device; _buffers = buffers; }

        public Task<long> Completed => _done.Task;

        public void Start()
        {
            _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Depth; i++) Next(i);
        }

        private void Next(int slot)
        {
            if (Remaining <= 0) return;
            Remaining--;
            long n = _issued++;
            ScsiTask task = _pool.Take()!;
            bool write = (n & 1) == 0;
            _cdb[0] = write ? ScsiOpcode.Write10 : ScsiOpcode.Read10;
            _cdb[5] = (byte)((n % 64) * 8);
            _cdb[8] = 8;
            task.SetCdb(_cdb);
            task.Direction = write ? ScsiDataDirection.ToDevice : ScsiDataDirection.FromDevice;
            task.Tag = (ulong)slot;
            task.AddSegment(_buffers + slot * 4096, 4096);
            _inFlight++;
            _device.Execute(task, this);
        }

        public void OnScsiTaskComplete(ScsiTask task)
        {
            if (task.Status != ScsiStatus.Good) Errors++;
            int slot = (int)task.Tag;
            _pool.Return(task);
            _inFlight--;
            Next(slot);
            if (_inFlight == 0) _done.TrySetResult(GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart);
        }
    }

    private async Task<long> AllocatedForAsync(long commands)
    {
        using var buffers = new NativeBuffer(Stream.Depth * 4096);
        Stream s = null!;
        await _host.Reactors[0].InvokeAsync(() =>
        {
            s = new Stream(_host.Device, buffers.Address) { Remaining = commands };
            s.Start();
            return true;
        });
        long bytes = await s.Completed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, s.Errors);
        return bytes;
    }

    [Fact]
    public async Task Read_write_stream_allocates_nothing_per_command()
    {
        await AllocatedForAsync(2_000); // warm up: channels, scratch, JIT
        long small = await AllocatedForAsync(2_000);
        long large = await AllocatedForAsync(50_000);
        Assert.True(large - small < 8_192, $"{small} bytes for 2,000 commands, {large} for 50,000");
    }
}
