// One virtio-blk request queue on its reactor: parses each buffer (16-byte header in the readable
// bytes, status in the last writable byte, data between — however the driver cut it into
// descriptors), checks it against the bdev, and submits straight from the guest segments (zero
// copy) on this reactor's bdev channel. Status bytes: OK, IOERR (bad request, range, media error,
// bdev gone), UNSUPP (unknown type, feature not offered, unknown flags). No allocation per I/O:
// BlkRequests are made once per ring slot, bdev retries wait in an intrusive list.
using System.Buffers.Binary;
using System.Text;
using Target.Bdev;
using Target.Core.Interop;
using Target.Virtio.Pci;
using Target.Virtio.Ring;

namespace Target.Virtio.Blk;

internal sealed class BlkQueueHandler : IVirtqueueHandler, IBdevIoCompletion
{
    private readonly VirtioBlkDevice _device;
    private readonly byte[] _id = new byte[BlkConfigLayout.IdBytes];
    private VirtqueueRunner? _queue;
    private BdevChannel? _channel;
    private BlkRequest? _waitHead, _waitTail;

    public BlkQueueHandler(VirtioBlkDevice device)
    {
        _device = device;
        byte[] name = Encoding.ASCII.GetBytes(device.BdevName);
        Array.Copy(name, _id, Math.Min(name.Length, _id.Length));
    }

    public void Start(VirtqueueRunner queue)
    {
        _queue = queue;
        foreach (VirtqueueRequest r in queue.AllRequests) r.DeviceState ??= new BlkRequest(r);
        BdevDesc? d = _device.Desc;
        if (d is not null && !d.IsClosed) _channel = d.GetChannel();
    }

    public void Stop() => _waitHead = _waitTail = null;

    public int Poll()
    {
        int work = 0;
        while (_waitHead is { } r)
        {
            _waitHead = r.NextWaiting;
            if (_waitHead is null) _waitTail = null;
            r.NextWaiting = null;
            work++;
            if (!Submit(r)) break; // still no resources: it went back to the list
        }
        return work;
    }

    public void Handle(VirtqueueRequest request)
    {
        var r = (BlkRequest)request.DeviceState!;
        DescriptorChain c = request.Chain;
        if (c.Fault != RingFault.None)
        {
            if (VirtioLog.Flag.IsEnabled) Serilog.Log.Debug("virtio-blk {Name}: request {Id}: {Fault}", _device.EndpointName, c.Id, c.Fault);
            FinishFaulted(request);
            return;
        }
        if (c.WritableBytes < 1)
        {
            Serilog.Log.Warning("virtio-blk {Name}: request {Id} has no device-writable status byte; returned unanswered", _device.EndpointName, c.Id);
            request.Queue.Complete(request, 0);
            return;
        }
        r.DataWritten = 0;
        Span<byte> header = stackalloc byte[BlkConfigLayout.HeaderSize];
        if (!c.CopyReadable(0, header)) { Finish(request, BlkStatus.IoErr); return; }
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        ulong features = request.Queue.Device.NegotiatedFeatures;
        switch (type)
        {
            case BlkRequestType.In:
            {
                uint len = c.WritableBytes - 1;
                if (c.ReadableBytes != BlkConfigLayout.HeaderSize || !SetRange(r, sector, len)) { Finish(request, BlkStatus.IoErr); return; }
                r.IovCount = c.Slice(writable: true, 0, len, r.Iovs);
                if (r.IovCount < 0) { Finish(request, BlkStatus.IoErr); return; }
                r.IoType = BdevIoType.Read;
                r.DataWritten = len;
                break;
            }
            case BlkRequestType.Out:
            {
                uint len = c.ReadableBytes - BlkConfigLayout.HeaderSize;
                if (c.WritableBytes != 1 || !SetRange(r, sector, len)) { Finish(request, BlkStatus.IoErr); return; }
                r.IovCount = c.Slice(writable: false, BlkConfigLayout.HeaderSize, len, r.Iovs);
                if (r.IovCount < 0) { Finish(request, BlkStatus.IoErr); return; }
                r.IoType = BdevIoType.Write;
                break;
            }
            case BlkRequestType.Flush:
                if ((features & BlkFeatures.Flush) == 0) { Finish(request, BlkStatus.Unsupp); return; }
                r.IoType = BdevIoType.Flush;
                r.OffsetBlocks = 0;
                r.NumBlocks = _device.Bdev.NumBlocks;
                r.IovCount = 0;
                break;
            case BlkRequestType.GetId:
            {
                int n = (int)Math.Min((uint)_id.Length, c.WritableBytes - 1);
                if (!c.CopyToWritable(0, _id.AsSpan(0, n))) { Finish(request, BlkStatus.IoErr); return; }
                r.DataWritten = (uint)n;
                Finish(request, BlkStatus.Ok);
                return;
            }
            case BlkRequestType.Discard:
            case BlkRequestType.WriteZeroes:
            {
                bool discard = type == BlkRequestType.Discard;
                if ((features & (discard ? BlkFeatures.Discard : BlkFeatures.WriteZeroes)) == 0) { Finish(request, BlkStatus.Unsupp); return; }
                if (c.ReadableBytes != BlkConfigLayout.HeaderSize + BlkConfigLayout.RangeSize || c.WritableBytes != 1) { Finish(request, BlkStatus.IoErr); return; }
                Span<byte> range = stackalloc byte[BlkConfigLayout.RangeSize];
                c.CopyReadable(BlkConfigLayout.HeaderSize, range);
                ulong start = BinaryPrimitives.ReadUInt64LittleEndian(range);
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(range[8..]);
                uint flags = BinaryPrimitives.ReadUInt32LittleEndian(range[12..]);
                // Discard has no flags; write-zeroes knows only UNMAP (bit 0), which a zeroing bdev may ignore.
                if ((discard ? flags : flags & ~1u) != 0) { Finish(request, BlkStatus.Unsupp); return; }
                if (count == 0 || count > VirtioBlkDevice.MaxDiscardSectors || !SetRange(r, start, count * (uint)BlkConfigLayout.SectorSize))
                { Finish(request, BlkStatus.IoErr); return; }
                r.IoType = discard ? BdevIoType.Unmap : BdevIoType.WriteZeroes;
                r.IovCount = 0;
                break;
            }
            default:
                Finish(request, BlkStatus.Unsupp);
                return;
        }
        Submit(r);
    }

