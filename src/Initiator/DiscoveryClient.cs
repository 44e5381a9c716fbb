// Host side of a discovery controller (NVMe-oF 1.1 §5; nvme-tcp.md §2.5, §3.1 "nvme discover"):
// connect to nqn.2014-08.org.nvmexpress.discovery, enable, Identify, then read the discovery log
// the way nvme-cli does — header, entries, header again — and retry while GENCTR changes.
using System.Buffers.Binary;
using Target.Core.Nvme.Spec;

namespace Target.Initiator;

public sealed class DiscoveryClient : IDisposable
{
    private const int HeaderSize = DiscoveryLogHeader.Size;
    private const int EntrySize = DiscoveryLogEntry.Size;
    private const int EntriesPerRead = 16;
    private const int MaxAttempts = 10;

    private DiscoveryClient(NvmeController controller) => Controller = controller;

    /// <summary>The underlying (admin-only) controller: Identify, Keep Alive, AERs, raw admin commands.</summary>
    public NvmeController Controller { get; }

    /// <summary>Connects with <paramref name="options"/> (SubNqn is replaced by the discovery NQN when empty).</summary>
    public static DiscoveryClient Connect(TcpHostOptions options)
    {
        var o = options.Clone();
        if (o.SubNqn.Length == 0) o.SubNqn = TcpHostOptions.DiscoveryNqn;
        o.IoQueues = 0;
        return new DiscoveryClient(NvmeController.Connect(o, discovery: true));
    }

    public static Task<DiscoveryClient> ConnectAsync(TcpHostOptions options) => Task.Run(() => Connect(options));

    public DiscoveryLog GetLog()
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            byte[] header = Controller.GetLogPage((byte)LogPageId.Discovery, HeaderSize, 0, 0);
            ulong generation = BinaryPrimitives.ReadUInt64LittleEndian(header);
            ulong count = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8));
            if (count > 1024) throw new InvalidDataException("discovery log claims " + count + " records");
            var entries = new List<DiscoveryEntry>((int)count);
            for (int first = 0; first < (int)count; first += EntriesPerRead)
            {
                int n = Math.Min(EntriesPerRead, (int)count - first);
                byte[] chunk = Controller.GetLogPage((byte)LogPageId.Discovery, n * EntrySize,
                    (ulong)(HeaderSize + first * EntrySize), 0);
                for (int i = 0; i < n; i++) entries.Add(DiscoveryEntry.Parse(chunk.AsSpan(i * EntrySize, EntrySize)));
            }
            byte[] again = Controller.GetLogPage((byte)LogPageId.Discovery, 16, 0, 0);
            if (BinaryPrimitives.ReadUInt64LittleEndian(again) == generation) return new DiscoveryLog(generation, entries);
        }
        throw new InvalidDataException("discovery log kept changing (GENCTR) over " + MaxAttempts + " reads");
    }

    public void Dispose() => Controller.Dispose();
}
