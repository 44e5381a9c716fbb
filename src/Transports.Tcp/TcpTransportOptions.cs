// The TCP-specific keys of nvmf_create_transport and SPDK's TCP checks of the common ones
// (lib/nvmf/tcp.c nvmf_tcp_create; reference spdk-rpc.md §2.3): c2h_success, sock_priority,
// control_msg_num; max_queue_depth < 2 and max_aq_depth outside 2..4096 fall back to defaults,
// in_capsule_data_size is clamped to max_io_size, sock_priority > 16 refuses creation.
using System.Text.Json;
using System.Text.Json.Nodes;
using Target.Core.Nvmf;

namespace Target.Transports.Tcp;

public sealed class TcpTransportOptions : ITransportSpecificOptions
{
    public const uint MaxSockPriority = 16;
    public const ushort DefaultMaxQueueDepth = 128;
    public const uint DefaultMaxAqDepth = 128;
    public const uint MaxAqDepthLimit = 4096;
    /// <summary>Admin queue and fabrics commands may always carry this much in-capsule data (nvme-tcp.md §1.4).</summary>
    public const uint AdminInCapsuleDataSize = 8192;

    /// <summary>Send C2HData with SUCCESS and skip the CapsuleResp when the host disabled SQ flow control.</summary>
    public bool C2HSuccess { get; set; } = true;
    /// <summary>SO_PRIORITY of accepted sockets (0..16).</summary>
    public uint SockPriority { get; set; }
    /// <summary>SPDK's control message buffer count; kept for nvmf_get_transports, buffers here are per request.</summary>
    public ushort ControlMsgNum { get; set; } = 32;

    bool ITransportSpecificOptions.TryRead(JsonElement rawParams, out string? error) => TryRead(rawParams, this, out error);

    /// <summary>nvmf_get_transports keys of TCP (SPDK nvmf_tcp_dump_opts).</summary>
    public void Dump(JsonObject o)
    {
        o["c2h_success"] = C2HSuccess;
        o["sock_priority"] = SockPriority;
    }

    /// <summary>Reads the TCP keys from the raw params; false with an error for wrong JSON types.</summary>
    public static bool TryRead(JsonElement raw, TcpTransportOptions options, out string? error)
    {
        error = null;
        if (raw.ValueKind != JsonValueKind.Object) return true;
        foreach (var p in raw.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "c2h_success":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) { error = "bad value for c2h_success"; return false; }
                    options.C2HSuccess = v.GetBoolean();
                    break;
                case "sock_priority":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt32(out uint prio)) { error = "bad value for sock_priority"; return false; }
                    options.SockPriority = prio;
                    break;
                case "control_msg_num":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt16(out ushort num)) { error = "bad value for control_msg_num"; return false; }
                    options.ControlMsgNum = num;
                    break;
            }
        }
        return true;
    }

    /// <summary>
    /// Applies SPDK's TCP rules to the common options (adjusting them in place) and checks the TCP
    /// keys. Returns an error text when the transport must not be created.
    /// </summary>
    public string? Validate(TransportOptions common)
    {
        if (SockPriority > MaxSockPriority) return "sock_priority " + SockPriority + " is above " + MaxSockPriority;
        if (common.MaxIoSize < 4096 || common.MaxIoSize % 4 != 0 || common.MaxIoSize > 16u << 20)
            return "max_io_size " + common.MaxIoSize + " must be a multiple of 4 within 4096..16 MiB";
        if (common.MaxQueueDepth < 2)
        {
            Serilog.Log.Warning("tcp: max_queue_depth {Depth} is below 2, using {Default}", common.MaxQueueDepth, DefaultMaxQueueDepth);
            common.MaxQueueDepth = DefaultMaxQueueDepth;
        }
        if (common.MaxQueueDepth > MaxAqDepthLimit) return "max_queue_depth " + common.MaxQueueDepth + " is above " + MaxAqDepthLimit;
        if (common.MaxAqDepth < 2 || common.MaxAqDepth > MaxAqDepthLimit)
        {
            Serilog.Log.Warning("tcp: max_aq_depth {Depth} is outside 2..4096, using {Default}", common.MaxAqDepth, DefaultMaxAqDepth);
            common.MaxAqDepth = DefaultMaxAqDepth;
        }
        if (common.InCapsuleDataSize > common.MaxIoSize) common.InCapsuleDataSize = common.MaxIoSize;
        common.InCapsuleDataSize &= ~15u; // IOCCSZ is in 16-byte units
        if (ControlMsgNum == 0 && common.InCapsuleDataSize < AdminInCapsuleDataSize) ControlMsgNum = 32;
        return null;
    }
}
