// Bounded multi-producer / single-consumer ring of (function, argument) messages: any thread sends,
// only the owning reactor receives. Dmitry Vyukov's bounded MPMC queue cut down to one consumer.
//
// Invariants: each slot carries a sequence number. A producer may fill slot i when
// seq == tail (it claims it by CAS on tail), then publishes seq = tail + 1. The consumer may take
// slot i when seq == head + 1, then frees it for the next lap with seq = head + capacity.
// Producers never block each other except by losing a CAS; a full ring makes Send spin-yield.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Target.Core.Reactors;

public sealed class MessageRing
{
    private struct Slot
    {
        public long Sequence;
        public Action<object?>? Fn;
        public object? Arg;
    }

    private readonly Slot[] _slots;
    private readonly long _mask;
    private PaddedLong _tail;   // producers
    private PaddedLong _head;   // the single consumer

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong { [FieldOffset(64)] public long Value; }

    public MessageRing(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentException("capacity must be a power of two", nameof(capacity));
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        for (int i = 0; i < capacity; i++) _slots[i].Sequence = i;
    }

    public bool TryEnqueue(Action<object?> fn, object? arg)
    {
        long tail = Volatile.Read(ref _tail.Value);
        while (true)
        {
            ref Slot slot = ref _slots[tail & _mask];
            long seq = Volatile.Read(ref slot.Sequence);
            long diff = seq - tail;
            if (diff == 0)
            {
                long seen = Interlocked.CompareExchange(ref _tail.Value, tail + 1, tail);
                if (seen == tail)
                {
                    slot.Fn = fn;
                    slot.Arg = arg;
                    Volatile.Write(ref slot.Sequence, tail + 1);
                    return true;
                }
                tail = seen;
            }
            else if (diff < 0)
            {
                return false; // full
            }
            else
            {
                tail = Volatile.Read(ref _tail.Value);
            }
        }
    }

    public void Enqueue(Action<object?> fn, object? arg)
    {
        if (TryEnqueue(fn, arg)) return;
        EnqueueSlow(fn, arg);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnqueueSlow(Action<object?> fn, object? arg)
    {
        var spin = new SpinWait();
        while (!TryEnqueue(fn, arg)) spin.SpinOnce();
    }

    /// <summary>Consumer only. Runs up to <paramref name="max"/> messages; returns how many ran.</summary>
    public int Drain(int max)
    {
        int ran = 0;
        while (ran < max)
        {
            long head = _head.Value;
            ref Slot slot = ref _slots[head & _mask];
            if (Volatile.Read(ref slot.Sequence) != head + 1) break;
            Action<object?> fn = slot.Fn!;
            object? arg = slot.Arg;
            slot.Fn = null;
            slot.Arg = null;
            Volatile.Write(ref slot.Sequence, head + _mask + 1);
            _head.Value = head + 1;
            fn(arg);
            ran++;
        }
        return ran;
    }

    /// <summary>Consumer only: is a message ready?</summary>
    public bool HasMessages
    {
        get
        {
            long head = _head.Value;
            return Volatile.Read(ref _slots[head & _mask].Sequence) == head + 1;
        }
    }
}
