// SMART / Health Information log page, 512 bytes (NVMe Base 2.0 §5.16.1.3, Figure 207). 128-bit
// counters are stored as two 64-bit halves (low first).
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Spec;

[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SmartLog
{
    public const int Size = 512;

    [FieldOffset(0)] public byte CriticalWarning;
    /// <summary>Composite temperature in kelvin.</summary>
    [FieldOffset(1)] public ushort CompositeTemperature;
    [FieldOffset(3)] public byte AvailableSpare;
    [FieldOffset(4)] public byte AvailableSpareThreshold;
    [FieldOffset(5)] public byte PercentageUsed;
    [FieldOffset(32)] public ulong DataUnitsRead;
    [FieldOffset(48)] public ulong DataUnitsWritten;
    [FieldOffset(64)] public ulong HostReadCommands;
    [FieldOffset(80)] public ulong HostWriteCommands;
    [FieldOffset(96)] public ulong ControllerBusyTime;
    [FieldOffset(112)] public ulong PowerCycles;
    [FieldOffset(128)] public ulong PowerOnHours;
    [FieldOffset(144)] public ulong UnsafeShutdowns;
    [FieldOffset(160)] public ulong MediaErrors;
    [FieldOffset(176)] public ulong NumErrorLogEntries;
}
