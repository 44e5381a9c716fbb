// One virtio-blk request queue of the host driver (virtio 1.2 §5.2.6): a split virtqueue in the
// DMA-mapped arena plus, per head descriptor, a request header, a status byte and one
// discard/write-zeroes range, all preallocated. A request is the chain
// [header (device-readable)] [data segments] [status (device-writable)]; the notify is a 16-bit
// store of the queue index into the mmapped notify area (a REGION_WRITE message only when the
// server left it trapped), and only when the device asks for it (NO_NOTIFY / avail_event).
// Completions are found by polling used->idx, or after the queue's MSI-X eventfd fired.
//
// Ownership: one thread at a time (the caller of Submit/Poll); no locks, no allocation per request.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Target.Core.Interop;
using Target.Initiator.VfioUser;

namespace Target.Initiator.Virtio;

public sealed unsafe class VirtioBlkQueue
{
    /// <summary>Data segments a request may carry at most (keeps the stack chain small).</summary>
    public const int MaxDataSegments = 254;

    private readonly VirtioBlkOverVfioUser _device;
    private readonly SplitVirtqueue _vq;
    private readonly VirtioBlkOutHeader* _headers;
    private readonly ulong _headersIova;
    private readonly byte* _status;
    private readonly ulong _statusIova;
    private readonly VirtioBlkDiscardRange* _ranges;
    private readonly ulong _rangesIova;
    private readonly nint _notify;
    private readonly VirtioBarWindow _notifyWindow;
    private readonly uint _notifyOffset;
    private readonly nint[] _functions;
    private readonly VirtioBlkCallback?[] _callbacks;
    private readonly object?[] _contexts;
    private readonly bool[] _syncDone;
    private readonly VirtioBlkCompletion[] _syncCompletion;
    private readonly int[] _abandoned;

    internal VirtioBlkQueue(VirtioBlkOverVfioUser device, ushort index, SplitVirtqueue vq, DmaBuffer headers, DmaBuffer status, DmaBuffer ranges,
        VirtioBarWindow notifyWindow, uint notifyOffset, int eventFd, ushort vector)
    {
        _device = device;
        Index = index;
        _vq = vq;
        _headers = (VirtioBlkOutHeader*)headers.Pointer;
        _headersIova = headers.Iova;
        _status = (byte*)status.Pointer;
        _statusIova = status.Iova;
        _ranges = (VirtioBlkDiscardRange*)ranges.Pointer;
        _rangesIova = ranges.Iova;
        _notifyWindow = notifyWindow;
        _notifyOffset = notifyOffset;
        _notify = notifyWindow.IsMapped ? notifyWindow.Mapped + (nint)notifyOffset : 0;
        EventFd = eventFd;
        Vector = vector;
        _functions = new nint[vq.Size];
        _callbacks = new VirtioBlkCallback?[vq.Size];
        _contexts = new object?[vq.Size];
        _syncDone = new bool[vq.Size];
        _syncCompletion = new VirtioBlkCompletion[vq.Size];
        _abandoned = new int[vq.Size];
        vq.SetInterrupts(eventFd >= 0);
    }

    /// <summary>The virtqueue index (request queue n is virtqueue n for virtio-blk).</summary>
    public ushort Index { get; }
    public SplitVirtqueue Ring => _vq;
    public int Size => _vq.Size;
    /// <summary>
    /// Single-segment requests that fit in flight at once: the queue size with indirect
    /// descriptors (each request takes one descriptor), a third of it without.
    /// </summary>
    public int Depth => _vq.IndirectEntries >= 3 ? _vq.Size : _vq.Size / 3;
    public int Outstanding => _vq.InFlight;
    /// <summary>The MSI-X vector's eventfd, or -1 when the queue is polled only.</summary>
    public int EventFd { get; }
    public ushort Vector { get; }
    /// <summary>Whether the notify is a store into mapped memory (no socket message).</summary>
    public bool NotifyIsMapped => _notify != 0;
    /// <summary>Prefer one indirect descriptor per request over a direct chain (RING_INDIRECT_DESC only).</summary>
    public bool PreferIndirect { get; set; }
    public VirtioBlkOverVfioUser Device => _device;

    // ---- submission ----------------------------------------------------------------------------

    /// <summary>
    /// Queues a request of <paramref name="type"/> at <paramref name="sector"/> (512-byte units)
    /// with one data segment (none when <paramref name="length"/> is 0), device-writable for IN and
    /// GET_ID, device-readable otherwise. Returns the request's head, or -1 when the ring is full.
    /// </summary>
    public int Submit(VirtioBlkRequestType type, ulong sector, ulong iova, uint length,
        delegate*<object?, in VirtioBlkCompletion, void> onComplete, object? context)
    {
        Span<VirtqBuffer> data = stackalloc VirtqBuffer[1];
        data[0] = new VirtqBuffer(iova, length, DeviceWrites(type));
        int head = Place(type, sector, length == 0 ? data.Slice(0, 0) : data);
        if (head < 0) return head;
        _functions[head] = (nint)onComplete;
        _contexts[head] = context;
        Publish(head);
        return head;
    }

