// Fabrics command types carried in FCTYPE of an OPC 0x7F capsule (NVMe-oF 1.1 §3.3, Figure 13).
namespace Target.Core.Nvme.Spec;

public enum FabricsCommandType : byte
{
    PropertySet = 0x00,
    Connect = 0x01,
    PropertyGet = 0x04,
    AuthenticationSend = 0x05,
    AuthenticationReceive = 0x06,
    Disconnect = 0x08,
}
