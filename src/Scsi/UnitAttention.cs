// Unit attention conditions a LUN can hold (SAM-5 §5.14, SPC-4 §4.5.2.1), one bit each so several
// can be pending; the lowest pending bit is reported first. Every initiator of a virtio-scsi or
// vhost device is the same I_T nexus, so the condition is per LUN and is taken by whichever reactor
// first runs a command that reports it (one compare-and-swap; no lock between reactors).
using Target.Scsi.Spec;

namespace Target.Scsi;

[Flags]
public enum UnitAttention
{
    None = 0,
    /// <summary>29h/00h POWER ON, RESET, OR BUS DEVICE RESET OCCURRED.</summary>
    PowerOnOrReset = 1,
    /// <summary>29h/03h BUS DEVICE RESET FUNCTION OCCURRED (after LOGICAL UNIT RESET).</summary>
    LogicalUnitReset = 2,
    /// <summary>29h/07h I_T NEXUS LOSS OCCURRED (after I_T NEXUS RESET).</summary>
    ItNexusLoss = 4,
    /// <summary>2Ah/09h CAPACITY DATA HAS CHANGED (the bdev was resized).</summary>
    CapacityChanged = 8,
    /// <summary>3Fh/0Eh REPORTED LUNS DATA HAS CHANGED (a LUN of the device came or went).</summary>
    ReportedLunsChanged = 16,
}

internal static class UnitAttentionCodes
{
    public static SenseCode Of(UnitAttention bit) => bit switch
    {
        UnitAttention.PowerOnOrReset => SenseCode.PowerOnOrReset,
        UnitAttention.LogicalUnitReset => SenseCode.BusDeviceResetFunctionOccurred,
        UnitAttention.ItNexusLoss => SenseCode.ItNexusLossOccurred,
        UnitAttention.CapacityChanged => SenseCode.CapacityDataHasChanged,
        _ => SenseCode.ReportedLunsDataHasChanged,
    };
}
