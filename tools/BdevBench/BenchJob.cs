// One reactor's load: keeps QueueDepth random 4 KiB reads in flight on a bdev channel and counts
// completions. Every completion resubmits from the callback (no allocation per I/O).
using System.Runtime.InteropServices;
using Target.Bdev;
using Target.Core.Memory;

namespace BdevBench;

internal sealed unsafe class BenchJob : IBdevIoCompletion, IDisposable
{
    private readonly BdevDesc _desc;
    private readonly int _depth;
    private readonly byte* _buffers;
    private readonly IoVec[] _iov = new IoVec[1];
    private readonly ulong _blocksPerIo;
    private BdevChannel? _channel;
    private ulong _rng;
    public long Completed;
    public long Errors;
    public volatile bool Stop;
    public int InFlight;

    public BenchJob(BdevDesc desc, int depth, int ioSize, int seed)
    {
        _desc = desc;
        _depth = depth;
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)(depth * ioSize), 4096);
        _blocksPerIo = (ulong)ioSize / desc.Bdev.BlockSize;
        _rng = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;
        IoSize = ioSize;
    }

    public int IoSize { get; }

    /// <summary>On the job's reactor.</summary>
    public void Start()
    {
        _channel = _desc.GetChannel();
        for (int i = 0; i < _depth; i++) Submit(i);
    }

    private void Submit(int slot)
    {
        if (Stop) return;
        _rng ^= _rng << 13; _rng ^= _rng >> 7; _rng ^= _rng << 17;
        ulong ios = _desc.Bdev.NumBlocks / _blocksPerIo;
        ulong offset = (_rng % ios) * _blocksPerIo;
        _iov[0] = new IoVec(_buffers + (long)slot * IoSize, IoSize);
        // The span's segments are copied into the BdevIo, so one scratch array serves every slot.
        if (_desc.Read(_channel!, _iov, offset, _blocksPerIo, this, slot) == 0) InFlight++;
    }

    public void OnBdevIoComplete(BdevIoStatus status, object? context)
    {
        InFlight--;
        if (status == BdevIoStatus.Success) Completed++; else Errors++;
        Submit((int)context!);
    }

    public void Dispose() => NativeMemory.AlignedFree(_buffers);
}
