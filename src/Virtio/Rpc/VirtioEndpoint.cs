// One vfu_virtio endpoint: its creation parameters (what save_config writes back), the device
// model, the vfio-user Endpoint serving <base path>/<name>, and teardown.
using System.Text.Json.Nodes;
using Target.Core.Reactors;
using Target.Virtio.Blk;
using Target.Virtio.Pci;
using Target.Virtio.Scsi;
using Target.VfioUser.Server;

namespace Target.Virtio.Rpc;

public sealed class VirtioEndpoint
{
    internal VirtioEndpoint(string name, string type, string cpumask, int numQueues, ushort qsize, bool packedRing,
        VirtioPciDevice device, Endpoint endpoint, VirtioBlkDevice? blk, VirtioScsiDevice? scsi = null)
    {
        Name = name;
        Type = type;
        Cpumask = cpumask;
        NumQueues = numQueues;
        QueueSize = qsize;
        PackedRing = packedRing;
        Device = device;
        Endpoint = endpoint;
        Blk = blk;
        Scsi = scsi;
    }

    public string Name { get; }
    /// <summary>"virtio_blk" or "virtio_scsi" (SPDK's endpoint type names).</summary>
    public string Type { get; }
    /// <summary>The cpumask as hex (SPDK's spdk_cpuset_fmt form).</summary>
    public string Cpumask { get; }
    public int NumQueues { get; }
    public ushort QueueSize { get; }
    public bool PackedRing { get; }
    public VirtioPciDevice Device { get; }
    public Endpoint Endpoint { get; }
    public VirtioBlkDevice? Blk { get; }
    public VirtioScsiDevice? Scsi { get; }
    public string SocketPath => Endpoint.SocketPath;

    /// <summary>Endpoint reactor: connection facts; the rest is plain fields.</summary>
    internal JsonObject Describe()
    {
        var o = new JsonObject
        {
            ["name"] = Name,
            ["type"] = Type,
            ["socket"] = SocketPath,
            ["cpumask"] = "0x" + Cpumask,
            ["num_queues"] = NumQueues,
            ["qsize"] = (int)QueueSize,
            ["packed_ring"] = PackedRing,
            ["connected"] = Endpoint.IsConnected,
            ["connections"] = Endpoint.ConnectionCount,
        };
        Device.DeviceClass.Describe(o);
        JsonObject d = Device.Describe();
        foreach (string key in d.Select(kv => kv.Key).ToArray())
        {
            JsonNode? v = d[key];
            d.Remove(key);
            o[key] = v;
        }
        return o;
    }

    /// <summary>Stops the endpoint (disconnects a client), stops the queues, closes the bdev. Main reactor for the bdev part.</summary>
    internal async Task DestroyAsync(Reactor main)
    {
        try { await Endpoint.StopAsync(); }
        catch (Exception e) { Serilog.Log.Warning("virtio {Name}: stopping the endpoint failed: {Error}", Name, e.Message); }
        try { if (File.Exists(SocketPath)) File.Delete(SocketPath); } catch (IOException) { }
        await main.InvokeAsync(() => Blk?.Close());
        if (Scsi is not null) await main.InvokeAsync(Scsi.DestroyAsync);
        Device.Dispose();
    }
}
