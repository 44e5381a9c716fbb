// Test host: two reactors, a bdev registry with the malloc module, a ScsiDevice "dev0" with LUN 0
// over a 4 MiB malloc bdev (512 B blocks), and helpers that execute one command on a reactor and
// return its outcome (status, sense, transferred bytes, residual) once the completion ran.
using Target.Bdev;
using Target.Bdev.Modules.Malloc;
using Target.Core.Reactors;
using Target.Scsi;
using Target.Scsi.Spec;

namespace Scsi.Tests.Support;

public sealed class ScsiTestHost : IAsyncDisposable
{
    public const ulong Blocks = 8192;
    public const uint BlockSize = 512;

    public ScsiTestHost()
    {
        Reactors = new ReactorSet(new[] { 0, 1 });
        Reactors.Start();
        Registry = new BdevRegistry(Reactors);
        Malloc = new MallocBdevModule(Registry);
    }

    public ReactorSet Reactors { get; }
    public BdevRegistry Registry { get; }
    public MallocBdevModule Malloc { get; }
    public ScsiDevice Device { get; private set; } = null!;
    public List<(int Lun, ScsiLunEvent Event)> Events { get; } = new();

    public static async Task<ScsiTestHost> StartAsync(bool withLun = true)
    {
        var host = new ScsiTestHost();
        await host.OnMain(() =>
        {
            Assert.Equal(0, host.Malloc.Create("M0", BlockSize, Blocks, Guid.Parse("6c1b2a3d-4e5f-4071-8293-a4b5c6d7e8f9"), 0, 0, -1, out _));
            host.Device = new ScsiDevice("dev0", 0, host.Registry, (d, lun, e) => { lock (host.Events) host.Events.Add((lun, e)); });
            if (withLun) Assert.Equal(0, host.Device.AddLun(0, "M0"));
            return true;
        });
        return host;
    }

    public Task<T> OnMain<T>(Func<T> fn) => Reactors.Main.InvokeAsync(fn);

    /// <summary>Registers a TestBdev named <paramref name="name"/> (main reactor).</summary>
    public async Task<TestBdev> AddTestBdevAsync(string name, ulong blocks = 1024)
    {
        var driver = new TestBdev();
        await OnMain(() =>
        {
            var bdev = new Target.Bdev.Bdev(name, "Test disk", BlockSize, blocks, Guid.NewGuid(), new TestBdevModule(), driver);
            Assert.Equal(0, Registry.Register(bdev));
            return true;
        });
        return driver;
    }

    public async Task<ScsiResult> RunAsync(byte[] cdb, ScsiDataDirection direction = ScsiDataDirection.None, NativeBuffer? buffer = null,
        int lun = 0, int reactor = 0, ScsiDevice? device = null, ulong tag = 0, int segments = 1)
        => await await StartAsync(cdb, direction, buffer, lun, reactor, device, tag, segments);

    /// <summary>Starts a command; the outer task completes once Execute returned, the inner one with the outcome.</summary>
    public async Task<Task<ScsiResult>> StartAsync(byte[] cdb, ScsiDataDirection direction = ScsiDataDirection.None, NativeBuffer? buffer = null,
        int lun = 0, int reactor = 0, ScsiDevice? device = null, ulong tag = 0, int segments = 1)
    {
        ScsiDevice dev = device ?? Device;
        var waiter = new Waiter();
        await Reactors[reactor].InvokeAsync(() =>
        {
            var task = new ScsiTask(64) { Lun = lun, Tag = tag, Direction = direction };
            task.SetCdb(cdb);
            if (buffer is not null && buffer.Length > 0)
            {
                int each = buffer.Length / segments;
                for (int i = 0; i < segments; i++)
                    Assert.True(task.AddSegment(buffer.Address + i * each, (nuint)(i == segments - 1 ? buffer.Length - i * each : each)));
            }
            dev.Execute(task, waiter);
            waiter.ReturnedFromExecute = true;
            return true;
        });
        return waiter.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public ValueTask DisposeAsync() => Reactors.DisposeAsync();

    private sealed class Waiter : IScsiTaskCompletion
    {
        private readonly TaskCompletionSource<ScsiResult> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public volatile bool ReturnedFromExecute;
        public Task<ScsiResult> Task => _tcs.Task;

        public void OnScsiTaskComplete(ScsiTask task)
        {
            Assert.True(ReturnedFromExecute, "completion ran on the Execute stack");
            _tcs.TrySetResult(new ScsiResult(task.Status, task.Sense.ToArray(), task.DataTransferred, task.Residual, task.Overrun, task.Aborted));
        }
    }
}

public sealed record ScsiResult(ScsiStatus Status, byte[] Sense, ulong DataTransferred, ulong Residual, bool Overrun, bool Aborted)
{
    public void AssertGood()
    {
        Assert.True(Status == ScsiStatus.Good, $"status {Status}, sense {Convert.ToHexString(Sense)}");
    }

