// spdk_nvme_perf-style output: the per-device table "Device Information : IOPS MiB/s Average min
// max" (latencies in microseconds) with a Total row, p50/p99/p99.9 per device, and with -L the
// summary percentile list, with -LL the histogram buckets (range, cumulative %, count).
using System.Diagnostics;
using System.Globalization;
using Target.Initiator;

namespace Target.Perf;

public static class PerfReport
{
    private static readonly double[] SummaryPercentiles =
        { 0.01, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999, 0.999999 };

    public static void Print(IReadOnlyList<PerfWorker> workers, int ioSize, int latencyDetail, TextWriter o)
    {
        var rows = new List<(string Label, PerfNamespace Ns, double Seconds)>();
        foreach (var w in workers)
        {
            double seconds = (w.EndTicks - w.StartTicks) / (double)Stopwatch.Frequency;
            foreach (var ns in w.Namespaces) rows.Add((ns.Label + " from core " + w.Core.ToString().PadLeft(2), ns, seconds));
        }
        int width = 48;
        foreach (var r in rows) width = Math.Max(width, r.Label.Length);

        o.WriteLine("========================================================");
        o.WriteLine(new string(' ', width + 50) + "Latency(us)");
        o.WriteLine("Device Information".PadRight(width) + " : " + Col("IOPS") + Col("MiB/s") + Col("Average") + Col("min") + Col("max"));
        var total = new LatencyHistogram();
        double totalIops = 0;
        foreach (var r in rows)
        {
            double iops = r.Seconds > 0 ? r.Ns.Completed / r.Seconds : 0;
            totalIops += iops;
            total.Merge(r.Ns.Histogram);
            o.WriteLine(r.Label.PadRight(width) + ": " + Line(iops, ioSize, r.Ns.Histogram));
        }
        o.WriteLine("========================================================");
        o.WriteLine("Total".PadRight(width) + ": " + Line(totalIops, ioSize, total));
        o.WriteLine();

        foreach (var r in rows)
        {
            var h = r.Ns.Histogram;
            if (r.Ns.Errors != 0) o.WriteLine(r.Label + ": " + r.Ns.Errors + " I/Os completed with an error status");
            o.WriteLine("Latency percentiles for " + r.Label + ":");
            o.WriteLine("  p50   : " + Us(h.PercentileMicroseconds(0.50)) + "us");
            o.WriteLine("  p99   : " + Us(h.PercentileMicroseconds(0.99)) + "us");
            o.WriteLine("  p99.9 : " + Us(h.PercentileMicroseconds(0.999)) + "us");
            if (latencyDetail >= 1) PrintSummary(r.Label, h, o);
            if (latencyDetail >= 2) PrintHistogram(r.Label, h, o);
            o.WriteLine();
        }
    }

    private static void PrintSummary(string label, LatencyHistogram h, TextWriter o)
    {
        o.WriteLine("Summary latency data for " + label + ":");
        o.WriteLine("=================================================================================");
        foreach (double p in SummaryPercentiles)
            o.WriteLine((p * 100).ToString("F5", CultureInfo.InvariantCulture).PadLeft(10) + "% : " +
                Us(h.PercentileMicroseconds(p)) + "us");
        o.WriteLine();
    }

    private static void PrintHistogram(string label, LatencyHistogram h, TextWriter o)
    {
        o.WriteLine("Latency histogram for " + label + ":");
        o.WriteLine("==============================================================================");
        o.WriteLine("       Range in us     Cumulative    IO count");
        long seen = 0;
        long count = h.Count;
        h.ForEachBucket((start, end, n) =>
        {
            seen += n;
            o.WriteLine(Us(LatencyHistogram.TicksToMicroseconds(start)) + " - " + Us(LatencyHistogram.TicksToMicroseconds(end)) + ": " +
                (100.0 * seen / count).ToString("F4", CultureInfo.InvariantCulture).PadLeft(9) + "%  (" + n.ToString().PadLeft(9) + ")");
        });
        o.WriteLine();
    }

    private static string Line(double iops, int ioSize, LatencyHistogram h) =>
        Num(iops) + Num(iops * ioSize / (1024 * 1024)) + Num(h.AverageMicroseconds) + Num(h.MinMicroseconds) + Num(h.MaxMicroseconds);

    private static string Col(string s) => s.PadLeft(10) + " ";
    private static string Num(double v) => v.ToString("F2", CultureInfo.InvariantCulture).PadLeft(10) + " ";
    private static string Us(double v) => v.ToString("F3", CultureInfo.InvariantCulture).PadLeft(10);
}