    /// <summary>Submit with a scatter list of data segments, each with its own direction (tests may contradict the type on purpose).</summary>
    public int Submit(VirtioBlkRequestType type, ulong sector, ReadOnlySpan<VirtqBuffer> data,
        delegate*<object?, in VirtioBlkCompletion, void> onComplete, object? context)
    {
        int head = Place(type, sector, data);
        if (head < 0) return head;
        _functions[head] = (nint)onComplete;
        _contexts[head] = context;
        Publish(head);
        return head;
    }

    /// <summary>Submit with a delegate callback and a scatter list (or none).</summary>
    public int Submit(VirtioBlkRequestType type, ulong sector, ReadOnlySpan<VirtqBuffer> data, VirtioBlkCallback onComplete, object? context)
    {
        int head = Place(type, sector, data);
        if (head < 0) return head;
        _callbacks[head] = onComplete;
        _contexts[head] = context;
        Publish(head);
        return head;
    }

    /// <summary>Submit of one data buffer with a delegate callback.</summary>
    public int Submit(VirtioBlkRequestType type, ulong sector, DmaBuffer data, VirtioBlkCallback onComplete, object? context)
    {
        Span<VirtqBuffer> seg = stackalloc VirtqBuffer[1];
        seg[0] = new VirtqBuffer(data.Iova, (uint)data.Length, DeviceWrites(type));
        return Submit(type, sector, data.IsEmpty ? seg.Slice(0, 0) : seg, onComplete, context);
    }

    public static bool DeviceWrites(VirtioBlkRequestType type) => type is VirtioBlkRequestType.In or VirtioBlkRequestType.GetId or VirtioBlkRequestType.GetLifetime;

    private int Place(VirtioBlkRequestType type, ulong sector, ReadOnlySpan<VirtqBuffer> data)
    {
        if (data.Length > MaxDataSegments) throw new ArgumentException($"{data.Length} data segments, at most {MaxDataSegments}", nameof(data));
        int n = data.Length + 2;
        if (!_vq.CanAdd(n, PreferIndirect)) return -1;
        Span<VirtqBuffer> chain = stackalloc VirtqBuffer[n];
        int head = _vq.NextHead;
        VirtioBlkOutHeader* h = _headers + head;
        h->Type = (uint)type;
        h->Reserved = 0;
        h->Sector = sector;
        _status[head] = (byte)VirtioBlkStatus.NotWritten;
        chain[0] = new VirtqBuffer(_headersIova + (ulong)(head * VirtioBlkOutHeader.Size), VirtioBlkOutHeader.Size, false);
        data.CopyTo(chain.Slice(1));
        chain[n - 1] = new VirtqBuffer(_statusIova + (ulong)head, 1, true);
        int added = _vq.Add(chain, PreferIndirect);
        Debug.Assert(added == head);
        return added;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(int head)
    {
        _vq.Publish(head);
        if (_vq.NeedsNotify()) Notify();
    }

    /// <summary>The queue's notification: its index stored at queue_notify_off × notify_off_multiplier (§4.1.4.4).</summary>
    public void Notify()
    {
        if (_notify != 0) Volatile.Write(ref *(ushort*)_notify, Index);
        else _notifyWindow.Write16(_notifyOffset, Index);
    }

    // ---- completion ----------------------------------------------------------------------------

    /// <summary>Reaps up to <paramref name="max"/> used requests and runs their callbacks. Returns how many.</summary>
    public int Poll(int max = int.MaxValue)
    {
        int n = 0;
        while (n < max && _vq.TryTakeUsed(out int head, out uint length))
        {
            n++;
            Complete(head, new VirtioBlkCompletion((VirtioBlkStatus)Volatile.Read(ref _status[head]), length, head));
        }
        if (n != 0) _vq.FinishReap();
        return n;
    }

    private void Complete(int head, in VirtioBlkCompletion c)
    {
        var fn = (delegate*<object?, in VirtioBlkCompletion, void>)_functions[head];
        VirtioBlkCallback? cb = _callbacks[head];
        object? ctx = _contexts[head];
        _functions[head] = 0;
        _callbacks[head] = null;
        _contexts[head] = null;
        if (fn != null) fn(ctx, in c);
        else cb?.Invoke(ctx, in c);
    }

    /// <summary>Sleeps until the queue's MSI-X eventfd fires or <paramref name="timeoutMs"/> passes. False on timeout or without interrupts.</summary>
    public bool WaitForInterrupt(int timeoutMs)
    {
        if (EventFd < 0) return false;
        var pfd = new Libc.PollFd { Fd = EventFd, Events = Libc.POLLIN };
        if (Libc.Poll(&pfd, 1, timeoutMs) <= 0) return false;
        ulong count;
        Libc.Read(EventFd, &count, 8);
        return true;
    }

    // ---- blocking requests ---------------------------------------------------------------------

    /// <summary>Submits one request and waits for it (other requests' callbacks run meanwhile).</summary>
    public VirtioBlkCompletion Execute(VirtioBlkRequestType type, ulong sector, ReadOnlySpan<VirtqBuffer> data)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_device.Options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
        int head;
        while ((head = Place(type, sector, data)) < 0) WaitStep(deadline, "room in the ring");
        return Wait(head, deadline);
    }

