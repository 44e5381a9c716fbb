// virtio-scsi wire facts (virtio 1.2 §5.6): feature bits, the device configuration layout, the
// request/response headers of the request and control queues, the event layout, and the response,
// task-management and event codes. Little-endian, as all of virtio; the only place with their offsets.
namespace Target.Virtio.Scsi;

public static class VirtioScsiSpec
{
    // Feature bits (§5.6.3).
    public const ulong FeatureInOut = 1UL << 0;
    public const ulong FeatureHotplug = 1UL << 1;
    public const ulong FeatureChange = 1UL << 2;

    // Queues (§5.6.2): control, event, then the request queues.
    public const int ControlQueue = 0;
    public const int EventQueue = 1;
    public const int FirstRequestQueue = 2;

    // struct virtio_scsi_config (§5.6.4), 36 bytes.
    public const int ConfigSize = 36;
    public const int ConfigNumQueues = 0;
    public const int ConfigSegMax = 4;
    public const int ConfigMaxSectors = 8;
    public const int ConfigCmdPerLun = 12;
    public const int ConfigEventInfoSize = 16;
    public const int ConfigSenseSize = 20;
    public const int ConfigCdbSize = 24;
    public const int ConfigMaxChannel = 28;
    public const int ConfigMaxTarget = 30;
    public const int ConfigMaxLun = 32;

    public const uint DefaultSenseSize = 96;
    public const uint DefaultCdbSize = 32;

    // struct virtio_scsi_req_cmd (§5.6.6.1): lun[8], id (le64), task_attr, prio, crn, cdb[cdb_size].
    public const int CmdLun = 0;
    public const int CmdId = 8;
    public const int CmdHeaderWithoutCdb = 19;

    // Its device-writable part: sense_len (le32), residual (le32), status_qualifier (le16), status, response, sense[sense_size].
    public const int RespSenseLen = 0;
    public const int RespResidual = 4;
    public const int RespStatus = 10;
    public const int RespResponse = 11;
    public const int RespHeader = 12;

    // Control queue (§5.6.6.2): le32 type first.
    public const uint ControlTmf = 0;
    public const uint ControlAnQuery = 1;
    public const uint ControlAnSubscribe = 2;
    /// <summary>virtio_scsi_ctrl_tmf_req: type, subtype, lun[8], id — 24 bytes; response: 1 byte.</summary>
    public const int TmfRequestSize = 24;
    /// <summary>virtio_scsi_ctrl_an_req: type, lun[8], event_requested — 16 bytes; response: event_actual (le32) + response.</summary>
    public const int AnRequestSize = 16;
    public const int AnResponseSize = 5;

    public const uint TmfAbortTask = 0;
    public const uint TmfAbortTaskSet = 1;
    public const uint TmfClearAca = 2;
    public const uint TmfClearTaskSet = 3;
    public const uint TmfItNexusReset = 4;
    public const uint TmfLogicalUnitReset = 5;
    public const uint TmfQueryTask = 6;
    public const uint TmfQueryTaskSet = 7;

    // Response codes (§5.6.6.1.1, §5.6.6.2).
    public const byte ResponseOk = 0;
    public const byte ResponseOverrun = 1;
    public const byte ResponseAborted = 2;
    public const byte ResponseBadTarget = 3;
    public const byte ResponseReset = 4;
    public const byte ResponseBusy = 5;
    public const byte ResponseTransportFailure = 6;
    public const byte ResponseTargetFailure = 7;
    public const byte ResponseNexusFailure = 8;
    public const byte ResponseFailure = 9;
    public const byte ResponseFunctionComplete = 0;
    public const byte ResponseFunctionSucceeded = 10;
    public const byte ResponseFunctionRejected = 11;
    public const byte ResponseIncorrectLun = 12;

    // struct virtio_scsi_event (§5.6.6.3): event (le32), lun[8], reason (le32).
    public const int EventSize = 16;
    public const uint EventNoEvent = 0;
    public const uint EventTransportReset = 1;
    public const uint EventAsyncNotify = 2;
    public const uint EventParamChange = 3;
    public const uint EventsMissed = 0x80000000;
    public const uint ReasonResetHard = 0;
    public const uint ReasonRescan = 1;
    public const uint ReasonRemoved = 2;

    /// <summary>
    /// The LUN addressing Linux uses (§5.6.6.1): byte 0 = 1, byte 1 = target, bytes 2-3 = LUN in
    /// flat space (0x4000 | lun, so masked with 0x3FFF), bytes 4-7 = 0. False when byte 0 is not 1.
    /// </summary>
    public static bool ParseLun(ReadOnlySpan<byte> lun, out int target, out int lunId)
    {
        target = lun[1];
        lunId = ((lun[2] << 8) | lun[3]) & 0x3FFF;
        return lun[0] == 1;
    }

    public static void WriteLun(Span<byte> lun, int target, int lunId)
    {
        lun.Clear();
        lun[0] = 1;
        lun[1] = (byte)target;
        lun[2] = (byte)(lunId >> 8);
        lun[3] = (byte)lunId;
    }
}
