// An NVMe host driver over the vfio-user client library — what SPDK's nvme_vfio_user.c plus
// nvme_pcie_common.c do for a polled user-space initiator (NVMe Base 2.0 §3.5.1 "Memory-based
// Controller Initialization", §3.6 "Shutdown"; reference vfio-user.md §1, §3, §5):
//   connect to DIR/cntrl and negotiate; map BAR0's doorbell page (sparse mmap area, or write
//   doorbells as REGION_WRITE messages when the target keeps it trapped); allocate one
//   memfd-backed ClientDma for queues, PRP lists and data buffers and DMA_MAP it; reset + enable
//   the controller through BAR0 register messages (CC, AQA/ASQ/ACQ, CSTS.RDY within CAP.TO, CFS
//   detection); Identify controller and namespaces; Set Features Number of Queues; Create I/O
//   CQ/SQ pairs; with OACS.DBCS, Doorbell Buffer Config first (shadow doorbells + EventIdx for the
//   I/O queues, as Linux's nvme driver does). I/O then touches only shared memory: SQEs and PRP lists in the DMA memory, tail
//   and head doorbells as stores into the mapped page, completions by phase tag (or MSI-X eventfd
//   with UseInterrupts). Dispose deletes the I/O queues, shuts down (CC.SHN, wait CSTS.SHST) and
//   disconnects; Close(clean: false) just drops the connection, as a crashed host would.
//
// Threads: control operations (Connect, Enable/Disable/Reset, admin commands, register access,
// Dispose) are serialized by one lock around the socket; each I/O queue is used by one thread at a
// time and needs no lock. Disable/Reset/Dispose must not race with I/O on the queues.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;
using Target.VfioUser.Protocol;
using Target.Core.Interop;

namespace Target.Initiator.VfioUser;

public sealed unsafe class NvmeOverVfioUser : IDisposable
{
    /// <summary>The socket file SPDK's VFIOUSER transport creates in the listener directory.</summary>
    public const string SocketName = "cntrl";
    public const uint DoorbellPageOffset = 0x1000;
    private const int PageSize = HostDmaArena.PageSize;

    private readonly object _lock = new();
    private readonly VfioUserClient _client;
    private readonly List<ClientMapping> _maps;
    private readonly ClientDma _memory;
    private readonly HostDmaArena _arena;
    private readonly int[] _eventFds;
    private readonly NvmeHostQueue _admin;
    private readonly NvmeHostQueue[] _io;
    private readonly DmaBuffer _adminData;
    private readonly List<NamespaceInfo> _namespaces = new();
    private IdentifyController _identify;
    private bool _closed;

    private NvmeOverVfioUser(VfioUserClient client, List<ClientMapping> maps, nint doorbells, ulong cap, VfioUserHostOptions options)
    {
        _client = client;
        _maps = maps;
        Options = options;
        Cap = cap;
        int stride = 4 << (int)((cap >> 32) & 0xF); // CAP.DSTRD
        int mqes = ControllerRegisters.CapMqes(cap) + 1;
        int ioEntries = Math.Clamp(options.QueueDepth + 1, 2, mqes);
        int adminEntries = Math.Clamp(options.AdminQueueEntries, 2, 4096);
        int ioQueues = Math.Clamp(options.IoQueues, 0, 65535);
        if ((ioQueues + 1) * 2 * stride > PageSize)
            throw new ArgumentException($"{ioQueues} I/O queues do not fit the 4 KiB doorbell page with stride {stride}");

        ulong control = QueueBytes(adminEntries) + 3 * PageSize + (ulong)ioQueues * QueueBytes(ioEntries); // + admin data, shadow doorbell and EventIdx pages
        ulong total = control + ((options.DataBufferBytes + PageSize - 1) & ~(ulong)(PageSize - 1));
        _memory = new ClientDma(options.IovaBase, total, "nvme-over-vfio-user");
        _arena = new HostDmaArena(_memory);
        _client.DmaMap(_memory);

        _eventFds = new int[options.UseInterrupts ? ioQueues + 1 : 0];
        for (int i = 0; i < _eventFds.Length; i++)
        {
            _eventFds[i] = Libc.EventFd(0, 0x80800 /* EFD_CLOEXEC | EFD_NONBLOCK */);
            if (_eventFds[i] < 0) throw new IOException("eventfd failed: errno " + Errno.Last);
        }
        if (_eventFds.Length != 0) _client.SetIrqEventFds(IrqIndex.Msix, 0, _eventFds);

        Doorbells = doorbells;
        DoorbellStride = stride;
        _admin = NewQueue(0, adminEntries);
        _adminData = _arena.Allocate(PageSize);
        _shadowPage = _arena.Allocate(PageSize);
        _eventIdxPage = _arena.Allocate(PageSize);
        _io = new NvmeHostQueue[ioQueues];
        for (int i = 0; i < ioQueues; i++) _io[i] = NewQueue((ushort)(i + 1), ioEntries);
    }

