// Why a command's data pointer could not be turned into data segments (NVMe Base 2.0 §4.3 PRP
// rules, §4.4 SGL rules) and the completion status each reason maps to (§4.6.1.2.1).
using Target.Core.Nvme.Spec;

namespace Target.Transports.VfioUser.Nvme;

public enum DataPointerStatus : byte
{
    Success,
    /// <summary>A PRP entry (other than PRP1) or a PRP list pointer with a bad offset.</summary>
    InvalidPrpOffset,
    /// <summary>An address not inside a mapped (and, for reads, writable) guest region.</summary>
    DataTransferError,
    /// <summary>More segments than a request can hold, or a transfer above the limit.</summary>
    InvalidField,
    /// <summary>SGL descriptor of a type the controller does not support.</summary>
    SglDescriptorTypeInvalid,
    /// <summary>SGL segment descriptor with a bad length or a chain that is too long.</summary>
    InvalidSglSegmentDescriptor,
    /// <summary>The SGL describes less data than the command transfers.</summary>
    DataSglLengthInvalid,
    /// <summary>Too many SGL descriptors.</summary>
    InvalidNumberOfSglDescriptors,
}

public static class DataPointerStatusExtensions
{
    public static NvmeStatus ToNvmeStatus(this DataPointerStatus status) => status switch
    {
        DataPointerStatus.Success => NvmeStatus.Success,
        DataPointerStatus.InvalidPrpOffset => NvmeStatus.Generic(GenericStatus.InvalidPrpOffset, dnr: true),
        DataPointerStatus.DataTransferError => NvmeStatus.Generic(GenericStatus.DataTransferError, dnr: true),
        DataPointerStatus.SglDescriptorTypeInvalid => NvmeStatus.Generic(GenericStatus.SglDescriptorTypeInvalid, dnr: true),
        DataPointerStatus.InvalidSglSegmentDescriptor => NvmeStatus.Generic(GenericStatus.InvalidSglSegmentDescriptor, dnr: true),
        DataPointerStatus.DataSglLengthInvalid => NvmeStatus.DataSglLengthInvalid,
        DataPointerStatus.InvalidNumberOfSglDescriptors => NvmeStatus.Generic(GenericStatus.InvalidNumberOfSglDescriptors, dnr: true),
        _ => NvmeStatus.InvalidField,
    };
}
