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
// Only the core's own components are registered here. A plugin (bdev module, transport) owns its
// flag in a static field of its own and hands it to AddLogFlag in its AddXxx registration, which
// the app runs before it applies -L (SPDK registers its components from ELF constructors, i.e.
// before main). Every flag must have debug lines on its component's control paths.
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

    // Components of the core, with SPDK's flag names: JSON-RPC requests and responses, reactor
    // start/stop and poller (un)registration, the NVMe-oF target (subsystems, listeners, qpairs,
    // controllers).
    public static readonly LogFlag Rpc = Register("rpc");
    public static readonly LogFlag Reactor = Register("reactor");
    public static readonly LogFlag Nvmf = Register("nvmf");

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
