// The per-bdev function table of a module (SPDK struct spdk_bdev_fn_table). The generic layer has
// already validated every I/O (type supported, range, data length) before Submit sees it.
using System.Text.Json.Nodes;
using Target.Core.Reactors;

namespace Target.Bdev;

public interface IBdevDriver
{
    bool Supports(BdevIoType type);

    /// <summary>Creates this bdev's driver context for <paramref name="reactor"/>, on that reactor. May return null.</summary>
    object? CreateChannel(Reactor reactor);

    /// <summary>Destroys a driver context on its reactor, after all its I/O has completed.</summary>
    void DestroyChannel(object? channel);

    /// <summary>
    /// Starts one I/O on the calling reactor; finish it with <see cref="BdevIo.Complete"/>, inline
    /// or later from a poller of the same reactor. Must not throw.
    /// </summary>
    void Submit(object? channel, BdevIo io);

    /// <summary>Frees the bdev's resources; called on the main reactor after every channel is gone.</summary>
    void Destruct();

    /// <summary>Fills "driver_specific" of bdev_get_bdevs (empty for null/malloc).</summary>
    void DumpInfo(JsonObject driverSpecific);

    /// <summary>Appends the {"method","params"} entry that recreates this bdev.</summary>
    void WriteConfig(JsonArray config);
}
