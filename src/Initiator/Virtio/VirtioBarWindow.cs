// Access to one virtio structure inside a BAR (common/notify/ISR/device configuration): loads and
// stores of the field's width into the mmapped sparse area when the server made that part of the
// BAR mappable (no message), REGION_READ/REGION_WRITE messages otherwise (virtio 1.2 §4.1.3.1: the
// driver accesses each field with its own width). Message access shares the client's socket, so
// it takes the driver's control lock.
using System.Buffers.Binary;
using Target.Initiator.VfioUser;

namespace Target.Initiator.Virtio;

public sealed unsafe class VirtioBarWindow
{
    private readonly VfioUserClient _client;
    private readonly object _lock;

    internal VirtioBarWindow(VfioUserClient client, object controlLock, VirtioPciCapability cap, nint mapped)
    {
        _client = client;
        _lock = controlLock;
        Capability = cap;
        Mapped = mapped;
    }

    public VirtioPciCapability Capability { get; }
    /// <summary>Local address of the structure when its bytes are mmapped, else 0.</summary>
    public nint Mapped { get; }
    public bool IsMapped => Mapped != 0;
    public uint Length => Capability.Length;

    public byte Read8(uint offset)
    {
        Check(offset, 1);
        if (IsMapped) return Volatile.Read(ref *(byte*)(Mapped + (nint)offset));
        Span<byte> b = stackalloc byte[1];
        ReadMessage(offset, b);
        return b[0];
    }

    public ushort Read16(uint offset)
    {
        Check(offset, 2);
        if (IsMapped) return Volatile.Read(ref *(ushort*)(Mapped + (nint)offset));
        Span<byte> b = stackalloc byte[2];
        ReadMessage(offset, b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    public uint Read32(uint offset)
    {
        Check(offset, 4);
        if (IsMapped) return Volatile.Read(ref *(uint*)(Mapped + (nint)offset));
        Span<byte> b = stackalloc byte[4];
        ReadMessage(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public void Write8(uint offset, byte value)
    {
        Check(offset, 1);
        if (IsMapped) Volatile.Write(ref *(byte*)(Mapped + (nint)offset), value);
        else WriteMessage(offset, new ReadOnlySpan<byte>(in value));
    }

    public void Write16(uint offset, ushort value)
    {
        Check(offset, 2);
        if (IsMapped) { Volatile.Write(ref *(ushort*)(Mapped + (nint)offset), value); return; }
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        WriteMessage(offset, b);
    }

    public void Write32(uint offset, uint value)
    {
        Check(offset, 4);
        if (IsMapped) { Volatile.Write(ref *(uint*)(Mapped + (nint)offset), value); return; }
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        WriteMessage(offset, b);
    }

    /// <summary>A 64-bit field as two 32-bit stores, low half first (§4.1.3.1).</summary>
    public void Write64(uint offset, ulong value)
    {
        Write32(offset, (uint)value);
        Write32(offset + 4, (uint)(value >> 32));
    }

    private void ReadMessage(uint offset, Span<byte> data)
    {
        lock (_lock) _client.RegionRead(Capability.Bar, Capability.Offset + (ulong)offset, data);
    }

    private void WriteMessage(uint offset, ReadOnlySpan<byte> data)
    {
        lock (_lock) _client.RegionWrite(Capability.Bar, Capability.Offset + (ulong)offset, data);
    }

    private void Check(uint offset, uint width)
    {
        if (offset > Capability.Length || width > Capability.Length - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{width}-byte access at 0x{offset:x} outside the {Capability.Type} structure of {Capability.Length} bytes");
    }
}
