// I/O statistics of one channel (owned by its reactor) or an aggregate of them (bdev_get_iostat).
// Latencies are Stopwatch ticks; min values start at ulong.MaxValue and print as 0 when unused.
using System.Text.Json;

namespace Target.Bdev;

public sealed class BdevStats
{
    public ulong BytesRead, NumReadOps, BytesWritten, NumWriteOps, BytesUnmapped, NumUnmapOps, BytesCopied, NumCopyOps;
    public ulong ReadLatencyTicks, MaxReadLatencyTicks, MinReadLatencyTicks = ulong.MaxValue;
    public ulong WriteLatencyTicks, MaxWriteLatencyTicks, MinWriteLatencyTicks = ulong.MaxValue;
    public ulong UnmapLatencyTicks, MaxUnmapLatencyTicks, MinUnmapLatencyTicks = ulong.MaxValue;
    public ulong CopyLatencyTicks, MaxCopyLatencyTicks, MinCopyLatencyTicks = ulong.MaxValue;
    /// <summary>I/Os that completed with an error status (any type).</summary>
    public ulong IoErrors;

    /// <summary>Records one successful I/O (data path; no allocation).</summary>
    public void Record(BdevIoType type, ulong bytes, ulong ticks)
    {
        switch (type)
        {
            case BdevIoType.Read:
                BytesRead += bytes; NumReadOps++;
                Latency(ticks, ref ReadLatencyTicks, ref MaxReadLatencyTicks, ref MinReadLatencyTicks);
                break;
            case BdevIoType.Write:
            case BdevIoType.WriteZeroes:
                BytesWritten += bytes; NumWriteOps++;
                Latency(ticks, ref WriteLatencyTicks, ref MaxWriteLatencyTicks, ref MinWriteLatencyTicks);
                break;
            case BdevIoType.Unmap:
                BytesUnmapped += bytes; NumUnmapOps++;
                Latency(ticks, ref UnmapLatencyTicks, ref MaxUnmapLatencyTicks, ref MinUnmapLatencyTicks);
                break;
            case BdevIoType.Copy:
                BytesCopied += bytes; NumCopyOps++;
                Latency(ticks, ref CopyLatencyTicks, ref MaxCopyLatencyTicks, ref MinCopyLatencyTicks);
                break;
        }
    }

    private static void Latency(ulong ticks, ref ulong sum, ref ulong max, ref ulong min)
    {
        sum += ticks;
        if (ticks > max) max = ticks;
        if (ticks < min) min = ticks;
    }

    public BdevStats Clone() => (BdevStats)MemberwiseClone();

    public void Add(BdevStats o)
    {
        BytesRead += o.BytesRead; NumReadOps += o.NumReadOps; BytesWritten += o.BytesWritten; NumWriteOps += o.NumWriteOps;
        BytesUnmapped += o.BytesUnmapped; NumUnmapOps += o.NumUnmapOps; BytesCopied += o.BytesCopied; NumCopyOps += o.NumCopyOps;
        ReadLatencyTicks += o.ReadLatencyTicks; MaxReadLatencyTicks = Math.Max(MaxReadLatencyTicks, o.MaxReadLatencyTicks); MinReadLatencyTicks = Math.Min(MinReadLatencyTicks, o.MinReadLatencyTicks);
        WriteLatencyTicks += o.WriteLatencyTicks; MaxWriteLatencyTicks = Math.Max(MaxWriteLatencyTicks, o.MaxWriteLatencyTicks); MinWriteLatencyTicks = Math.Min(MinWriteLatencyTicks, o.MinWriteLatencyTicks);
        UnmapLatencyTicks += o.UnmapLatencyTicks; MaxUnmapLatencyTicks = Math.Max(MaxUnmapLatencyTicks, o.MaxUnmapLatencyTicks); MinUnmapLatencyTicks = Math.Min(MinUnmapLatencyTicks, o.MinUnmapLatencyTicks);
        CopyLatencyTicks += o.CopyLatencyTicks; MaxCopyLatencyTicks = Math.Max(MaxCopyLatencyTicks, o.MaxCopyLatencyTicks); MinCopyLatencyTicks = Math.Min(MinCopyLatencyTicks, o.MinCopyLatencyTicks);
        IoErrors += o.IoErrors;
    }

    /// <summary>bdev_get_iostat reset_mode "all".</summary>
    public void ResetAll()
    {
        BytesRead = NumReadOps = BytesWritten = NumWriteOps = BytesUnmapped = NumUnmapOps = BytesCopied = NumCopyOps = 0;
        ReadLatencyTicks = WriteLatencyTicks = UnmapLatencyTicks = CopyLatencyTicks = 0;
        IoErrors = 0;
        ResetMaxMin();
    }

    /// <summary>bdev_get_iostat reset_mode "maxmin".</summary>
    public void ResetMaxMin()
    {
        MaxReadLatencyTicks = MaxWriteLatencyTicks = MaxUnmapLatencyTicks = MaxCopyLatencyTicks = 0;
        MinReadLatencyTicks = MinWriteLatencyTicks = MinUnmapLatencyTicks = MinCopyLatencyTicks = ulong.MaxValue;
    }

    /// <summary>Writes the iostat members in SPDK's order (after "name" or "thread_id"), streamed.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteNumber("bytes_read", BytesRead);
        w.WriteNumber("num_read_ops", NumReadOps);
        w.WriteNumber("bytes_written", BytesWritten);
        w.WriteNumber("num_write_ops", NumWriteOps);
        w.WriteNumber("bytes_unmapped", BytesUnmapped);
        w.WriteNumber("num_unmap_ops", NumUnmapOps);
        w.WriteNumber("bytes_copied", BytesCopied);
        w.WriteNumber("num_copy_ops", NumCopyOps);
        w.WriteNumber("read_latency_ticks", ReadLatencyTicks);
        w.WriteNumber("max_read_latency_ticks", MaxReadLatencyTicks);
        w.WriteNumber("min_read_latency_ticks", Min(MinReadLatencyTicks));
        w.WriteNumber("write_latency_ticks", WriteLatencyTicks);
        w.WriteNumber("max_write_latency_ticks", MaxWriteLatencyTicks);
        w.WriteNumber("min_write_latency_ticks", Min(MinWriteLatencyTicks));
        w.WriteNumber("unmap_latency_ticks", UnmapLatencyTicks);
        w.WriteNumber("max_unmap_latency_ticks", MaxUnmapLatencyTicks);
        w.WriteNumber("min_unmap_latency_ticks", Min(MinUnmapLatencyTicks));
        w.WriteNumber("copy_latency_ticks", CopyLatencyTicks);
        w.WriteNumber("max_copy_latency_ticks", MaxCopyLatencyTicks);
        w.WriteNumber("min_copy_latency_ticks", Min(MinCopyLatencyTicks));
    }

    private static ulong Min(ulong v) => v == ulong.MaxValue ? 0 : v;
}
