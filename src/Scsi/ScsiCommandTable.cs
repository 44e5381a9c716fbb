// The one table of the commands a LUN executes (SPDK bdev_scsi_process_primary / _block): opcode →
// handler, CDB length, data direction and flags. Dispatch does only what is common to every command
// (removed LUN, unit attention, unknown opcode, short CDB, NACA) and calls the handler; handlers live
// in one file per command group (PrimaryCommands, InquiryCommand, ModeSenseCommand, BlockCommands,
// ProvisioningCommands). A handler returns true when it answered at once, false when a bdev I/O
// will finish the task.
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static unsafe class ScsiCommandTable
{
    [Flags]
    public enum CommandFlags : byte
    {
        None = 0,
        /// <summary>INQUIRY, REPORT LUNS, REQUEST SENSE: run with a unit attention pending and keep it (SAM-5 §5.14).</summary>
        IgnoresUnitAttention = 1,
    }

    public readonly struct Entry
    {
        public readonly delegate*<ScsiLunChannel, ScsiTask, bool> Handler;
        public readonly byte CdbLength;
        public readonly CommandFlags Flags;

        public Entry(delegate*<ScsiLunChannel, ScsiTask, bool> handler, CommandFlags flags = CommandFlags.None, byte cdbLength = 0)
        {
            Handler = handler;
            Flags = flags;
            CdbLength = cdbLength;
        }
    }

    private static readonly Entry[] s_table = Build();

    private static Entry[] Build()
    {
        var t = new Entry[256];
        void Add(byte opcode, delegate*<ScsiLunChannel, ScsiTask, bool> handler, CommandFlags flags = CommandFlags.None)
            => t[opcode] = new Entry(handler, flags, (byte)Cdb.LengthOf(opcode));

        Add(ScsiOpcode.TestUnitReady, &PrimaryCommands.TestUnitReady);
        Add(ScsiOpcode.RequestSense, &PrimaryCommands.RequestSense, CommandFlags.IgnoresUnitAttention);
        Add(ScsiOpcode.Inquiry, &InquiryCommand.Execute, CommandFlags.IgnoresUnitAttention);
        Add(ScsiOpcode.ReportLuns, &PrimaryCommands.ReportLuns, CommandFlags.IgnoresUnitAttention);
        Add(ScsiOpcode.ModeSense6, &ModeSenseCommand.Execute);
        Add(ScsiOpcode.ModeSense10, &ModeSenseCommand.Execute);
        Add(ScsiOpcode.StartStopUnit, &BlockCommands.StartStopUnit);
        Add(ScsiOpcode.ReadCapacity10, &BlockCommands.ReadCapacity10);
        Add(ScsiOpcode.ServiceActionIn16, &BlockCommands.ServiceActionIn16);
        Add(ScsiOpcode.Read6, &BlockCommands.Read);
        Add(ScsiOpcode.Read10, &BlockCommands.Read);
        Add(ScsiOpcode.Read12, &BlockCommands.Read);
        Add(ScsiOpcode.Read16, &BlockCommands.Read);
        Add(ScsiOpcode.Write6, &BlockCommands.Write);
        Add(ScsiOpcode.Write10, &BlockCommands.Write);
        Add(ScsiOpcode.Write12, &BlockCommands.Write);
        Add(ScsiOpcode.Write16, &BlockCommands.Write);
        Add(ScsiOpcode.Verify10, &BlockCommands.Verify);
        Add(ScsiOpcode.Verify16, &BlockCommands.Verify);
        Add(ScsiOpcode.SynchronizeCache10, &BlockCommands.SynchronizeCache);
        Add(ScsiOpcode.SynchronizeCache16, &BlockCommands.SynchronizeCache);
        Add(ScsiOpcode.Unmap, &ProvisioningCommands.Unmap);
        Add(ScsiOpcode.WriteSame10, &ProvisioningCommands.WriteSame);
        Add(ScsiOpcode.WriteSame16, &ProvisioningCommands.WriteSame);
        return t;
    }

    public static bool IsSupported(byte opcode) => s_table[opcode].Handler != null;

    /// <summary>Runs the task's command on <paramref name="ch"/>; true when it is already answered.</summary>
    public static bool Dispatch(ScsiLunChannel ch, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        if (ch.Lun.Removed)
        {
            task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LogicalUnitNotSupported);
            return true;
        }
        if (cdb.IsEmpty)
        {
            task.SetInvalidCdbField(SenseCode.InvalidCommandOperationCode, 0);
            return true;
        }
        ref readonly Entry e = ref s_table[cdb[0]];
        if ((e.Flags & CommandFlags.IgnoresUnitAttention) == 0 && ch.Lun.TryTakeUnitAttention(out SenseCode ua))
        {
            task.SetCheckCondition(SenseKey.UnitAttention, ua);
            return true;
        }
        if (e.Handler == null)
        {
            task.SetInvalidCdbField(SenseCode.InvalidCommandOperationCode, 0);
            if (ScsiLog.Flag.IsEnabled) Serilog.Log.Debug("scsi {Lun}: unsupported opcode 0x{Op:x2}", ch.Lun, cdb[0]);
            return true;
        }
        if (cdb.Length < e.CdbLength)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 0);
            return true;
        }
        // CONTROL byte NACA (SAM-5 §5.11): ACA is not supported.
        if ((cdb[e.CdbLength - 1] & 0x04) != 0)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, e.CdbLength - 1, 2);
            return true;
        }
        return e.Handler(ch, task);
    }

    /// <summary>Sends data the target built (INQUIRY, MODE SENSE, ...): at most the allocation length and the data-in buffer.</summary>
    public static bool DataIn(ScsiTask task, ReadOnlySpan<byte> data, ulong allocationLength)
    {
        int n = (int)Math.Min((ulong)data.Length, allocationLength);
        if (task.Direction == ScsiDataDirection.FromDevice) task.DataTransferred = SegmentData.Scatter(task.Segments, data[..n]);
        task.SetStatus(ScsiStatus.Good);
        return true;
    }

    /// <summary>Reactor-local scratch for building responses (cleared by the caller as needed).</summary>
    public static byte[] Scratch => t_scratch ??= new byte[ScratchSize];

    public const int ScratchSize = 8192;
    [ThreadStatic] private static byte[]? t_scratch;
}
