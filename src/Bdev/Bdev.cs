// A block device (SPDK struct spdk_bdev): identity (name, aliases, uuid), geometry, the module and
// driver behind it, its claim, its open descriptors, its per-reactor channels and QoS limits.
// Control state is owned by the main reactor; channels read NumBlocks and QosLimits lock-free.
using Target.Core.Reactors;

namespace Target.Bdev;

public sealed class Bdev
{
    private readonly bool[] _supports = new bool[BdevIoTypeNames.All.Length + 1];
    private BdevQosLimits _qos = BdevQosLimits.None;
    private ulong _numBlocks;
    internal int ChannelCount;

    public Bdev(string name, string productName, uint blockSize, ulong numBlocks, Guid uuid, IBdevModule module, IBdevDriver driver)
    {
        Name = name;
        ProductName = productName;
        BlockSize = blockSize;
        _numBlocks = numBlocks;
        Uuid = uuid;
        Module = module;
        Driver = driver;
        for (int t = 1; t < _supports.Length; t++) _supports[t] = driver.Supports((BdevIoType)t);
    }

    public string Name { get; }
    public string ProductName { get; }
    public uint BlockSize { get; }
    /// <summary>Changes on resize (main reactor); atomic 64-bit reads elsewhere.</summary>
    public ulong NumBlocks
    {
        get => Volatile.Read(ref _numBlocks);
        internal set => Volatile.Write(ref _numBlocks, value);
    }
    /// <summary>Set before registration; Guid.Empty gets a random one at Register.</summary>
    public Guid Uuid { get; internal set; }
    public IBdevModule Module { get; }
    public IBdevDriver Driver { get; }
    public List<string> Aliases { get; } = new();

    /// <summary>Data segments must start and end on this many bytes (aio's O_DIRECT); 1 = any.</summary>
    public uint RequiredAlignment { get; init; } = 1;
    /// <summary>Listed with a DMA memory domain in bdev_get_bdevs (malloc, like SPDK's).</summary>
    public bool HasDmaMemoryDomain { get; init; }

    public BdevRegistry? Registry { get; internal set; }
    public bool IsRemoving { get; internal set; }
    public BdevClaimType ClaimType { get; internal set; }
    public string? ClaimModule { get; internal set; }
    internal BdevDesc? ClaimDesc;
    internal readonly List<BdevDesc> Descs = new();
    internal IoChannelSet<BdevChannel>? Channels;
    internal Task? Unregistering;

    public BdevQosLimits QosLimits
    {
        get => Volatile.Read(ref _qos);
        internal set => Volatile.Write(ref _qos, value);
    }

    public bool Supports(BdevIoType type) => _supports[(int)type];


    public override string ToString() => Name;
}
