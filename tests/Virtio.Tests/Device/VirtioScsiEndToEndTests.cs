// virtio-scsi end to end: the in-process target serves a virtio-scsi endpoint created over the RPC
// methods; the test virtio driver (vfio-user client, split rings in a memfd "guest RAM") sends
// virtio_scsi_req_cmd buffers the way Linux's virtio_scsi does (lun byte 0 = 1, byte 1 = target,
// bytes 2-3 = 0x4000 | LUN) and checks INQUIRY, READ CAPACITY, WRITE/READ, sense data, the control
// queue (TMFs, AN query) and hotplug events on the event queue.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Target.Core.Rpc;
using Target.Initiator.VfioUser;
using Target.Virtio.Pci;
using Target.Virtio.Scsi;
using Virtio.Tests.Support;

namespace Virtio.Tests.Device;

public sealed class VirtioScsiEndToEndTests : IDisposable
{
    private const int RespSize = 12 + 96;
    private readonly VirtioHarness _h = new(0, 1);
    private readonly string _socket;

    public VirtioScsiEndToEndTests()
    {
        _h.CreateMalloc("M0", blocks: 8192);
        _h.Call("vfu_virtio_create_scsi_endpoint", new JsonObject { ["name"] = "scsi0", ["num_io_queues"] = 2, ["qsize"] = 64 });
        _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 0, ["bdev_name"] = "M0" });
        _socket = Path.Combine(_h.Directory, "scsi0");
    }

    public void Dispose() => _h.Dispose();

    private TestVirtioBlkDriver Connect()
    {
        var d = TestVirtioBlkDriver.Connect(_socket);
        d.Initialize(queues: 4, size: 64); // control, event, 2 request queues
        return d;
    }

    private sealed record Result(byte Response, byte Status, byte[] Sense, uint Residual, uint UsedLen, byte[] DataIn);

    /// <summary>One command on <paramref name="q"/>: header (+data-out) readable, response (+data-in) writable.</summary>
    private static Result Command(TestVirtioBlkDriver d, TestSplitQueue q, byte[] cdb, int target = 0, int lun = 0,
        byte[]? dataOut = null, int dataIn = 0, ulong tag = 1, byte lun0 = 1)
    {
        DmaBuffer req = d.Arena.Allocate(51);
        req.Span.Clear();
        req.Span[0] = lun0;
        req.Span[1] = (byte)target;
        req.Span[2] = (byte)(0x40 | (lun >> 8));
        req.Span[3] = (byte)lun;
        BinaryPrimitives.WriteUInt64LittleEndian(req.Span[8..], tag);
        cdb.CopyTo(req.Span[19..]);
        DmaBuffer resp = d.Arena.Allocate(RespSize);
        resp.Span.Fill(0xEE);
        var chain = new List<(ulong, uint, bool)> { (req.Iova, 51, false) };
        if (dataOut is not null)
        {
            DmaBuffer o = d.Arena.Allocate(dataOut.Length);
            dataOut.CopyTo(o.Span);
            chain.Add((o.Iova, (uint)dataOut.Length, false));
        }
        chain.Add((resp.Iova, RespSize, true));
        DmaBuffer @in = default;
        if (dataIn > 0)
        {
            @in = d.Arena.Allocate(dataIn);
            @in.Span.Clear();
            chain.Add((@in.Iova, (uint)dataIn, true));
        }
        ushort head = q.AddChain(chain.ToArray());
        q.Publish(head);
        q.Kick();
        var (id, len) = q.WaitUsed();
        Assert.Equal(head, (ushort)id);
        uint senseLen = BinaryPrimitives.ReadUInt32LittleEndian(resp.Span);
        return new Result(resp.Span[11], resp.Span[10], resp.Span.Slice(12, (int)Math.Min(senseLen, 96u)).ToArray(),
            BinaryPrimitives.ReadUInt32LittleEndian(resp.Span[4..]), len, dataIn > 0 ? @in.Span.ToArray() : Array.Empty<byte>());
    }

    private static byte[] Rw10(byte op, uint lba, ushort blocks)
    {
        var c = new byte[10];
        c[0] = op;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), blocks);
        return c;
    }

    [Fact]
    public void Device_identity_features_and_config()
    {
        using var d = TestVirtioBlkDriver.Connect(_socket);
        uint ids = d.Client.ReadConfig32(0);
        Assert.Equal(0x1af4u, ids & 0xFFFF);
        Assert.Equal(0x1048u, ids >> 16);
        ulong f = d.DeviceFeatures();
        Assert.Equal(VirtioScsiSpec.FeatureInOut | VirtioScsiSpec.FeatureHotplug | VirtioScsiSpec.FeatureChange, f & 0xFF);
        Assert.NotEqual(0ul, f & VirtioFeatures.Version1);
        byte[] cfg = d.ReadDeviceConfig(36);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(cfg));                 // num_queues (request queues)
        Assert.Equal(126u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(4)));     // seg_max
        Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(8)));    // max_sectors
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(12)));     // cmd_per_lun
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(16)));     // event_info_size
        Assert.Equal(96u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(20)));     // sense_size
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(24)));     // cdb_size
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(cfg.AsSpan(28)));       // max_channel
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(cfg.AsSpan(30)));       // max_target
        Assert.Equal(255u, BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(32)));    // max_lun
    }

    [Fact]
    public void Inquiry_read_capacity_write_read()
    {
        using var d = Connect();
        TestSplitQueue q0 = d.Queues[2], q1 = d.Queues[3];

        Result inq = Command(d, q0, new byte[] { 0x12, 0, 0, 0, 96, 0 }, dataIn: 96);
        Assert.Equal((byte)0, inq.Response);
        Assert.Equal((byte)0, inq.Status);
        Assert.Equal("INTEL   Malloc disk     0001", Encoding.ASCII.GetString(inq.DataIn, 8, 28));
        Assert.Equal((uint)RespSize + 96, inq.UsedLen);
        Assert.Equal(0u, inq.Residual);

        Result cap = Command(d, q1, new byte[] { 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, dataIn: 8);
        Assert.Equal("00001FFF00000200", Convert.ToHexString(cap.DataIn));

        var data = new byte[8 * 512];
        new Random(3).NextBytes(data);
        Result w = Command(d, q0, Rw10(0x2A, 100, 8), dataOut: data);
        Assert.Equal(((byte)0, (byte)0), (w.Response, w.Status));
        Result r = Command(d, q1, Rw10(0x28, 100, 8), dataIn: data.Length);
        Assert.Equal(((byte)0, (byte)0), (r.Response, r.Status));
        Assert.Equal(data, r.DataIn);

        // A larger buffer than the transfer: the rest is the residual.
        r = Command(d, q0, Rw10(0x28, 100, 1), dataIn: 4096);
        Assert.Equal(4096u - 512, r.Residual);
        Assert.Equal(data.AsSpan(0, 512).ToArray(), r.DataIn[..512]);
    }

    [Fact]
    public void Errors_carry_sense_and_virtio_responses()
    {
        using var d = Connect();
        TestSplitQueue q = d.Queues[2];
        Result bad = Command(d, q, new byte[] { 0xC7, 0, 0, 0, 0, 0 });
        Assert.Equal((byte)0, bad.Response);
        Assert.Equal((byte)2, bad.Status); // CHECK CONDITION
        Assert.Equal("700005000000000A00000000200000C00000", Convert.ToHexString(bad.Sense));

        Result range = Command(d, q, Rw10(0x28, 8192, 1), dataIn: 512);
        Assert.Equal("700005000000000A00000000210000000000", Convert.ToHexString(range.Sense));

        Assert.Equal(VirtioScsiSpec.ResponseBadTarget, Command(d, q, new byte[6], target: 5).Response);
        Assert.Equal(VirtioScsiSpec.ResponseBadTarget, Command(d, q, new byte[6], lun0: 2).Response);
        // A LUN the target does not have: the SCSI layer answers LOGICAL UNIT NOT SUPPORTED.
        Result noLun = Command(d, q, new byte[6], lun: 3);
        Assert.Equal("700005000000000A00000000250000000000", Convert.ToHexString(noLun.Sense));
    }

    /// <summary>One raw chain on <paramref name="q"/>: the used length and the response buffer.</summary>
    private static (uint UsedLen, byte[] Response) Raw(TestVirtioBlkDriver d, TestSplitQueue q, int headerBytes, int responseBytes, int dataOut = 0, int dataIn = 0)
    {
        DmaBuffer req = d.Arena.Allocate(Math.Max(headerBytes, 1));
        req.Span.Clear();
        req.Span[0] = 1; // target 0, LUN 0, TEST UNIT READY: valid but for the cut
        DmaBuffer resp = d.Arena.Allocate(responseBytes);
        resp.Span.Fill(0xEE);
        var chain = new List<(ulong, uint, bool)> { (req.Iova, (uint)headerBytes, false) };
        if (dataOut > 0) chain.Add((d.Arena.Allocate(dataOut).Iova, (uint)dataOut, false));
        chain.Add((resp.Iova, (uint)responseBytes, true));
        if (dataIn > 0) chain.Add((d.Arena.Allocate(dataIn).Iova, (uint)dataIn, true));
        ushort head = q.AddChain(chain.ToArray());
        q.Publish(head);
        q.Kick();
        var (id, len) = q.WaitUsed();
        Assert.Equal(head, (ushort)id);
        return (len, resp.Span.ToArray());
    }

    [Fact]
    public void Malformed_requests_get_failure_or_come_back_unanswered_and_the_queue_keeps_working()
    {
        using var d = Connect();
        TestSplitQueue q = d.Queues[2];
        // Header shorter than lun + tag + attributes + cdb: FAILURE in the response header.
        var shortHeader = Raw(d, q, headerBytes: 10, responseBytes: RespSize);
        Assert.Equal((uint)VirtioScsiSpec.RespHeader, shortHeader.UsedLen);
        Assert.Equal(VirtioScsiSpec.ResponseFailure, shortHeader.Response[11]);
        // Room for the response header but not for the sense the device was configured with: FAILURE.
        var shortResponse = Raw(d, q, headerBytes: 51, responseBytes: VirtioScsiSpec.RespHeader + 4);
        Assert.Equal(VirtioScsiSpec.ResponseFailure, shortResponse.Response[11]);
        // No room for even a response header: returned with nothing written.
        var noResponse = Raw(d, q, headerBytes: 51, responseBytes: 4);
        Assert.Equal(0u, noResponse.UsedLen);
        Assert.Equal(0xEE, noResponse.Response[0]);
        // Data both ways (no served command is bidirectional): FAILURE.
        var both = Raw(d, q, headerBytes: 51, responseBytes: RespSize, dataOut: 512, dataIn: 512);
        Assert.Equal(VirtioScsiSpec.ResponseFailure, both.Response[11]);
        // The queue still serves a well-formed command.
        Result ok = Command(d, q, new byte[6]); // TEST UNIT READY
        Assert.Equal((byte)0, ok.Response);
    }

    [Fact]
    public void Control_queue_tmfs_and_an_query()
    {
        using var d = Connect();
        TestSplitQueue ctrl = d.Queues[0];

        byte Tmf(uint subtype, int target, ulong tag)
        {
            DmaBuffer req = d.Arena.Allocate(24);
            req.Span.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(req.Span, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(req.Span[4..], subtype);
            req.Span[8] = 1;
            req.Span[9] = (byte)target;
            req.Span[10] = 0x40;
            BinaryPrimitives.WriteUInt64LittleEndian(req.Span[16..], tag);
            DmaBuffer resp = d.Arena.Allocate(1);
            resp.Span[0] = 0xEE;
            ushort head = ctrl.AddChain((req.Iova, 24, false), (resp.Iova, 1, true));
            ctrl.Publish(head);
            ctrl.Kick();
            var (_, len) = ctrl.WaitUsed();
            Assert.Equal(1u, len);
            return resp.Span[0];
        }

        Assert.Equal(VirtioScsiSpec.ResponseFunctionComplete, Tmf(VirtioScsiSpec.TmfAbortTask, 0, 12345));
        Assert.Equal(VirtioScsiSpec.ResponseFunctionComplete, Tmf(VirtioScsiSpec.TmfLogicalUnitReset, 0, 0));
        Assert.Equal(VirtioScsiSpec.ResponseBadTarget, Tmf(VirtioScsiSpec.TmfLogicalUnitReset, 6, 0));
        Assert.Equal(VirtioScsiSpec.ResponseFunctionRejected, Tmf(VirtioScsiSpec.TmfClearAca, 0, 0));
        Assert.Equal(VirtioScsiSpec.ResponseFunctionRejected, Tmf(99, 0, 0));
        // The LUN reset left BUS DEVICE RESET FUNCTION OCCURRED for the next command.
        Result tur = Command(d, d.Queues[2], new byte[6]);
        Assert.Equal("700006000000000A00000000290300000000", Convert.ToHexString(tur.Sense));
        Assert.Equal((byte)0, Command(d, d.Queues[2], new byte[6]).Status);

        DmaBuffer an = d.Arena.Allocate(16);
        an.Span.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(an.Span, VirtioScsiSpec.ControlAnQuery);
        an.Span[4] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(an.Span[12..], 0xFF);
        DmaBuffer anResp = d.Arena.Allocate(5);
        anResp.Span.Fill(0xEE);
        ushort h = ctrl.AddChain((an.Iova, 16, false), (anResp.Iova, 5, true));
        ctrl.Publish(h);
        ctrl.Kick();
        Assert.Equal(5u, ctrl.WaitUsed().Len);
        Assert.Equal("0000000000", Convert.ToHexString(anResp.Span));
    }

    [Fact]
    public void Targets_added_and_removed_at_runtime_raise_hotplug_events()
    {
        _h.CreateMalloc("M1", blocks: 2048);
        using var d = Connect();
        TestSplitQueue ev = d.Queues[1];
        var buffers = new List<DmaBuffer>();
        for (int i = 0; i < 4; i++)
        {
            DmaBuffer b = d.Arena.Allocate(16);
            b.Span.Fill(0xEE);
            buffers.Add(b);
            ev.Publish(ev.AddChain((b.Iova, 16, true)));
        }
        // Nothing happens until there is an event: the buffers stay with the driver's ring.
        Assert.True(ev.StaysIdle(100));

        (uint Event, byte Target, uint Reason) NextEvent()
        {
            var (id, len) = ev.WaitUsed();
            Assert.Equal(16u, len);
            DmaBuffer b = buffers[(int)id];
            Assert.Equal(1, b.Span[4]);
            return (BinaryPrimitives.ReadUInt32LittleEndian(b.Span), b.Span[5], BinaryPrimitives.ReadUInt32LittleEndian(b.Span[12..]));
        }

        _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 3, ["bdev_name"] = "M1" });
        Assert.Equal((VirtioScsiSpec.EventTransportReset, (byte)3, VirtioScsiSpec.ReasonRescan), NextEvent());
        Result inq = Command(d, d.Queues[2], new byte[] { 0x12, 0, 0, 0, 36, 0 }, target: 3, dataIn: 36);
        Assert.Equal((byte)0, inq.Status);

        _h.Call("vfu_virtio_scsi_remove_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 3 });
        Assert.Equal((VirtioScsiSpec.EventTransportReset, (byte)3, VirtioScsiSpec.ReasonRemoved), NextEvent());
        Assert.Equal(VirtioScsiSpec.ResponseBadTarget, Command(d, d.Queues[2], new byte[6], target: 3).Response);

        // Deleting the bdev of target 0 hot-removes the target.
        _h.DeleteBdev("M0");
        Assert.Equal((VirtioScsiSpec.EventTransportReset, (byte)0, VirtioScsiSpec.ReasonRemoved), NextEvent());
        Assert.Equal(VirtioScsiSpec.ResponseBadTarget, Command(d, d.Queues[3], new byte[6], target: 0).Response);
    }

    [Fact]
    public void Rpc_errors_and_endpoint_listing()
    {
        RpcException e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 0, ["bdev_name"] = "M0" }));
        Assert.Equal((-32602, "File exists"), (e.Code, e.Message));
        e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 8, ["bdev_name"] = "M0" }));
        Assert.Equal((-32602, "Invalid argument"), (e.Code, e.Message));
        e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "nope", ["scsi_target_num"] = 1, ["bdev_name"] = "M0" }));
        Assert.Equal((-32602, "No such file or directory"), (e.Code, e.Message));
        e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_scsi_remove_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 2 }));
        Assert.Equal((-32602, "No such file or directory"), (e.Code, e.Message));
        e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_create_scsi_endpoint", new JsonObject { ["name"] = "scsi0" }));
        Assert.Equal((-32602, "File exists"), (e.Code, e.Message));
        e = Assert.Throws<RpcException>(() => _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 1, ["bdev_name"] = "Missing" }));
        Assert.Equal((-32602, "Bad address"), (e.Code, e.Message));

        var list = (JsonArray)_h.Call("vfu_virtio_get_endpoints", null)!;
        JsonObject ep = Assert.IsType<JsonObject>(Assert.Single(list));
        Assert.Equal("virtio_scsi", (string?)ep["type"]);
        Assert.Equal(2, (int)ep["num_queues"]!);
        JsonArray targets = (JsonArray)ep["targets"]!;
        Assert.Equal("M0", (string?)Assert.Single(targets)!["bdev_name"]);

        _h.Call("vfu_virtio_delete_endpoint", new JsonObject { ["name"] = "scsi0" });
        Assert.False(File.Exists(_socket));
    }

    [Fact]
    public async Task Resize_sends_param_change_and_reset_is_not_held_by_event_buffers()
    {
        using var d = Connect();
        TestSplitQueue ev = d.Queues[1];
        var buffers = new List<DmaBuffer>();
        for (int i = 0; i < 2; i++)
        {
            DmaBuffer b = d.Arena.Allocate(16);
            buffers.Add(b);
            ev.Publish(ev.AddChain((b.Iova, 16, true)));
        }
        await _h.Reactors.Main.InvokeAsync(() => _h.Bdevs.Resize(_h.Bdevs.Find("M0")!, 16384));
        var (id, len) = ev.WaitUsed();
        Assert.Equal(16u, len);
        byte[] e = buffers[(int)id].Span.ToArray();
        Assert.Equal(VirtioScsiSpec.EventParamChange, BinaryPrimitives.ReadUInt32LittleEndian(e));
        Assert.Equal(0x2Au | (0x09u << 8), BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(12))); // CAPACITY DATA HAS CHANGED
        // The SCSI layer reports it too, then the new capacity.
        Result ua = Command(d, d.Queues[2], new byte[6]);
        Assert.Equal("700006000000000A000000002A0900000000", Convert.ToHexString(ua.Sense));
        Result cap = Command(d, d.Queues[2], new byte[] { 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, dataIn: 8);
        Assert.Equal("00003FFF00000200", Convert.ToHexString(cap.DataIn));

        // One event buffer is still posted: a reset must not wait for it (it was never taken).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        d.Reset();
        Assert.True(watch.ElapsedMilliseconds < 2000, $"reset took {watch.ElapsedMilliseconds} ms");
        // And the device comes back for the next driver.
        d.Initialize(queues: 4, size: 64);
        Assert.Equal((byte)0, Command(d, d.Queues[3], new byte[6]).Status);
    }

    [Fact]
    public async Task Save_config_writes_the_endpoint_and_its_targets()
    {
        _h.CreateMalloc("M1", blocks: 2048);
        _h.Call("vfu_virtio_scsi_add_target", new JsonObject { ["name"] = "scsi0", ["scsi_target_num"] = 5, ["bdev_name"] = "M1" });
        JsonArray config = (await new Target.Virtio.Rpc.VirtioConfigSubsystem(_h.Target).WriteConfigAsync())!;
        string text = config.ToJsonString();
        Assert.Contains("\"method\":\"vfu_virtio_create_scsi_endpoint\",\"params\":{\"name\":\"scsi0\",\"cpumask\":\"0x3\",\"num_io_queues\":2,\"qsize\":64,\"packed_ring\":false}", text);
        Assert.Contains("\"method\":\"vfu_virtio_scsi_add_target\",\"params\":{\"name\":\"scsi0\",\"scsi_target_num\":0,\"bdev_name\":\"M0\"}", text);
        Assert.Contains("\"method\":\"vfu_virtio_scsi_add_target\",\"params\":{\"name\":\"scsi0\",\"scsi_target_num\":5,\"bdev_name\":\"M1\"}", text);
    }
}
