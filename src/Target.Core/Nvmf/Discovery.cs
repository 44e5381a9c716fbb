// The discovery log page (NVMe-oF 1.1 §5.3; SPDK lib/nvmf/ctrlr_discovery.c): one 1024-byte entry
// per (subsystem the host may see × listener), plus the discovery subsystem's own listeners as
// "current discovery subsystem" entries. GENCTR is the target's discovery generation.
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Core.Nvmf;

internal static class Discovery
{
    public static unsafe byte[] BuildLog(NvmfTarget target, string hostNqn)
    {
        var entries = new List<(Subsystem Sub, Listener L)>();
        foreach (var sub in target.Subsystems)
        {
            if (sub.State == SubsystemState.Inactive && !sub.IsDiscovery) continue;
            if (!sub.IsDiscovery && !sub.HostAllowed(hostNqn)) continue;
            foreach (var l in sub.Listeners) entries.Add((sub, l));
        }
        var page = new byte[DiscoveryLogHeader.Size + entries.Count * DiscoveryLogEntry.Size];
        ref var hdr = ref MemoryMarshal.AsRef<DiscoveryLogHeader>(page.AsSpan());
        hdr.Genctr = target.DiscoveryGeneration;
        hdr.Numrec = (ulong)entries.Count;
        hdr.Recfmt = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var (sub, l) = entries[i];
            ref var e = ref MemoryMarshal.AsRef<DiscoveryLogEntry>(page.AsSpan(DiscoveryLogHeader.Size + i * DiscoveryLogEntry.Size));
            e.Trtype = l.Address.TrtypeValue;
            e.Adrfam = l.Address.AdrfamValue;
            e.Subtype = sub.IsDiscovery ? DiscoveryLogEntry.SubtypeCurrentDiscovery : DiscoveryLogEntry.SubtypeNvme;
            e.Treq = DiscoveryLogEntry.TreqSecureChannelNotRequired;
            e.Portid = l.PortId;
            e.Cntlid = 0xFFFF;
            e.Asqsz = 32;
            if (sub.IsDiscovery) e.Eflags = 0x3; // DUPRETINFO | EPCSD
            Identify.PutAscii(MemoryMarshal.CreateSpan(ref e.Trsvcid[0], 32), l.Address.Trsvcid, (byte)' ');
            Identify.PutAscii(MemoryMarshal.CreateSpan(ref e.Subnqn[0], 256), sub.Nqn, 0);
            Identify.PutAscii(MemoryMarshal.CreateSpan(ref e.Traddr[0], 256), l.Address.Traddr, (byte)' ');
            // TSAS for TCP: SECTYPE 0 (no security); left zero.
        }
        return page;
    }
}