    private static ulong QueueBytes(int entries) =>
        Pages(entries * SubmissionEntry.Size) + Pages(entries * CompletionEntry.Size) + (ulong)(entries - 1) * PageSize;

    private readonly DmaBuffer _shadowPage;
    private readonly DmaBuffer _eventIdxPage;

    /// <summary>Doorbell Buffer Config succeeded: I/O queues use shadow doorbells and EventIdx.</summary>
    public bool ShadowDoorbellsEnabled { get; private set; }
    /// <summary>Doorbell writes sent as REGION_WRITE messages (the doorbell page is not mapped).</summary>
    public long TrappedDoorbellWrites => Interlocked.Read(ref _trappedDoorbellWrites);
    private long _trappedDoorbellWrites;

    /// <summary>
    /// A doorbell write through the socket (doorbell page trapped by the target), posted (NO_REPLY)
    /// as a PCIe MMIO write is: the queue's thread goes on polling instead of sleeping in recv for a
    /// reply. Messages keep their order on the socket. Any queue's thread.
    /// </summary>
    internal void WriteTrappedDoorbell(int slot, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        lock (_lock) _client.RegionWrite(RegionIndex.Bar0, DoorbellPageOffset + (ulong)(slot * DoorbellStride), b, posted: true);
        Interlocked.Increment(ref _trappedDoorbellWrites);
    }

    /// <summary>
    /// Doorbell Buffer Config (admin 0x7C, NVMe Base 2.0 §5.8) when the controller offers it
    /// (OACS bit 8) and the options allow: PRP1 = shadow doorbell page, PRP2 = EventIdx page, both
    /// zeroed first (Linux nvme_dbbuf_set). Refused or absent: the I/O queues keep BAR0 doorbells.
    /// </summary>
    private void ConfigureShadowDoorbells()
    {
        ShadowDoorbellsEnabled = false;
        foreach (NvmeHostQueue q in _io) q.UseShadowDoorbells(null, null, null, null);
        if (!Options.UseShadowDoorbells || (_identify.Oacs & (1 << 8)) == 0) return;
        _shadowPage.Span.Clear();
        _eventIdxPage.Span.Clear();
        var sqe = new SubmissionEntry { Opc = (byte)AdminOpcode.DoorbellBufferConfig, Prp1 = _shadowPage.Iova, Prp2 = _eventIdxPage.Iova };
        CompletionEntry c = _admin.Execute(in sqe, default);
        if (!c.NvmeStatus.IsSuccess) return;
        var db = (uint*)_shadowPage.Pointer;
        var ei = (uint*)_eventIdxPage.Pointer;
        int words = DoorbellStride / 4;
        foreach (NvmeHostQueue q in _io)
        {
            int sq = 2 * q.Qid * words, cq = (2 * q.Qid + 1) * words;
            q.UseShadowDoorbells(db + sq, ei + sq, db + cq, ei + cq);
        }
        ShadowDoorbellsEnabled = true;
    }

