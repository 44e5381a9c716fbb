// An NVMe completion status (NVMe Base 2.0 §4.6.1, CQE DW3 bits 31:17) as a value: SCT, SC, More
// and Do Not Retry. Handlers return these instead of throwing; Field is the CQE status word
// without the phase bit.
namespace Target.Core.Nvme.Spec;

public readonly struct NvmeStatus : IEquatable<NvmeStatus>
{
    private readonly ushort _field;

    private NvmeStatus(ushort field) => _field = (ushort)(field & 0xFFFE);

    public NvmeStatus(StatusCodeType sct, byte sc, bool dnr = false, bool more = false)
        : this((ushort)((sc << 1) | (((int)sct & 0x7) << 9) | (more ? 1 << 14 : 0) | (dnr ? 1 << 15 : 0))) { }

    /// <summary>Decodes a CQE status word (the phase bit is dropped).</summary>
    public static NvmeStatus FromField(ushort field) => new(field);

    /// <summary>The CQE status word with phase 0.</summary>
    public ushort Field => _field;
    public byte Sc => (byte)(_field >> 1);
    public StatusCodeType Sct => (StatusCodeType)((_field >> 9) & 0x7);
    public byte Crd => (byte)((_field >> 12) & 0x3);
    public bool More => (_field & (1 << 14)) != 0;
    public bool Dnr => (_field & (1 << 15)) != 0;
    public bool IsSuccess => (_field & 0x0FFE) == 0;

    public NvmeStatus WithDnr() => new((ushort)(_field | (1 << 15)));

    public static NvmeStatus Generic(GenericStatus sc, bool dnr = false) => new(StatusCodeType.Generic, (byte)sc, dnr);
    public static NvmeStatus CommandSpecific(CommandSpecificStatus sc, bool dnr = false) => new(StatusCodeType.CommandSpecific, (byte)sc, dnr);
    public static NvmeStatus Media(MediaStatus sc, bool dnr = false) => new(StatusCodeType.MediaError, (byte)sc, dnr);
    public static NvmeStatus Path(PathStatus sc, bool dnr = false) => new(StatusCodeType.Path, (byte)sc, dnr);

    public static readonly NvmeStatus Success = default;
    public static readonly NvmeStatus InvalidOpcode = Generic(GenericStatus.InvalidOpcode, dnr: true);
    public static readonly NvmeStatus InvalidField = Generic(GenericStatus.InvalidField, dnr: true);
    public static readonly NvmeStatus InternalError = Generic(GenericStatus.InternalError);
    public static readonly NvmeStatus InvalidNamespace = Generic(GenericStatus.InvalidNamespaceOrFormat, dnr: true);
    public static readonly NvmeStatus CommandSequenceError = Generic(GenericStatus.CommandSequenceError, dnr: true);
    public static readonly NvmeStatus LbaOutOfRange = Generic(GenericStatus.LbaOutOfRange, dnr: true);
    public static readonly NvmeStatus DataSglLengthInvalid = Generic(GenericStatus.DataSglLengthInvalid, dnr: true);
    public static readonly NvmeStatus FabricsInvalidParameters = CommandSpecific(CommandSpecificStatus.FabricsInvalidParameters, dnr: true);

    public bool Equals(NvmeStatus other) => _field == other._field;
    public override bool Equals(object? obj) => obj is NvmeStatus s && Equals(s);
    public override int GetHashCode() => _field;
    public static bool operator ==(NvmeStatus a, NvmeStatus b) => a._field == b._field;
    public static bool operator !=(NvmeStatus a, NvmeStatus b) => a._field != b._field;

    public override string ToString() => "SCT " + ((int)Sct).ToString("x") + " SC 0x" + Sc.ToString("x2") + (Dnr ? " DNR" : "");
}
