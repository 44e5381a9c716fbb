// What the host drivers read out of Identify data (NVMe Base 2.0 §5.17.2): the active namespace
// list (CNS 02h: NSIDs in increasing order up to the first 0) and one namespace's block size and
// capacity (CNS 00h: NSZE, LBAF[FLBAS].LBADS). One parser, so the NVMe/TCP and the vfio-user host
// see the same namespaces.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public static class IdentifyData
{
    /// <summary>The NSIDs of an Active Namespace ID list page.</summary>
    public static List<uint> ActiveNamespaces(ReadOnlySpan<byte> list)
    {
        var result = new List<uint>();
        for (int i = 0; i + 4 <= list.Length; i += 4)
        {
            uint nsid = BinaryPrimitives.ReadUInt32LittleEndian(list.Slice(i));
            if (nsid == 0) break;
            result.Add(nsid);
        }
        return result;
    }

    /// <summary>
    /// Block size and capacity from Identify Namespace data; null for an inactive namespace (NSZE 0)
    /// or an LBA data size outside 512 B .. 64 KiB.
    /// </summary>
    public static NamespaceInfo? Namespace(uint nsid, ReadOnlySpan<byte> data)
    {
        var ns = MemoryMarshal.Read<IdentifyNamespace>(data);
        if (ns.Nsze == 0) return null;
        int format = ns.Flbas & 0xF;
        byte lbads = data[128 + format * LbaFormat.Size + 2];
        if (lbads < 9 || lbads > 16) return null;
        return new NamespaceInfo(nsid, 1 << lbads, ns.Nsze);
    }
}