    private static ulong Pages(int bytes) => ((ulong)bytes + PageSize - 1) & ~(ulong)(PageSize - 1);

    private NvmeHostQueue NewQueue(ushort qid, int entries)
    {
        DmaBuffer sq = _arena.Allocate(entries * SubmissionEntry.Size);
        DmaBuffer cq = _arena.Allocate(entries * CompletionEntry.Size);
        DmaBuffer lists = _arena.Allocate((entries - 1) * PageSize);
        var sqDb = Doorbells == 0 ? null : (uint*)(Doorbells + 2 * qid * DoorbellStride);
        var cqDb = Doorbells == 0 ? null : (uint*)(Doorbells + (2 * qid + 1) * DoorbellStride);
        int fd = qid < _eventFds.Length ? _eventFds[qid] : -1;
        return new NvmeHostQueue(this, qid, entries, sq, cq, lists, sqDb, cqDb, fd);
    }

    /// <summary>
    /// Connects to a VFIOUSER listener (<paramref name="path"/> is its directory or the socket
    /// itself), sets up DMA memory and doorbells, enables the controller and creates the I/O queues.
    /// </summary>
    public static NvmeOverVfioUser Connect(string path, VfioUserHostOptions? options = null)
    {
        options ??= new VfioUserHostOptions();
        if (options.QueueDepth < 1) throw new ArgumentOutOfRangeException(nameof(options), "QueueDepth must be at least 1");
        string socket = Directory.Exists(path) ? Path.Combine(path, SocketName) : path;
        var client = VfioUserClient.Connect(socket, options.SocketTimeoutMs);
        List<ClientMapping>? maps = null;
        NvmeOverVfioUser? nvme = null;
        try
        {
            client.Negotiate();
            using (ClientRegionInfo bar0 = client.GetRegionInfo(RegionIndex.Bar0))
            {
                if (bar0.Size < DoorbellPageOffset + PageSize) throw new NvmeHostException("BAR0 of " + bar0.Size + " bytes has no doorbell page");
                maps = client.MapSparseAreas(bar0);
            }
            nint doorbells = 0;
            foreach (ClientMapping m in maps)
                if (m.RegionOffset <= DoorbellPageOffset && m.RegionOffset + m.Size >= DoorbellPageOffset + PageSize)
                    doorbells = m.Pointer + (nint)(DoorbellPageOffset - m.RegionOffset);
            // doorbells == 0: the target keeps the page trapped (disable_mappable_bar0); doorbells are messages.
            Span<byte> b = stackalloc byte[8];
            client.RegionRead(RegionIndex.Bar0, ControllerRegisters.Cap, b);
            ulong cap = BinaryPrimitives.ReadUInt64LittleEndian(b);
            if (((cap >> 48) & 0xF) != 0) throw new NvmeHostException("CAP.MPSMIN above 4 KiB is not supported");
            if ((cap & (1UL << 37)) == 0) throw new NvmeHostException("controller does not support the NVM command set");
            nvme = new NvmeOverVfioUser(client, maps, doorbells, cap, options);
            nvme.Enable();
            return nvme;
        }
        catch
        {
            if (nvme is not null) nvme.Close(clean: false);
            else
            {
                if (maps is not null) foreach (ClientMapping m in maps) m.Dispose();
                client.Dispose();
            }
            throw;
        }
    }

    // ---- state ---------------------------------------------------------------------------------

