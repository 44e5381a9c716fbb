// Identify CNS values (NVMe Base 2.0 §5.17, Figure 273).
namespace Target.Core.Nvme.Spec;

public enum IdentifyCns : byte
{
    Namespace = 0x00,
    Controller = 0x01,
    ActiveNamespaceList = 0x02,
    NamespaceIdDescriptorList = 0x03,
    IoCommandSetNamespace = 0x05,
    IoCommandSetController = 0x06,
    IoCommandSetActiveNamespaceList = 0x07,
    IndependentNamespace = 0x08,
    IoCommandSet = 0x1C,
}
