// CRC32C (Castagnoli) for NVMe/TCP header and data digests (NVMe TCP Transport 1.0 §3.6.1.4;
// nvme-tcp.md §1.8): seed 0xFFFFFFFF, final XOR 0xFFFFFFFF, stored little-endian. Uses the
// hardware CRC32C instruction through BitOperations, 8 bytes per step.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Target.Core.Nvme.Tcp;

public static class Crc32c
{
    public const uint Seed = 0xFFFFFFFF;

    /// <summary>CRC32C of one contiguous buffer, finished.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));

    /// <summary>Continues a running (unfinished) CRC over more bytes.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint n = (nuint)data.Length;
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 8)));
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 16)));
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i + 24)));
        }
        for (; i + 8 <= n; i += 8)
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i)));
        if (i + 4 <= n)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i)));
            i += 4;
        }
        for (; i < n; i++) crc = BitOperations.Crc32C(crc, Unsafe.Add(ref p, i));
        return crc;
    }

    /// <summary>Continues a running CRC over native memory.</summary>
    public static unsafe uint Append(uint crc, nint address, int length) =>
        Append(crc, new ReadOnlySpan<byte>((void*)address, length));

    public static uint Finish(uint crc) => ~crc;
}