    public VfioUserHostOptions Options { get; }
    /// <summary>The vfio-user connection (tests use it for raw messages; not thread safe).</summary>
    public VfioUserClient Client => _client;
    /// <summary>The DMA-mapped memory all queues and buffers live in.</summary>
    public ClientDma Memory => _memory;
    public ulong Cap { get; }
    /// <summary>CAP.MQES + 1.</summary>
    public int MaxQueueEntries => ControllerRegisters.CapMqes(Cap) + 1;
    /// <summary>Local address of the mapped doorbell page (BAR0 + 0x1000), or 0 when doorbell writes are REGION_WRITE messages.</summary>
    public nint Doorbells { get; }
    /// <summary>Bytes between doorbells (4 &lt;&lt; CAP.DSTRD).</summary>
    public int DoorbellStride { get; }
    public IdentifyController ControllerData => _identify;
    /// <summary>Largest transfer of one command in bytes (MDTS, bounded by one PRP list page).</summary>
    public int MaxTransferSize { get; private set; }
    public IReadOnlyList<NamespaceInfo> Namespaces => _namespaces;
    /// <summary>I/O queues the controller granted (Set Features Number of Queues), at most Options.IoQueues.</summary>
    public int GrantedIoQueues { get; private set; }
    /// <summary>I/O queues that exist now (0 while disabled).</summary>
    public int IoQueueCount { get; private set; }
    public bool IsEnabled { get; private set; }
    public NvmeHostQueue AdminQueue => _admin;

    /// <summary>I/O queue <paramref name="index"/> (qid index + 1).</summary>
    public NvmeHostQueue IoQueue(int index)
    {
        if ((uint)index >= (uint)IoQueueCount) throw new ArgumentOutOfRangeException(nameof(index), "I/O queue " + index + " of " + IoQueueCount);
        return _io[index];
    }

    public NamespaceInfo Namespace(uint nsid)
    {
        foreach (NamespaceInfo ns in _namespaces)
            if (ns.Nsid == nsid) return ns;
        throw new ArgumentException("no active namespace " + nsid, nameof(nsid));
    }

    /// <summary>Zeroed, page-aligned memory inside the DMA mapping for command data.</summary>
    public DmaBuffer AllocateBuffer(int bytes) => _arena.Allocate(bytes);

    // ---- blocking I/O on queue 0 ---------------------------------------------------------------

    public NvmeStatus Read(uint nsid, ulong lba, uint blocks, DmaBuffer buffer) => IoQueue(0).Read(nsid, lba, blocks, buffer);
    public NvmeStatus Write(uint nsid, ulong lba, uint blocks, DmaBuffer buffer) => IoQueue(0).Write(nsid, lba, blocks, buffer);
    public NvmeStatus Flush(uint nsid) => IoQueue(0).Flush(nsid);

    // ---- registers -----------------------------------------------------------------------------

    public uint ReadRegister32(uint offset)
    {
        Span<byte> b = stackalloc byte[4];
        lock (_lock) _client.RegionRead(RegionIndex.Bar0, offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void WriteRegister32(uint offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        lock (_lock) _client.RegionWrite(RegionIndex.Bar0, offset, b);
    }

    public uint ReadCsts() => ReadRegister32(ControllerRegisters.Csts);

    private TimeSpan ReadyTimeout => TimeSpan.FromMilliseconds(Math.Max(1, (int)ControllerRegisters.CapTimeout(Cap)) * 500);

    private void WaitCsts(Func<uint, bool> done, string what, bool failOnCfs)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            uint csts = ReadCsts();
            if (done(csts)) return;
            if (failOnCfs && (csts & ControllerRegisters.CstsCfs) != 0)
                throw new NvmeHostException("controller fatal status (CSTS.CFS) while waiting for " + what);
            if (watch.Elapsed > ReadyTimeout) throw new NvmeHostException($"timed out after {ReadyTimeout.TotalMilliseconds} ms (CAP.TO) waiting for {what}, CSTS 0x{csts:x}");
            Thread.Sleep(watch.ElapsedMilliseconds < 10 ? 0 : 1);
        }
    }

    // ---- enable / disable ----------------------------------------------------------------------

