// Get Log Page (NVMe Base 2.0 §5.16; SPDK nvmf_ctrlr_get_log_page): decodes LID/RAE/NUMD/offset,
// builds the page and copies [offset, offset+length) into the host buffer, zero beyond the end.
// Pages: supported logs, error, SMART, firmware slot, changed NS list, command effects, ANA,
// and the discovery log (Discovery.cs). Admin path: small stack pages; the discovery/ANA pages
// are built in managed buffers (rare, host-initiated, not the I/O path).
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

internal static class LogPages
{
    public static void Execute(Request request, Controller ctrlr)
    {
        ref readonly var sqe = ref request.Sqe;
        var lid = (LogPageId)(sqe.Cdw10 & 0xFF);
        byte lsp = (byte)((sqe.Cdw10 >> 8) & 0x7F);
        bool rae = (sqe.Cdw10 & (1u << 15)) != 0;
        ulong numd = ((sqe.Cdw10 >> 16) | ((ulong)(sqe.Cdw11 & 0xFFFF) << 16)) + 1;
        ulong length = numd * 4;
        ulong offset = sqe.Cdw12 | ((ulong)sqe.Cdw13 << 32);
        if ((offset & 3) != 0)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 48);
            return;
        }
        if (length > request.Length)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 42);
            return;
        }
        if (sqe.Nsid != 0 && sqe.Nsid != 0xFFFFFFFF && lid != LogPageId.Discovery)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 4);
            return;
        }
        if (ctrlr.IsDiscovery && lid != LogPageId.Discovery && lid != LogPageId.Error && lid != LogPageId.SupportedLogPages)
        {
            CommandDispatcher.Fail(request, NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidLogPage, dnr: true), 40);
            return;
        }
        request.ZeroData();
        switch (lid)
        {
            case LogPageId.SupportedLogPages:
            {
                Span<byte> page = stackalloc byte[1024];
                page.Clear();
                var dw = MemoryMarshal.Cast<byte, uint>(page);
                if (ctrlr.IsDiscovery)
                {
                    dw[(int)LogPageId.SupportedLogPages] = dw[(int)LogPageId.Error] = dw[(int)LogPageId.Discovery] = 1;
                }
                else
                {
                    dw[(int)LogPageId.SupportedLogPages] = dw[(int)LogPageId.Error] = dw[(int)LogPageId.HealthInformation] = 1;
                    dw[(int)LogPageId.FirmwareSlot] = dw[(int)LogPageId.ChangedNamespaceList] = dw[(int)LogPageId.CommandsSupportedAndEffects] = 1;
                    if (ctrlr.Subsystem.AnaReporting) dw[(int)LogPageId.AsymmetricNamespaceAccess] = 1;
                }
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.Error:
            {
                Span<byte> page = stackalloc byte[ErrorLogEntry.Size * Controller.ErrorLogEntries];
                ctrlr.CopyErrorLog(MemoryMarshal.Cast<byte, ErrorLogEntry>(page));
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.HealthInformation:
            {
                Span<byte> page = stackalloc byte[SmartLog.Size];
                page.Clear();
                ref var smart = ref MemoryMarshal.AsRef<SmartLog>(page);
                smart.CompositeTemperature = 0x13B; // 315 K, below WCTEMP
                smart.AvailableSpare = 100;
                smart.AvailableSpareThreshold = 10;
                smart.NumErrorLogEntries = ctrlr.ErrorCount;
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.FirmwareSlot:
            {
                Span<byte> page = stackalloc byte[FirmwareSlotLog.Size];
                page.Clear();
                page[0] = 1; // slot 1 active
                Identify.PutAscii(page.Slice(8, 8), Identify.FirmwareRevision, (byte)' ');
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.ChangedNamespaceList:
            {
                Span<byte> page = stackalloc byte[4096];
                ctrlr.TakeChangedNamespaceList(MemoryMarshal.Cast<byte, uint>(page));
                if (!rae) ctrlr.OnLogRead(lid);
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.CommandsSupportedAndEffects:
            {
                Span<byte> page = stackalloc byte[CommandsSupportedEffectsLog.Size];
                FillCommandEffects(page);
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.AsymmetricNamespaceAccess when ctrlr.Subsystem.AnaReporting:
            {
                byte[] page = BuildAnaLog(ctrlr, request.Qpair.ListenAddress, rgo: (lsp & 1) != 0);
                if (!rae) ctrlr.OnLogRead(lid);
                CopyOut(request, page, offset, length);
                return;
            }
            case LogPageId.Discovery when ctrlr.IsDiscovery:
            {
                byte[] page = Discovery.BuildLog(ctrlr.Subsystem.Target, ctrlr.HostNqn);
                if (!rae) ctrlr.OnLogRead(lid);
                CopyOut(request, page, offset, length, zeroPastEnd: true);
                return;
            }
            default:
                CommandDispatcher.Fail(request, NvmeStatus.CommandSpecific(CommandSpecificStatus.InvalidLogPage, dnr: true), 40);
                return;
        }
    }

    /// <summary>Copies the requested window; fixed pages refuse an offset past their end (SPDK), discovery reads zeros there.</summary>
    private static void CopyOut(Request request, ReadOnlySpan<byte> page, ulong offset, ulong length, bool zeroPastEnd = false)
    {
        if (offset > (ulong)page.Length && !zeroPastEnd)
        {
            CommandDispatcher.Fail(request, NvmeStatus.InvalidField, 48);
            return;
        }
        if (offset < (ulong)page.Length)
        {
            int n = (int)Math.Min(length, (ulong)page.Length - offset);
            request.CopyToData(page.Slice((int)offset, n));
        }
        request.DataLength = (uint)length;
        request.Complete(NvmeStatus.Success);
    }

    private static void FillCommandEffects(Span<byte> page)
    {
        page.Clear();
        var dw = MemoryMarshal.Cast<byte, uint>(page);
        const uint s = CommandsSupportedEffectsLog.Csupp;
        dw[(int)AdminOpcode.GetLogPage] = s;
        dw[(int)AdminOpcode.Identify] = s;
        dw[(int)AdminOpcode.Abort] = s;
        dw[(int)AdminOpcode.SetFeatures] = s;
        dw[(int)AdminOpcode.GetFeatures] = s;
        dw[(int)AdminOpcode.AsyncEventRequest] = s;
        dw[(int)AdminOpcode.KeepAlive] = s;
        var io = dw.Slice(256);
        io[(int)NvmOpcode.Flush] = s | CommandsSupportedEffectsLog.Lbcc;
        io[(int)NvmOpcode.Write] = s | CommandsSupportedEffectsLog.Lbcc;
        io[(int)NvmOpcode.Read] = s;
        io[(int)NvmOpcode.Compare] = s;
        io[(int)NvmOpcode.WriteZeroes] = s | CommandsSupportedEffectsLog.Lbcc;
        io[(int)NvmOpcode.DatasetManagement] = s | CommandsSupportedEffectsLog.Lbcc;
    }

    /// <summary>ANA log (NVMe §5.16.1.13): one descriptor per group that holds namespaces, states as seen through this port.</summary>
    private static byte[] BuildAnaLog(Controller ctrlr, ListenAddress? port, bool rgo)
    {
        var sub = ctrlr.Subsystem;
        var groups = new SortedDictionary<uint, List<uint>>();
        foreach (var ns in sub.Namespaces)
        {
            if (!groups.TryGetValue(ns.AnaGroupId, out var list)) groups[ns.AnaGroupId] = list = new List<uint>();
            list.Add(ns.Nsid);
        }
        int size = AnaLogHeader.Size;
        foreach (var g in groups) size += AnaGroupDescriptor.Size + (rgo ? 0 : 4 * g.Value.Count);
        var page = new byte[size];
        ulong change = 0;
        foreach (var l in sub.Listeners) change += l.AnaChangeCount;
        ref var hdr = ref MemoryMarshal.AsRef<AnaLogHeader>(page.AsSpan());
        hdr.ChangeCount = change;
        hdr.NumGroups = (ushort)groups.Count;
        int at = AnaLogHeader.Size;
        foreach (var g in groups)
        {
            ref var d = ref MemoryMarshal.AsRef<AnaGroupDescriptor>(page.AsSpan(at));
            d.AnaGroupId = g.Key;
            d.NumNsids = rgo ? 0 : (uint)g.Value.Count;
            d.ChangeCount = change;
            d.AnaState = (byte)sub.AnaStateFor(port, g.Key);
            at += AnaGroupDescriptor.Size;
            if (rgo) continue;
            foreach (uint nsid in g.Value)
            {
                MemoryMarshal.Write(page.AsSpan(at), nsid);
                at += 4;
            }
        }
        return page;
    }
}
