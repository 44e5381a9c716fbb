// SPC-4 primary commands that do not depend on the medium: TEST UNIT READY (§6.37), REQUEST SENSE
// (§6.29), REPORT LUNS (§6.27), and what a device answers for a LUN it does not have (§6.6.2:
// INQUIRY with peripheral qualifier 011b; REPORT LUNS and REQUEST SENSE still work; everything else
// LOGICAL UNIT NOT SUPPORTED).
using System.Buffers.Binary;
using Target.Scsi.Spec;

namespace Target.Scsi;

internal static class PrimaryCommands
{
    public static bool TestUnitReady(ScsiLunChannel ch, ScsiTask task)
    {
        task.SetStatus(ScsiStatus.Good);
        return true;
    }

    public static bool RequestSense(ScsiLunChannel ch, ScsiTask task)
    {
        if (!CheckRequestSenseCdb(task)) return true;
        // A pending unit attention is reported (and cleared) as the sense data (SPC-4 §6.29).
        if (ch.Lun.TryTakeUnitAttention(out SenseCode ua)) return SendSense(task, SenseKey.UnitAttention, ua);
        return SendSense(task, SenseKey.NoSense, SenseCode.NoAdditionalSense);
    }

    public static bool ReportLuns(ScsiLunChannel ch, ScsiTask task) => ReportLuns(ch.Lun.Device, task);

    /// <summary>INQUIRY, REPORT LUNS and REQUEST SENSE for a LUN the device does not have; true when answered.</summary>
    public static void ExecuteWithoutLun(ScsiDevice device, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        byte opcode = cdb.IsEmpty ? (byte)0xFF : cdb[0];
        int need = Cdb.LengthOf(opcode);
        if (need == 0 || cdb.Length < need)
        {
            task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LogicalUnitNotSupported);
            return;
        }
        switch (opcode)
        {
            case ScsiOpcode.Inquiry when (cdb[1] & 0x01) == 0 && cdb[2] == 0:
                InquiryCommand.StandardWithoutLun(task);
                break;
            case ScsiOpcode.ReportLuns:
                ReportLuns(device, task);
                break;
            case ScsiOpcode.RequestSense:
                if (CheckRequestSenseCdb(task)) SendSense(task, SenseKey.IllegalRequest, SenseCode.LogicalUnitNotSupported);
                break;
            default:
                task.SetCheckCondition(SenseKey.IllegalRequest, SenseCode.LogicalUnitNotSupported);
                break;
        }
    }

    private static bool CheckRequestSenseCdb(ScsiTask task)
    {
        // DESC = 1 asks for descriptor-format sense, which this target does not produce.
        if ((task.Cdb[1] & 0x01) == 0) return true;
        task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 1, 0);
        return false;
    }

    private static bool SendSense(ScsiTask task, SenseKey key, SenseCode code)
    {
        Span<byte> data = stackalloc byte[FixedSenseData.Size];
        ScsiTask.WriteFixedSense(data, key, code);
        return ScsiCommandTable.DataIn(task, data, task.Cdb[4]);
    }

    private static bool ReportLuns(ScsiDevice device, ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        byte select = cdb[2];
        // 00h all LUNs, 02h all LUNs (no well-known ones exist), 01h well-known LUNs only (none).
        if (select > 0x02)
        {
            task.SetInvalidCdbField(SenseCode.InvalidFieldInCdb, 2);
            return true;
        }
        Span<byte> data = ScsiCommandTable.Scratch;
        int length = 8;
        if (select != 0x01)
        {
            for (int lun = 0; lun < ScsiDevice.MaxLuns; lun++)
            {
                ScsiLun? l = device.GetLun(lun);
                if (l is null || l.Removed) continue;
                // Peripheral device addressing (SAM-5 §4.7.7.2): byte 0 = 0, byte 1 = LUN.
                data.Slice(length, 8).Clear();
                data[length + 1] = (byte)lun;
                length += 8;
            }
        }
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(length - 8));
        data.Slice(4, 4).Clear();
        return ScsiCommandTable.DataIn(task, data[..length], Cdb.ReportLunsAllocationLength(cdb));
    }
}
