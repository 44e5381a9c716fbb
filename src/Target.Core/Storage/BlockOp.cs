// The block-operation vocabulary shared by the NVMe-oF core and the bdev layer. It lives outside
// Target.Core.Nvmf so that Bdev can speak it without depending on the NVMe-oF namespace
// (checked by tests/Architecture.Tests). Data segments are Target.Core.Memory.IoVec.
namespace Target.Core.Storage;

public enum BlockOp : byte
{
    Read,
    Write,
    Flush,
    WriteZeroes,
    Unmap,
    Compare,
    Reset,
}
