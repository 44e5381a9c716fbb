// Guest memory as a virtqueue sees it: guest-physical addresses translated on every access, never
// pointers kept across polls (issue 8 point 5: the DMA map changes under a live queue). Each queue
// owns its own instance so the translation hint is per queue and no reactor writes another's.
namespace Target.Virtio.Ring;

public interface IGuestMemory
{
    /// <summary>
    /// Translates the start of [gpa, gpa+length): <paramref name="contiguous"/> bytes (1..length) from
    /// <paramref name="host"/> lie in one mapping that allows the access. False when the first byte is
    /// unmapped, message-only, or the mapping forbids the access; also for length 0.
    /// </summary>
    bool TryTranslate(ulong gpa, ulong length, bool write, out nint host, out ulong contiguous);
}
