// A bdev module (SPDK struct spdk_bdev_module): a named family of bdevs ("null", "malloc", "aio").
// Per-bdev behaviour lives in IBdevDriver; the module holds module-wide state and config.
using System.Text.Json.Nodes;

namespace Target.Bdev;

public interface IBdevModule
{
    /// <summary>SPDK's module name, e.g. "null", "malloc", "aio".</summary>
    string Name { get; }

    /// <summary>Module-wide config entries ({"method","params"}) written before the bdevs; usually none.</summary>
    void WriteConfig(JsonArray config);
}