    public VirtioBlkCompletion Execute(VirtioBlkRequestType type, ulong sector, DmaBuffer data)
    {
        Span<VirtqBuffer> seg = stackalloc VirtqBuffer[1];
        seg[0] = new VirtqBuffer(data.Iova, (uint)data.Length, DeviceWrites(type));
        return Execute(type, sector, data.IsEmpty ? seg.Slice(0, 0) : seg);
    }

    private VirtioBlkCompletion Wait(int head, long deadline)
    {
        _functions[head] = (nint)(delegate*<object?, in VirtioBlkCompletion, void>)&OnSyncComplete;
        _contexts[head] = this;
        _syncDone[head] = false;
        Publish(head);
        while (!Volatile.Read(ref _syncDone[head])) WaitStep(deadline, "request " + head);
        return _syncCompletion[head];
    }

    private static void OnSyncComplete(object? context, in VirtioBlkCompletion c)
    {
        var q = (VirtioBlkQueue)context!;
        q._syncCompletion[c.Head] = c;
        Volatile.Write(ref q._syncDone[c.Head], true);
    }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes from <paramref name="sector"/>.</summary>
    public VirtioBlkStatus Read(ulong sector, DmaBuffer buffer) => Execute(VirtioBlkRequestType.In, sector, buffer).Status;
    public VirtioBlkStatus Write(ulong sector, DmaBuffer buffer) => Execute(VirtioBlkRequestType.Out, sector, buffer).Status;
    public VirtioBlkStatus Flush() => Execute(VirtioBlkRequestType.Flush, 0, default(DmaBuffer)).Status;

    /// <summary>GET_ID into <paramref name="buffer"/> (20 bytes, §5.2.6); the id string is NUL-padded.</summary>
    public VirtioBlkStatus GetId(DmaBuffer buffer) => Execute(VirtioBlkRequestType.GetId, 0, buffer).Status;

    /// <summary>DISCARD of one range.</summary>
    public VirtioBlkStatus Discard(ulong sector, uint sectors) => ExecuteRange(VirtioBlkRequestType.Discard, sector, sectors, 0);

    /// <summary>WRITE_ZEROES of one range; <paramref name="unmap"/> lets the device deallocate.</summary>
    public VirtioBlkStatus WriteZeroes(ulong sector, uint sectors, bool unmap = false) =>
        ExecuteRange(VirtioBlkRequestType.WriteZeroes, sector, sectors, unmap ? VirtioBlkDiscardRange.FlagUnmap : 0);

    private VirtioBlkStatus ExecuteRange(VirtioBlkRequestType type, ulong sector, uint sectors, uint flags)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_device.Options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
        Span<VirtqBuffer> seg = stackalloc VirtqBuffer[1];
        while (!_vq.CanAdd(3, PreferIndirect)) WaitStep(deadline, "room in the ring");
        int next = _vq.NextHead;
        VirtioBlkDiscardRange* r = _ranges + next;
        r->Sector = sector;
        r->NumSectors = sectors;
        r->Flags = flags;
        seg[0] = new VirtqBuffer(_rangesIova + (ulong)(next * VirtioBlkDiscardRange.Size), VirtioBlkDiscardRange.Size, false);
        int head = Place(type, 0, seg);
        Debug.Assert(head == next);
        return Wait(head, deadline).Status;
    }

    private void WaitStep(long deadline, string what)
    {
        if (Poll() != 0) return;
        if (EventFd >= 0)
        {
            WaitForInterrupt(1);
            Poll();
        }
        else
        {
            Thread.SpinWait(20);
        }
        if (Stopwatch.GetTimestamp() > deadline) ThrowTimeout(what);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTimeout(string what)
    {
        string status;
        try { status = _device.ReadStatus().ToString(); }
        catch (IOException e) { status = "unreadable (" + e.Message + ")"; }
        throw new VirtioHostException($"virtqueue {Index}: timed out waiting for {what} (device status {status}, avail {_vq.AvailIndex}, last used {_vq.LastUsedIndex})");
    }

    // ---- reset ---------------------------------------------------------------------------------

    /// <summary>
    /// Completes every request in flight with <see cref="VirtioBlkStatus.Aborted"/> and empties the
    /// ring. Only once the device no longer uses it (after a device reset).
    /// </summary>
    internal int AbortOutstanding()
    {
        int n = _vq.Abandon(_abandoned);
        for (int i = 0; i < n; i++) Complete(_abandoned[i], new VirtioBlkCompletion(VirtioBlkStatus.Aborted, 0, _abandoned[i]));
        return n;
    }

    internal void ResetRing() => _vq.Reset();
}
