// Asymmetric Namespace Access states (NVMe Base 2.0 §8.1.3, ANA log page state values).
namespace Target.Core.Nvmf;

public enum AnaState : byte
{
    Optimized = 0x1,
    NonOptimized = 0x2,
    Inaccessible = 0x3,
    PersistentLoss = 0x4,
    Change = 0xF,
}
