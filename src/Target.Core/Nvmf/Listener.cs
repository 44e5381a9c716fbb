// An address a subsystem accepts connections on (SPDK struct spdk_nvmf_subsystem_listener), with
// its ANA state per ANA group (NVMe Base 2.0 §8.1.3: states are per controller/port and group).
namespace Target.Core.Nvmf;

public sealed class Listener
{
    public Listener(ListenAddress address, uint anaGroups, ushort portId)
    {
        Address = address;
        PortId = portId;
        AnaStates = new AnaState[anaGroups];
        Array.Fill(AnaStates, AnaState.Optimized);
    }

    public ListenAddress Address { get; }
    /// <summary>Discovery log PORTID.</summary>
    public ushort PortId { get; }
    /// <summary>Index = ANA group id − 1.</summary>
    public AnaState[] AnaStates { get; }
    /// <summary>Bumped when an ANA state of this listener changes (ANA log CHGCNT).</summary>
    public ulong AnaChangeCount { get; internal set; }
}