    /// <summary>Fixed-format sense: key, ASC/ASCQ, and bytes 15-17 (SKSV/field pointer).</summary>
    public static byte[] FixedSense(SenseKey key, byte asc, byte ascq, byte sks0 = 0, ushort fieldPointer = 0)
    {
        var s = new byte[18];
        s[0] = 0x70;
        s[2] = (byte)key;
        s[7] = 10;
        s[12] = asc;
        s[13] = ascq;
        s[15] = sks0;
        s[16] = (byte)(fieldPointer >> 8);
        s[17] = (byte)fieldPointer;
        return s;
    }

    public void AssertCheckCondition(byte[] expectedSense)
    {
        Assert.Equal(ScsiStatus.CheckCondition, Status);
        Assert.Equal(Convert.ToHexString(expectedSense), Convert.ToHexString(Sense));
        Assert.Equal(0ul, DataTransferred);
    }
}

/// <summary>CDB builders (big-endian fields).</summary>
public static class Cdbs
{
    public static byte[] Tur() => new byte[6];
    public static byte[] Inquiry(ushort alloc, bool evpd = false, byte page = 0) => new byte[] { 0x12, (byte)(evpd ? 1 : 0), page, (byte)(alloc >> 8), (byte)alloc, 0 };
    public static byte[] RequestSense(byte alloc, bool desc = false) => new byte[] { 0x03, (byte)(desc ? 1 : 0), 0, 0, alloc, 0 };
    public static byte[] ReportLuns(uint alloc, byte select = 0) { var c = new byte[12]; c[0] = 0xA0; c[2] = select; Be32(c, 6, alloc); return c; }
    public static byte[] ReadCapacity10() => new byte[] { 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    public static byte[] ReadCapacity16(uint alloc) { var c = new byte[16]; c[0] = 0x9E; c[1] = 0x10; Be32(c, 10, alloc); return c; }
    public static byte[] ModeSense6(byte page, byte alloc, bool dbd = false, int pc = 0, byte subpage = 0)
        => new byte[] { 0x1A, (byte)(dbd ? 0x08 : 0), (byte)((pc << 6) | page), subpage, alloc, 0 };
    public static byte[] ModeSense10(byte page, ushort alloc, bool dbd = false, bool llbaa = false)
        => new byte[] { 0x5A, (byte)((dbd ? 0x08 : 0) | (llbaa ? 0x10 : 0)), page, 0, 0, 0, 0, (byte)(alloc >> 8), (byte)alloc, 0 };

    /// <summary>READ/WRITE/VERIFY/SYNC CACHE/WRITE SAME of any size: opcode picks the layout.</summary>
    public static byte[] Rw(byte opcode, ulong lba, uint blocks, byte flags = 0)
    {
        int len = Target.Scsi.Spec.Cdb.LengthOf(opcode);
        var c = new byte[len];
        c[0] = opcode;
        switch (len)
        {
            case 6: c[1] = (byte)((lba >> 16) & 0x1F); c[2] = (byte)(lba >> 8); c[3] = (byte)lba; c[4] = (byte)blocks; break;
            case 10: c[1] = flags; Be32(c, 2, (uint)lba); c[7] = (byte)(blocks >> 8); c[8] = (byte)blocks; break;
            case 12: c[1] = flags; Be32(c, 2, (uint)lba); Be32(c, 6, blocks); break;
            default: c[1] = flags; Be32(c, 2, (uint)(lba >> 32)); Be32(c, 6, (uint)lba); Be32(c, 10, blocks); break;
        }
        return c;
    }

    public static byte[] Unmap(ushort paramLength) { var c = new byte[10]; c[0] = 0x42; c[7] = (byte)(paramLength >> 8); c[8] = (byte)paramLength; return c; }

    public static void Be32(byte[] b, int at, uint v) { b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v; }
}