    /// <summary>Sector range → bdev blocks: non-empty, sector-multiple, block-aligned, inside the bdev.</summary>
    private bool SetRange(BlkRequest r, ulong sector, uint bytes)
    {
        uint bs = _device.Bdev.BlockSize;
        if (bytes == 0 || bytes % BlkConfigLayout.SectorSize != 0 || bytes % bs != 0) return false;
        if (sector > ulong.MaxValue / BlkConfigLayout.SectorSize) return false;
        ulong offset = sector * BlkConfigLayout.SectorSize;
        if (offset % bs != 0) return false;
        ulong blocks = _device.Bdev.NumBlocks;
        r.OffsetBlocks = offset / bs;
        r.NumBlocks = bytes / bs;
        return r.OffsetBlocks <= blocks && r.NumBlocks <= blocks - r.OffsetBlocks;
    }

    /// <summary>Submits; false when the bdev had no resources (queued for retry).</summary>
    private bool Submit(BlkRequest r)
    {
        BdevDesc? d = _device.Desc;
        if (d is null || _channel is null) { Finish(r.Request, BlkStatus.IoErr); return true; }
        int rc = d.Submit(_channel, r.IoType, r.OffsetBlocks, r.NumBlocks, r.Iovs.AsSpan(0, Math.Max(r.IovCount, 0)), this, r);
        if (rc == -Errno.ENOMEM)
        {
            Wait(r);
            return false;
        }
        if (rc != 0) Finish(r.Request, BlkStatus.IoErr);
        return true;
    }

    private void Wait(BlkRequest r)
    {
        r.NextWaiting = null;
        if (_waitTail is null) _waitHead = r; else _waitTail.NextWaiting = r;
        _waitTail = r;
    }

    public void OnBdevIoComplete(BdevIoStatus status, object? context)
    {
        var r = (BlkRequest)context!;
        if (status == BdevIoStatus.NoMemory) { Wait(r); return; }
        if (status != BdevIoStatus.Success && VirtioLog.Flag.IsEnabled)
            Serilog.Log.Debug("virtio-blk {Name}: {Type} of {Blocks} block(s) at {Offset} failed: {Status}", _device.EndpointName, r.IoType, r.NumBlocks, r.OffsetBlocks, status);
        Finish(r.Request, status == BdevIoStatus.Success ? BlkStatus.Ok : BlkStatus.IoErr);
    }

    private void Finish(VirtqueueRequest request, byte status)
    {
        var r = (BlkRequest)request.DeviceState!;
        DescriptorChain c = request.Chain;
        uint written = status == BlkStatus.Ok ? r.DataWritten : 0;
        ReadOnlySpan<byte> s = [status];
        c.CopyToWritable(c.WritableBytes - 1, s);
        // IN data counts as written only on success; the status byte always.
        request.Queue.Complete(request, written + 1);
    }

    /// <summary>A request fault: IOERR into the last device-writable byte if it is reachable, else returned unanswered.</summary>
    private unsafe void FinishFaulted(VirtqueueRequest request)
    {
        DescriptorChain c = request.Chain;
        uint written = 0;
        if (c.LastWritableLen > 0 && request.Queue.Memory.TryTranslate(c.LastWritableAddr + c.LastWritableLen - 1, 1, true, out nint p, out _))
        {
            *(byte*)p = BlkStatus.IoErr;
            written = 1;
        }
        request.Queue.Complete(request, written);
    }
}
