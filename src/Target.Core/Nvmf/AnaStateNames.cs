// RPC spellings of ANA states (SPDK spdk_nvme_ana_state string table).
namespace Target.Core.Nvmf;

public static class AnaStateNames
{
    public static string ToRpc(AnaState s) => s switch
    {
        AnaState.Optimized => "optimized",
        AnaState.NonOptimized => "non_optimized",
        AnaState.Inaccessible => "inaccessible",
        AnaState.PersistentLoss => "persistent_loss",
        _ => "change",
    };

    /// <summary>The states an RPC may set (optimized, non_optimized, inaccessible); exact match.</summary>
    public static bool TryParse(string text, out AnaState state)
    {
        switch (text)
        {
            case "optimized": state = AnaState.Optimized; return true;
            case "non_optimized": state = AnaState.NonOptimized; return true;
            case "inaccessible": state = AnaState.Inaccessible; return true;
            default: state = default; return false;
        }
    }
}
