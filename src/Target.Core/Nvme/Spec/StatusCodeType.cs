// NVMe status code types (NVMe Base 2.0 §4.6.1.2, CQE DW3 bits 27:25).
namespace Target.Core.Nvme.Spec;

public enum StatusCodeType : byte
{
    Generic = 0,
    CommandSpecific = 1,
    MediaError = 2,
    Path = 3,
    VendorSpecific = 7,
}
