// An additional sense code and qualifier pair (ASC/ASCQ, SPC-4 §4.5.6, Table 49): bytes 12 and 13 of
// fixed-format sense data. Only the pairs this target reports are named.
namespace Target.Scsi.Spec;

public readonly record struct SenseCode(byte Asc, byte Ascq)
{
    public static readonly SenseCode NoAdditionalSense = new(0x00, 0x00);
    public static readonly SenseCode WriteError = new(0x0C, 0x00);
    public static readonly SenseCode UnrecoveredReadError = new(0x11, 0x00);
    public static readonly SenseCode ParameterListLengthError = new(0x1A, 0x00);
    public static readonly SenseCode MiscompareDuringVerify = new(0x1D, 0x00);
    public static readonly SenseCode InvalidCommandOperationCode = new(0x20, 0x00);
    public static readonly SenseCode LbaOutOfRange = new(0x21, 0x00);
    public static readonly SenseCode InvalidFieldInCdb = new(0x24, 0x00);
    public static readonly SenseCode LogicalUnitNotSupported = new(0x25, 0x00);
    public static readonly SenseCode InvalidFieldInParameterList = new(0x26, 0x00);
    public static readonly SenseCode WriteProtected = new(0x27, 0x00);
    public static readonly SenseCode PowerOnOrReset = new(0x29, 0x00);
    public static readonly SenseCode BusDeviceResetFunctionOccurred = new(0x29, 0x03);
    public static readonly SenseCode ItNexusLossOccurred = new(0x29, 0x07);
    public static readonly SenseCode CapacityDataHasChanged = new(0x2A, 0x09);
    public static readonly SenseCode SavingParametersNotSupported = new(0x39, 0x00);
    public static readonly SenseCode ReportedLunsDataHasChanged = new(0x3F, 0x0E);
    public static readonly SenseCode InternalTargetFailure = new(0x44, 0x00);
}
