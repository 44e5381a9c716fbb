// INamespaceBackend over a bdev descriptor: what an NVMe-oF namespace uses to reach a bdev
// (SPDK's ctrlr_bdev.c seam, inverted so Target.Core need not reference Bdev). Opens the bdev
// read-write and takes an exclusive_write claim for "NVMe-oF Target", as SPDK's nvmf does.
using Target.Core.Nvmf;
using Target.Core.Reactors;
using Target.Core.Storage;

namespace Target.Bdev;

public sealed class BdevNamespaceBackend : INamespaceBackend
{
    public const string ClaimModuleName = "NVMe-oF Target";

    private readonly BdevNamespaceChannel?[] _channels;

    private BdevNamespaceBackend(BdevRegistry registry)
    {
        _channels = new BdevNamespaceChannel?[registry.Reactors.Count];
    }

    public BdevDesc Desc { get; private set; } = null!;
    public Bdev Bdev => Desc.Bdev;

    /// <summary>
    /// Opens <paramref name="name"/> for a namespace (main reactor). Null with a negative errno:
    /// -ENODEV unknown bdev, -EPERM already claimed.
    /// </summary>
    public static BdevNamespaceBackend? Open(BdevRegistry registry, string name, out int errno, bool claim = true)
    {
        var backend = new BdevNamespaceBackend(registry);
        errno = registry.Open(name, write: true, static (type, _, ctx) => ((BdevNamespaceBackend)ctx!).OnEvent(type), backend, out var desc);
        if (errno != 0) return null;
        if (claim)
        {
            errno = desc!.Claim(BdevClaimType.ExclusiveWrite, ClaimModuleName);
            if (errno != 0) { desc.Close(); return null; }
        }
        backend.Desc = desc!;
        return backend;
    }

    public string Name => Bdev.Name;
    public uint BlockSize => Bdev.BlockSize;
    public ulong BlockCount => Bdev.NumBlocks;
    public Guid Uuid => Bdev.Uuid;

    public bool Supports(BlockOp op) => Bdev.Supports(ToIoType(op));

    public INamespaceChannel GetChannel()
    {
        Reactor r = Reactor.Current ?? throw new InvalidOperationException("namespace channels are used on a reactor");
        return _channels[r.Index] ??= new BdevNamespaceChannel(Desc, Desc.GetChannel());
    }

    public event Action<INamespaceBackend, bool>? Changed;

    private void OnEvent(BdevEventType type) => Changed?.Invoke(this, type == BdevEventType.Remove);

    public void Close() => Desc.Close();

    internal static BdevIoType ToIoType(BlockOp op) => op switch
    {
        BlockOp.Read => BdevIoType.Read,
        BlockOp.Write => BdevIoType.Write,
        BlockOp.Flush => BdevIoType.Flush,
        BlockOp.WriteZeroes => BdevIoType.WriteZeroes,
        BlockOp.Unmap => BdevIoType.Unmap,
        BlockOp.Compare => BdevIoType.Compare,
        _ => BdevIoType.Reset,
    };
}