    /// <summary>
    /// The initialization sequence: disable if needed, program the admin queue, CC.EN = 1, wait
    /// CSTS.RDY, Identify, Set Features Number of Queues, create the I/O queue pairs.
    /// </summary>
    public void Enable()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            if ((ReadRegister32(ControllerRegisters.Cc) & ControllerRegisters.CcEn) != 0 || (ReadCsts() & ControllerRegisters.CstsRdy) != 0)
                Disable();
            _admin.ResetRings();
            uint aqa = (uint)(_admin.Entries - 1) << 16 | (uint)(_admin.Entries - 1);
            WriteRegister32(ControllerRegisters.Aqa, aqa);
            WriteRegister32(ControllerRegisters.Asq, (uint)_admin.SqIova);
            WriteRegister32(ControllerRegisters.Asq + 4, (uint)(_admin.SqIova >> 32));
            WriteRegister32(ControllerRegisters.Acq, (uint)_admin.CqIova);
            WriteRegister32(ControllerRegisters.Acq + 4, (uint)(_admin.CqIova >> 32));
            // IOCQES 2^4, IOSQES 2^6, AMS round robin, MPS 4 KiB, CSS NVM, EN.
            WriteRegister32(ControllerRegisters.Cc, (4u << 20) | (6u << 16) | ControllerRegisters.CcEn);
            WaitCsts(c => (c & ControllerRegisters.CstsRdy) != 0, "CSTS.RDY = 1", failOnCfs: true);
            IsEnabled = true;

