// Named debug log flags: SPDK's log components (SPDK_LOG_REGISTER_COMPONENT, SPDK_DEBUGLOG(flag, ...),
// the app's -L/--logflag option and the log_set_flag / log_clear_flag / log_get_flags RPCs).
//
// A flag is a LogFlag object with a volatile bool, so code that logs on a busy path keeps the object
// in a static field and checks one field:
//     private static readonly LogFlag s_debug = LogFlags.Register("nvmf_tcp");
//     if (s_debug.IsEnabled) Log.Debug(...);
// The flag only decides whether the message is produced; the message still passes the level
// thresholds of LogLevels (SPDK prints a DEBUGLOG only when the print level is DEBUG too, which is
// why its -L option also raises the print level to DEBUG).
//
// The flags of this project's components are registered here, up front, so that -L and
// log_set_flag accept them before the class that uses one has been loaded (SPDK registers its
// components from ELF constructors, i.e. before main). A module with a flag of its own calls
// Register once at composition time.
using System.Collections.Concurrent;

namespace Target.Core.Logging;

public sealed class LogFlag
{
    private volatile bool _enabled;

    internal LogFlag(string name) => Name = name;

    public string Name { get; }

    public bool IsEnabled => _enabled;

    internal void Set(bool enabled) => _enabled = enabled;

    public override string ToString() => Name;
}

public static class LogFlags
{
    /// <summary>The pseudo flag that log_set_flag / log_clear_flag / -L apply to every flag.</summary>
    public const string All = "all";

    private static readonly ConcurrentDictionary<string, LogFlag> s_flags = new(StringComparer.Ordinal);

    // Components of this target, with SPDK's flag names where SPDK has the same component.
    public static readonly LogFlag Rpc = Register("rpc");
    public static readonly LogFlag AppRpc = Register("app_rpc");
    public static readonly LogFlag LogRpc = Register("log_rpc");
    public static readonly LogFlag Reactor = Register("reactor");
    public static readonly LogFlag Thread = Register("thread");
    public static readonly LogFlag Bdev = Register("bdev");
    public static readonly LogFlag BdevNull = Register("bdev_null");
    public static readonly LogFlag BdevMalloc = Register("bdev_malloc");
    public static readonly LogFlag Aio = Register("aio");
    public static readonly LogFlag Nvmf = Register("nvmf");
    public static readonly LogFlag NvmfTcp = Register("nvmf_tcp");
    public static readonly LogFlag NvmfVfio = Register("nvmf_vfio");

    /// <summary>Registers a flag (disabled) or returns the one already registered under that name.</summary>
    public static LogFlag Register(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name == All) throw new ArgumentException("'all' is reserved", nameof(name));
        return s_flags.GetOrAdd(name, static n => new LogFlag(n));
    }

    /// <summary>Whether a registered flag is on (false for an unknown name). One dictionary lookup:
    /// keep the LogFlag object where the check runs often.</summary>
    public static bool IsEnabled(string name) => s_flags.TryGetValue(name, out var flag) && flag.IsEnabled;

    /// <summary>Turns a flag (or every flag, for "all") on. False when the name is not registered.</summary>
    public static bool Set(string name) => Apply(name, true);

    /// <summary>Turns a flag (or every flag, for "all") off. False when the name is not registered.</summary>
    public static bool Clear(string name) => Apply(name, false);

    /// <summary>Every registered flag with its state, ordered by name (log_get_flags).</summary>
    public static IReadOnlyList<KeyValuePair<string, bool>> Snapshot()
    {
        var list = new List<KeyValuePair<string, bool>>(s_flags.Count);
        foreach (var flag in s_flags.Values) list.Add(new(flag.Name, flag.IsEnabled));
        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    private static bool Apply(string name, bool enabled)
    {
        if (name == All)
        {
            foreach (var flag in s_flags.Values) flag.Set(enabled);
            return true;
        }
        if (!s_flags.TryGetValue(name, out var one)) return false;
        one.Set(enabled);
        return true;
    }
}
