// The JSON capability object of VFIO_USER_VERSION (reference vfio-user.md §1.3 VERSION table):
// {"capabilities":{"max_msg_fds":N,"max_data_xfer_size":N,"max_dma_maps":N,"pgsizes":N,
// "migration":{"pgsize":N,"max_bitmap_size":N}}}. Absent keys take the protocol defaults; unknown
// keys are ignored. The JSON is NUL-terminated on the wire; a message without JSON is valid.
using System.Text;
using System.Text.Json;
using Target.Core.Interop;

namespace Target.VfioUser.Protocol;

public sealed record VersionCapabilities
{
    public const int DefaultMaxMsgFds = 1;
    public const int DefaultMaxDataXferSize = 1 << 20;
    public const int DefaultMaxDmaMaps = 65535;
    public const ulong DefaultPgSizes = 4096;
    /// <summary>libvfio-user rejects a peer asking for more.</summary>
    public const int MaxMaxMsgFds = 1024;

    public int MaxMsgFds { get; init; } = DefaultMaxMsgFds;
    public long MaxDataXferSize { get; init; } = DefaultMaxDataXferSize;
    public int MaxDmaMaps { get; init; } = DefaultMaxDmaMaps;
    public ulong PgSizes { get; init; } = DefaultPgSizes;
    /// <summary>Migration page size if the object was present; null otherwise.</summary>
    public ulong? MigrationPgSize { get; init; }
    public ulong? MigrationMaxBitmapSize { get; init; }

    /// <summary>
    /// Parses the bytes after major/minor. Empty = defaults. Returns 0 or -EINVAL (not UTF-8 JSON,
    /// no NUL terminator, wrong value types or out-of-range values).
    /// </summary>
    public static int TryParse(ReadOnlySpan<byte> json, out VersionCapabilities caps)
    {
        caps = new VersionCapabilities();
        if (json.Length == 0) return 0;
        int nul = json.IndexOf((byte)0);
        if (nul < 0) return -Errno.EINVAL;
        json = json[..nul];
        if (json.Length == 0) return 0;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return -Errno.EINVAL;
            if (!doc.RootElement.TryGetProperty("capabilities", out JsonElement c)) return 0;
            if (c.ValueKind != JsonValueKind.Object) return -Errno.EINVAL;
            var result = new VersionCapabilities();
            if (c.TryGetProperty("max_msg_fds", out JsonElement e))
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v) || v < 0 || v > MaxMaxMsgFds) return -Errno.EINVAL;
                result = result with { MaxMsgFds = v };
            }
            if (c.TryGetProperty("max_data_xfer_size", out e))
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v <= 0) return -Errno.EINVAL;
                result = result with { MaxDataXferSize = v };
            }
            if (c.TryGetProperty("max_dma_maps", out e))
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v) || v <= 0) return -Errno.EINVAL;
                result = result with { MaxDmaMaps = v };
            }
            if (c.TryGetProperty("pgsizes", out e))
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetUInt64(out ulong v) || (v & 4096) == 0) return -Errno.EINVAL;
                result = result with { PgSizes = v };
            }
            if (c.TryGetProperty("migration", out e))
            {
                if (e.ValueKind != JsonValueKind.Object) return -Errno.EINVAL;
                ulong? pg = null, bm = null;
                if (e.TryGetProperty("pgsize", out JsonElement p))
                {
                    if (p.ValueKind != JsonValueKind.Number || !p.TryGetUInt64(out ulong v)) return -Errno.EINVAL;
                    pg = v;
                }
                if (e.TryGetProperty("max_bitmap_size", out p))
                {
                    if (p.ValueKind != JsonValueKind.Number || !p.TryGetUInt64(out ulong v)) return -Errno.EINVAL;
                    bm = v;
                }
                result = result with { MigrationPgSize = pg, MigrationMaxBitmapSize = bm };
            }
            caps = result;
            return 0;
        }
        catch (JsonException) { return -Errno.EINVAL; }
        catch (ArgumentException) { return -Errno.EINVAL; }
    }

    /// <summary>The JSON text followed by a NUL byte.</summary>
    public byte[] ToWire()
    {
        var sb = new StringBuilder();
        sb.Append("{\"capabilities\":{\"max_msg_fds\":").Append(MaxMsgFds)
          .Append(",\"max_data_xfer_size\":").Append(MaxDataXferSize)
          .Append(",\"max_dma_maps\":").Append(MaxDmaMaps)
          .Append(",\"pgsizes\":").Append(PgSizes);
        if (MigrationPgSize is ulong pg)
        {
            sb.Append(",\"migration\":{\"pgsize\":").Append(pg);
            if (MigrationMaxBitmapSize is ulong bm) sb.Append(",\"max_bitmap_size\":").Append(bm);
            sb.Append('}');
        }
        sb.Append("}}");
        byte[] text = Encoding.UTF8.GetBytes(sb.ToString());
        var wire = new byte[text.Length + 1];
        text.CopyTo(wire, 0);
        return wire;
    }
}
