// A transport queue's preallocated SCSI tasks (SPDK allocates tasks per connection): a LIFO free
// list plus a count per ScsiTaskState. Owned by one reactor; no locks.
namespace Target.Scsi;

public sealed class ScsiTaskPool
{
    private readonly ScsiTask[] _all;
    private readonly ScsiTask?[] _free;
    private int _freeCount;
    private readonly int[] _stateCounts = new int[Enum.GetValues<ScsiTaskState>().Length];

    public ScsiTaskPool(int capacity, int maxSegments)
    {
        _all = new ScsiTask[capacity];
        _free = new ScsiTask?[capacity];
        for (int i = 0; i < capacity; i++) _all[i] = new ScsiTask(this, maxSegments);
        // LIFO: the first Take returns _all[0].
        for (int i = 0; i < capacity; i++) _free[i] = _all[capacity - 1 - i];
        _freeCount = capacity;
        _stateCounts[(int)ScsiTaskState.Free] = capacity;
    }

    public int Capacity => _all.Length;
    public int FreeCount => _freeCount;

    /// <summary>A cleared task, or null when all are in use.</summary>
    public ScsiTask? Take()
    {
        if (_freeCount == 0) return null;
        ScsiTask task = _free[--_freeCount]!;
        _free[_freeCount] = null;
        task.Reset();
        task.SetState(ScsiTaskState.Allocated);
        return task;
    }

    /// <summary>Gives a task back after its completion was handled.</summary>
    public void Return(ScsiTask task)
    {
        if (task.Pool != this || task.State == ScsiTaskState.Free) throw new InvalidOperationException("task returned twice or to another pool");
        task.TransportContext = null;
        task.SetState(ScsiTaskState.Free);
        _free[_freeCount++] = task;
    }

    /// <summary>Tasks currently in <paramref name="state"/>.</summary>
    public int Count(ScsiTaskState state) => _stateCounts[(int)state];

    internal void CountTransition(ScsiTaskState from, ScsiTaskState to)
    {
        _stateCounts[(int)from]--;
        _stateCounts[(int)to]++;
    }
}
