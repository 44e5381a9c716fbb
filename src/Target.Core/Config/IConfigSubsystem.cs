// A named part of the target whose configuration framework_get_config returns as the list of
// RPC calls that recreate it (SPDK's subsystem write_config_json); save_config walks them in order.
using System.Text.Json.Nodes;

namespace Target.Core.Config;

public interface IConfigSubsystem
{
    /// <summary>SPDK's subsystem name ("bdev", "nvmf", ...).</summary>
    string Name { get; }

    /// <summary>Subsystems that must be initialised (and replayed) before this one.</summary>
    IReadOnlyList<string> DependsOn { get; }

    /// <summary>The {"method", "params"} entries recreating the current state; null when there is nothing.</summary>
    Task<JsonArray?> WriteConfigAsync();
}
