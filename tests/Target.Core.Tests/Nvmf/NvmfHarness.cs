// A reactor-less target with the fake transport and backend, plus helpers that build SQEs and run
// commands through a FakeQpair exactly as a transport would.
using System.Runtime.InteropServices;
using System.Text;
using Target.Core.Nvme.Spec;
using Target.Core.Nvmf;

namespace Target.Core.Tests.Nvmf;

internal sealed class NvmfHarness
{
    public const string SubNqn = "nqn.2016-06.io.spdk:cnode1";
    public const string HostNqn = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";

    public readonly RamResolver Resolver = new();
    public readonly TransportRegistry Registry = new();
    public readonly NvmfTarget Target;
    public readonly FakeTransport Transport;
    public readonly Subsystem Subsystem;
    public readonly RamBackend Backend;

    public NvmfHarness(bool allowAnyHost = true, bool addNamespace = true)
    {
        Registry.Register(new FakeTransportFactory());
        Target = new NvmfTarget(null, Registry, Resolver);
        Transport = new FakeTransport(new TransportOptions());
        Target.AddTransportAsync(Transport).GetAwaiter().GetResult();
        Backend = new RamBackend("Malloc0", 512, 2048);
        Resolver.Bdevs.Add("Malloc0", Backend);
        Subsystem = Target.CreateSubsystem(SubNqn)!;
        Subsystem.AllowAnyHost = allowAnyHost;
        Subsystem.SerialNumber = "SPDK00000000000001";
        Subsystem.StartAsync().GetAwaiter().GetResult();
        if (addNamespace) Subsystem.AddNamespaceAsync("Malloc0", 1, null, null, null, 0).GetAwaiter().GetResult();
    }

    public FakeQpair NewQpair()
    {
        var q = new FakeQpair(Transport);
        Target.AddQpair(q);
        return q;
    }

    private ushort _cid = 1;

    public Request NewRequest(Qpair q, int dataBytes = 0)
    {
        var r = new Request(q);
        r.Sqe.Cid = _cid++;
        if (dataBytes > 0) r.AddSegment(new TestBuffer(dataBytes).Vec);
        return r;
    }

    public CompletionEntrySnapshot Run(FakeQpair q, Request r)
    {
        int before = q.Completions.Count;
        q.Execute(r);
        Assert.Equal(before + 1, q.Completions.Count);
        return q.Completions[^1].Cqe;
    }

    public Request ConnectRequest(FakeQpair q, ushort qid, ushort sqsize = 31, ushort cntlid = 0xFFFF, string subnqn = SubNqn, string hostnqn = HostNqn, uint kato = 0, ushort recfmt = 0)
    {
        var r = NewRequest(q, ConnectData.Size);
        r.Sqe.Opc = (byte)AdminOpcode.Fabrics;
        r.Sqe.FcType = (byte)FabricsCommandType.Connect;
        ref var cmd = ref MemoryMarshal.Cast<SubmissionEntry, ConnectCommand>(MemoryMarshal.CreateSpan(ref r.Sqe, 1))[0];
        cmd.Qid = qid;
        cmd.Sqsize = sqsize;
        cmd.Kato = kato;
        cmd.Recfmt = recfmt;
        var data = new byte[ConnectData.Size];
        for (int i = 0; i < 16; i++) data[i] = (byte)(i + 1);
        BitConverter.TryWriteBytes(data.AsSpan(ConnectData.CntlidOffset), cntlid);
        Encoding.ASCII.GetBytes(subnqn).CopyTo(data, ConnectData.SubNqnOffset);
        Encoding.ASCII.GetBytes(hostnqn).CopyTo(data, ConnectData.HostNqnOffset);
        r.CopyToData(data);
        return r;
    }

    public Request Property(FakeQpair q, bool set, uint offset, ulong value = 0, byte attrib = 0)
    {
        var r = NewRequest(q);
        r.Sqe.Opc = (byte)AdminOpcode.Fabrics;
        r.Sqe.FcType = (byte)(set ? FabricsCommandType.PropertySet : FabricsCommandType.PropertyGet);
        ref var cmd = ref MemoryMarshal.Cast<SubmissionEntry, PropertyCommand>(MemoryMarshal.CreateSpan(ref r.Sqe, 1))[0];
        cmd.Attrib = attrib;
        cmd.Ofst = offset;
        cmd.Value = value;
        return r;
    }

    /// <summary>Admin connect + CC.EN=1 (IOSQES 6, IOCQES 4); returns the admin qpair.</summary>
    public FakeQpair ConnectAdmin(uint kato = 0)
    {
        var q = NewQpair();
        var c = Run(q, ConnectRequest(q, 0, kato: kato));
        Assert.True(c.Status.IsSuccess, c.Status.ToString());
        Assert.True(Run(q, Property(q, true, ControllerRegisters.Cc, 1 | (6 << 16) | (4 << 20))).Status.IsSuccess);
        return q;
    }

    public FakeQpair ConnectIo(FakeQpair admin, ushort qid = 1)
    {
        var q = NewQpair();
        var c = Run(q, ConnectRequest(q, qid, cntlid: admin.Controller!.Cntlid));
        Assert.True(c.Status.IsSuccess, c.Status.ToString());
        return q;
    }

    public Request Admin(FakeQpair q, AdminOpcode opc, int dataBytes = 0, uint nsid = 0, uint cdw10 = 0, uint cdw11 = 0, uint cdw12 = 0, uint cdw13 = 0)
    {
        var r = NewRequest(q, dataBytes);
        r.Sqe.Opc = (byte)opc;
        r.Sqe.Nsid = nsid;
        r.Sqe.Cdw10 = cdw10;
        r.Sqe.Cdw11 = cdw11;
        r.Sqe.Cdw12 = cdw12;
        r.Sqe.Cdw13 = cdw13;
        return r;
    }

    public Request Io(FakeQpair q, NvmOpcode opc, ulong slba, uint nlb, int dataBytes, uint nsid = 1, FuseKind fuse = FuseKind.Normal)
    {
        var r = NewRequest(q, dataBytes);
        r.Sqe.Opc = (byte)opc;
        r.Sqe.Flags = (byte)fuse;
        r.Sqe.Nsid = nsid;
        r.Sqe.Cdw10 = (uint)slba;
        r.Sqe.Cdw11 = (uint)(slba >> 32);
        r.Sqe.Cdw12 = nlb - 1;
        return r;
    }

    public static byte[] Data(Request r)
    {
        var b = new byte[r.Length];
        r.CopyFromData(b);
        return b;
    }
}
