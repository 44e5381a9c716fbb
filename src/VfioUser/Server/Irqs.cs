// IRQ table of one endpoint: the eventfd bound to each vector of each IRQ type, per-vector mask
// state, and Trigger (reference vfio-user.md §1.3 DEVICE_SET_IRQS, §3.6; libvfio-user irq.c).
//
// Fds come from SET_IRQS(TRIGGER|EVENTFD) and are owned here. Trigger may be called from any
// reactor: it reads the fd slot once and writes the 8-byte value 1 (an atomic eventfd add). A
// replaced or de-assigned fd is not closed at once (another reactor could be writing to it); it is
// retired and closed by ReleaseRetired, which the endpoint calls while the device is quiesced or
// after it detached.
using Target.VfioUser.Protocol;
using Target.Core.Interop;
using Target.VfioUser.Server.Pci;

namespace Target.VfioUser.Server;

public sealed unsafe class Irqs
{
    private readonly int[][] _fds = new int[IrqIndexes.Count][];
    private readonly bool[][] _masked = new bool[IrqIndexes.Count][];
    private readonly List<int> _retired = new();
    private readonly ConfigSpace? _config;

    public Irqs(Func<IrqIndex, int> counts, ConfigSpace? config = null)
    {
        for (int i = 0; i < IrqIndexes.Count; i++)
        {
            int n = counts((IrqIndex)i);
            if (n < 0 || n > 2048 || (i >= (int)IrqIndex.Err && n > 1)) throw new ArgumentOutOfRangeException(nameof(counts), "bad IRQ count for " + (IrqIndex)i);
            _fds[i] = new int[n];
            _masked[i] = new bool[n];
            Array.Fill(_fds[i], -1);
        }
        _config = config;
    }

    /// <summary>Vectors of an IRQ type.</summary>
    public int Count(IrqIndex index) => (uint)index < IrqIndexes.Count ? _fds[(int)index].Length : 0;

    /// <summary>
    /// Signals device vector <paramref name="vector"/>: the MSI-X eventfd of that vector when the
    /// client assigned MSI-X fds, otherwise (vector 0 only) the INTx eventfd unless the command
    /// register disables INTx. False when unassigned, masked or out of range.
    /// </summary>
    public bool Trigger(int vector)
    {
        int[] msix = _fds[(int)IrqIndex.Msix];
        if ((uint)vector < (uint)msix.Length && Volatile.Read(ref msix[vector]) >= 0)
            return Trigger(IrqIndex.Msix, vector);
        if (vector == 0 && (_config is null || !_config.IntxDisabled)) return Trigger(IrqIndex.Intx, 0);
        return false;
    }

    /// <summary>Writes 1 to the eventfd of (index, subIndex). False when unassigned, masked or out of range.</summary>
    public bool Trigger(IrqIndex index, int subIndex)
    {
        if ((uint)index >= IrqIndexes.Count) return false;
        int[] fds = _fds[(int)index];
        if ((uint)subIndex >= (uint)fds.Length || Volatile.Read(ref _masked[(int)index][subIndex])) return false;
        int fd = Volatile.Read(ref fds[subIndex]);
        if (fd < 0) return false;
        ulong one = 1;
        return Libc.Write(fd, &one, 8) == 8;
    }

    /// <summary>True when an eventfd is bound to (index, subIndex).</summary>
    public bool IsAssigned(IrqIndex index, int subIndex) =>
        (uint)index < IrqIndexes.Count && (uint)subIndex < (uint)_fds[(int)index].Length && Volatile.Read(ref _fds[(int)index][subIndex]) >= 0;

    public bool IsMasked(IrqIndex index, int subIndex) =>
        (uint)index < IrqIndexes.Count && (uint)subIndex < (uint)_masked[(int)index].Length && Volatile.Read(ref _masked[(int)index][subIndex]);

    /// <summary>Binds <paramref name="fd"/> (owned from now on; -1 de-assigns). The old fd is retired.</summary>
    internal void Assign(IrqIndex index, int subIndex, int fd)
    {
        int old = Interlocked.Exchange(ref _fds[(int)index][subIndex], fd);
        if (old >= 0) lock (_retired) _retired.Add(old);
    }

    internal void SetMasked(IrqIndex index, int subIndex, bool masked) => Volatile.Write(ref _masked[(int)index][subIndex], masked);

    /// <summary>De-assigns every vector of every type and clears masks (disconnect).</summary>
    internal void DeassignAll()
    {
        for (int i = 0; i < IrqIndexes.Count; i++)
            for (int v = 0; v < _fds[i].Length; v++)
            {
                Assign((IrqIndex)i, v, -1);
                _masked[i][v] = false;
            }
    }

    /// <summary>Closes fds replaced earlier. Call when no reactor can be inside Trigger with them.</summary>
    internal void ReleaseRetired()
    {
        lock (_retired)
        {
            foreach (int fd in _retired) Libc.Close(fd);
            _retired.Clear();
        }
    }
}
