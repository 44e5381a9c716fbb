// A minimal NVMe PCIe host driver for tests (NVMe Base 2.0 §3.5.1 initialization; §3.3 queues):
// programs AQA/ASQ/ACQ/CC through a register accessor, builds SQEs in guest memory, rings
// doorbells and reaps CQEs by phase tag. The same driver runs in-process (fake guest memory,
// direct poll) and over the vfio-user client (memfd guest memory, mmapped doorbells).
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Transports.VfioUser.Tests.Nvme;

internal interface IGuestRam
{
    Span<byte> Span(ulong iova, int length);
}

internal interface INvmeBus
{
    uint Read32(uint offset);
    void Write32(uint offset, uint value);
    void Doorbell(int slot, uint value);
    /// <summary>Lets the device make progress (poll in-process, or yield to the target).</summary>
    void Pump();
}

internal sealed class TestNvmeDriver
{
    private sealed class Queue
    {
        public ulong SqIova, CqIova;
        public int Size;
        public int SqTail, CqHead;
        public bool Phase = true;
        public ushort NextCid;
    }

    private readonly IGuestRam _ram;
    private readonly INvmeBus _bus;
    private readonly Dictionary<int, Queue> _queues = new();

    public TestNvmeDriver(IGuestRam ram, INvmeBus bus)
    {
        _ram = ram;
        _bus = bus;
    }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    public uint Csts => _bus.Read32(0x1C);

    public void Enable(ulong asq, ulong acq, int entries)
    {
        _bus.Write32(0x14, 0); // CC.EN = 0
        Wait(() => (Csts & 1) == 0, "CSTS.RDY = 0");
        _bus.Write32(0x24, (uint)((entries - 1) << 16 | (entries - 1)));
        _bus.Write32(0x28, (uint)asq);
        _bus.Write32(0x2C, (uint)(asq >> 32));
        _bus.Write32(0x30, (uint)acq);
        _bus.Write32(0x34, (uint)(acq >> 32));
        _queues[0] = new Queue { SqIova = asq, CqIova = acq, Size = entries };
        _ram.Span(acq, entries * 16).Clear();
        _bus.Write32(0x14, (4u << 20) | (6u << 16) | 1);
        Wait(() => (Csts & 1) == 1 || (Csts & 2) != 0, "CSTS.RDY = 1");
        Assert.Equal(0u, Csts & 2);
    }

    public void Disable()
    {
        _bus.Write32(0x14, 0);
        Wait(() => (Csts & 1) == 0, "CSTS.RDY = 0 after disable");
        _queues.Clear();
    }

    public void AddIoQueue(int qid, ulong sq, ulong cq, int size) =>
        _queues[qid] = new Queue { SqIova = sq, CqIova = cq, Size = size };

    /// <summary>Submits <paramref name="sqe"/> (CID assigned here) and waits for its completion.</summary>
    public CompletionEntry Run(int qid, SubmissionEntry sqe)
    {
        Submit(qid, ref sqe);
        return Reap(qid, sqe.Cid);
    }

    public void Submit(int qid, ref SubmissionEntry sqe)
    {
        var q = _queues[qid];
        sqe.Cid = q.NextCid++;
        MemoryMarshal.Write(_ram.Span(q.SqIova + (ulong)q.SqTail * 64, 64), in sqe);
        q.SqTail = (q.SqTail + 1) % q.Size;
        _bus.Doorbell(2 * qid, (uint)q.SqTail);
    }

    public void RingRaw(int qid, uint value) => _bus.Doorbell(2 * qid, value);

    public CompletionEntry Reap(int qid, ushort cid)
    {
        var q = _queues[qid];
        CompletionEntry cqe = default;
        Wait(() =>
        {
            cqe = MemoryMarshal.Read<CompletionEntry>(_ram.Span(q.CqIova + (ulong)q.CqHead * 16, 16));
            return cqe.Phase == q.Phase;
        }, "completion of cid " + cid + " on qid " + qid);
        q.CqHead = (q.CqHead + 1) % q.Size;
        if (q.CqHead == 0) q.Phase = !q.Phase;
        _bus.Doorbell(2 * qid + 1, (uint)q.CqHead);
        Assert.Equal(cid, cqe.Cid);
        return cqe;
    }

    public void Wait(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            _bus.Pump();
        }
    }

    public static SubmissionEntry Identify(uint cns, uint nsid, ulong prp1) => new()
    {
        Opc = (byte)AdminOpcode.Identify, Nsid = nsid, Prp1 = prp1, Cdw10 = cns,
    };

    public static SubmissionEntry CreateCq(ushort qid, int size, ulong prp1, ushort vector = 0, bool ien = true) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoCq, Prp1 = prp1, Cdw10 = (uint)((size - 1) << 16 | qid),
        Cdw11 = (uint)(vector << 16 | (ien ? 2 : 0) | 1),
    };

    public static SubmissionEntry CreateSq(ushort qid, int size, ulong prp1, ushort cqid) => new()
    {
        Opc = (byte)AdminOpcode.CreateIoSq, Prp1 = prp1, Cdw10 = (uint)((size - 1) << 16 | qid), Cdw11 = (uint)(cqid << 16 | 1),
    };

    public static SubmissionEntry ReadWrite(bool write, uint nsid, ulong lba, int blocks, ulong prp1, ulong prp2) => new()
    {
        Opc = (byte)(write ? NvmOpcode.Write : NvmOpcode.Read), Nsid = nsid, Prp1 = prp1, Prp2 = prp2,
        Cdw10 = (uint)lba, Cdw11 = (uint)(lba >> 32), Cdw12 = (uint)(blocks - 1),
    };
}
