// Claim types of SPDK's bdev layer: who may write a bdev while a module (nvmf, raid, lvol) uses it.
namespace Target.Bdev;

public enum BdevClaimType : byte
{
    None,
    /// <summary>One module owns the bdev; no other descriptor may write (SPDK v1 claim).</summary>
    ExclusiveWrite,
    /// <summary>Any number of readers, the claiming descriptor is the one writer.</summary>
    ReadManyWriteOne,
    /// <summary>Any number of readers, no writer at all.</summary>
    ReadManyWriteNone,
}

public static class BdevClaimTypeNames
{
    public static string Name(BdevClaimType type) => type switch
    {
        BdevClaimType.ExclusiveWrite => "exclusive_write",
        BdevClaimType.ReadManyWriteOne => "read_many_write_one",
        BdevClaimType.ReadManyWriteNone => "read_many_write_none",
        _ => "none",
    };
}