            IdentifyAll();
            ConfigureShadowDoorbells();
            int requested = _io.Length;
            GrantedIoQueues = 0;
            if (requested > 0)
            {
                CompletionEntry c = AdminChecked(HostCommands.SetNumberOfQueues(requested, requested), default, "Set Features Number of Queues");
                GrantedIoQueues = Math.Min((int)(c.Dw0 & 0xFFFF), (int)(c.Dw0 >> 16)) + 1;
            }
            int count = Math.Min(requested, GrantedIoQueues);
            for (int i = 0; i < count; i++)
            {
                NvmeHostQueue q = _io[i];
                q.ResetRings();
                AdminChecked(HostCommands.CreateIoCq(q.Qid, q.Entries, q.CqIova, q.Vector, q.InterruptsEnabled), default, "Create I/O CQ " + q.Qid);
                AdminChecked(HostCommands.CreateIoSq(q.Qid, q.Entries, q.SqIova, q.Qid), default, "Create I/O SQ " + q.Qid);
                IoQueueCount = i + 1;
            }
        }
    }

    /// <summary>
    /// CC.EN = 0 and wait for CSTS.RDY = 0 (this also clears CSTS.CFS). Commands still in flight on
    /// any queue complete with <see cref="NvmeHostQueue.AbortedStatus"/>; the I/O queues are gone
    /// until the next Enable.
    /// </summary>
    public void Disable()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            uint cc = ReadRegister32(ControllerRegisters.Cc);
            WriteRegister32(ControllerRegisters.Cc, cc & ~ControllerRegisters.CcEn & ~(3u << 14));
            WaitCsts(c => (c & ControllerRegisters.CstsRdy) == 0, "CSTS.RDY = 0", failOnCfs: false);
            IsEnabled = false;
            IoQueueCount = 0;
            _admin.AbortOutstanding();
            foreach (NvmeHostQueue q in _io) q.AbortOutstanding();
        }
    }

    /// <summary>Controller reset: Disable, then Enable (same queues, fresh rings).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            Disable();
            Enable();
        }
    }

    /// <summary>Normal shutdown notification: CC.SHN = 01, wait CSTS.SHST = 10 (complete).</summary>
    public void Shutdown()
    {
        lock (_lock)
        {
            ThrowIfClosed();
            uint cc = ReadRegister32(ControllerRegisters.Cc);
            WriteRegister32(ControllerRegisters.Cc, (cc & ~(3u << 14)) | (ControllerRegisters.ShnNormal << 14));
            WaitCsts(c => ((c & ControllerRegisters.CstsShstMask) >> ControllerRegisters.CstsShstShift) == ControllerRegisters.ShstComplete,
                "CSTS.SHST = complete", failOnCfs: true);
        }
    }

    private void IdentifyAll()
    {
        AdminChecked(HostCommands.Identify(IdentifyCns.Controller), _adminData, "Identify Controller");
        _identify = MemoryMarshal.Read<IdentifyController>(_adminData.Span);
        int mdts = _identify.Mdts == 0 ? int.MaxValue : (_identify.Mdts >= 20 ? int.MaxValue : PageSize << _identify.Mdts);
        MaxTransferSize = Math.Min(mdts, PrpBuilder.MaxTransfer);

        AdminChecked(HostCommands.Identify(IdentifyCns.ActiveNamespaceList), _adminData, "Identify Active Namespace List");
        List<uint> nsids = IdentifyData.ActiveNamespaces(_adminData.Span);
        _namespaces.Clear();
        foreach (uint nsid in nsids)
        {
            AdminChecked(HostCommands.Identify(IdentifyCns.Namespace, nsid), _adminData, "Identify Namespace " + nsid);
            NamespaceInfo? ns = IdentifyData.Namespace(nsid, _adminData.Span);
            if (ns is not null) _namespaces.Add(ns);
        }
    }

    // ---- admin commands ------------------------------------------------------------------------

    /// <summary>Runs an admin command (data in <paramref name="data"/>, may be empty) and returns its completion.</summary>
    public CompletionEntry AdminCommand(in SubmissionEntry sqe, DmaBuffer data)
    {
        lock (_lock)
        {
            ThrowIfClosed();
            return _admin.Execute(in sqe, data);
        }
    }

    private CompletionEntry AdminChecked(in SubmissionEntry sqe, DmaBuffer data, string what)
    {
        CompletionEntry c = _admin.Execute(in sqe, data);
        if (!c.NvmeStatus.IsSuccess) throw new NvmeHostException(what + " failed: " + c.NvmeStatus, c.NvmeStatus);
        return c;
    }

    // ---- teardown ------------------------------------------------------------------------------

    /// <summary>
    /// Ends the connection. Clean: delete the I/O queues, shut the controller down (CC.SHN, wait
    /// SHST), unmap the DMA memory and the interrupts, then close. Not clean: close the socket at
    /// once (in-flight commands are abandoned; the target resets the controller on its own).
    /// </summary>
    public void Close(bool clean)
    {
        lock (_lock)
        {
            if (_closed) return;
            if (clean)
            {
                try
                {
                    if (IsEnabled)
                    {
                        for (int i = IoQueueCount - 1; i >= 0; i--)
                        {
                            _admin.Execute(HostCommands.DeleteIoSq(_io[i].Qid)); // the controller drops its in-flight commands
                            _io[i].AbortOutstanding();
                            _admin.Execute(HostCommands.DeleteIoCq(_io[i].Qid));
                        }
                        IoQueueCount = 0;
                        Shutdown();
                    }
                    _client.DmaUnmapAll();
                    if (_eventFds.Length != 0) _client.ClearIrqEventFds(IrqIndex.Msix, 0, _eventFds.Length);
                }
                catch (IOException)
                {
                    // The target went away or refused: what is left is to close our side.
                }
            }
            _closed = true;
            IsEnabled = false;
            IoQueueCount = 0;
            _client.Dispose();
            foreach (ClientMapping m in _maps) m.Dispose();
            _memory.Dispose();
            for (int i = 0; i < _eventFds.Length; i++) _eventFds[i] = Libc.CloseFd(_eventFds[i]);
        }
    }

    public void Dispose() => Close(clean: true);

    private void ThrowIfClosed()
    {
        if (_closed) throw new ObjectDisposedException(nameof(NvmeOverVfioUser));
    }
}
