// Media and data integrity status values, SCT 2 (NVMe Base 2.0 §4.6.1.2.3).
namespace Target.Core.Nvme.Spec;

public enum MediaStatus : byte
{
    WriteFault = 0x80,
    UnrecoveredReadError = 0x81,
    GuardCheckError = 0x82,
    ApplicationTagCheckError = 0x83,
    ReferenceTagCheckError = 0x84,
    CompareFailure = 0x85,
    AccessDenied = 0x86,
    DeallocatedOrUnwrittenBlock = 0x87,
}
