// Current values of the features a controller keeps (NVMe Base 2.0 §5.27.1), as CDW11 images.
namespace Target.Core.Nvmf;

public sealed class ControllerFeatures
{
    public uint Arbitration;
    public uint PowerManagement;
    /// <summary>Thresholds by [THSEL*16 + TMPSEL]; over-temperature default 0x157 (SPDK WCTEMP).</summary>
    public readonly ushort[] TemperatureThresholds = CreateThresholds();
    public uint ErrorRecovery;
    public uint VolatileWriteCache;
    /// <summary>NSQA 15:0 / NCQA 31:16, 0's based.</summary>
    public uint NumberOfQueues;
    public uint InterruptCoalescing;
    public uint WriteAtomicity;
    public uint AsyncEventConfig;
    public readonly byte[] HostBehaviorSupport = new byte[512];

    private static ushort[] CreateThresholds()
    {
        var t = new ushort[32];
        for (int i = 0; i < 16; i++) t[i] = 0x157;
        return t;
    }
}
