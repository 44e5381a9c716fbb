// One virtio structure located by a vendor-specific PCI capability (virtio 1.2 §4.1.4
// struct virtio_pci_cap): which BAR, where in it, how long; the notify capability also carries
// notify_off_multiplier (§4.1.4.4).
namespace Target.Initiator.Virtio;

public readonly record struct VirtioPciCapability(VirtioPciCapType Type, int Bar, uint Offset, uint Length, uint NotifyOffMultiplier = 0)
{
    public bool IsPresent => Length != 0;
}
