// The common-config registers of one queue as the driver programmed them (virtio 1.2 §4.1.4.3).
namespace Target.Virtio.Pci;

public sealed class VirtqueueConfig
{
    public VirtqueueConfig(ushort maxSize) => MaxSize = maxSize;

    public ushort MaxSize { get; }
    public ushort Size;
    public ushort MsixVector = VirtioPciLayout.NoVector;
    public bool Enabled;
    public ulong Desc, Driver, Device;

    public void Reset()
    {
        Size = MaxSize;
        MsixVector = VirtioPciLayout.NoVector;
        Enabled = false;
        Desc = Driver = Device = 0;
    }
}
