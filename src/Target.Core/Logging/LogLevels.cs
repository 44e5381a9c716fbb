// SPDK's two log thresholds mapped onto Serilog (lib/log: spdk_log_set_level / spdk_log_set_print_level,
// the RPCs log_set_level / log_set_print_level and their getters).
//
// SPDK keeps a "log level" (what goes to syslog) and a "print level" (what is printed on the
// console); both default to NOTICE. Here each is a Serilog LoggingLevelSwitch the app binds to its
// sinks, and MinimumSwitch follows the more verbose of the two so the pipeline lets through what
// either sink wants:
//     new LoggerConfiguration()
//         .MinimumLevel.ControlledBy(LogLevels.MinimumSwitch)
//         .WriteTo.Console(levelSwitch: LogLevels.PrintSwitch)
//         .WriteTo.<other sink>(levelSwitch: LogLevels.LevelSwitch)
//
// SPDK level → Serilog level (the getters return the SPDK level that was set, so the mapping need
// not be one-to-one, but it is):
//     ERROR → Error, WARNING → Warning, NOTICE → Information (ordinary messages),
//     INFO → Debug, DEBUG → Verbose.
// So code logs its normal messages at Information, the chatty ones at Debug (SPDK's INFOLOG) and
// per-command traces at Verbose (DEBUGLOG), the latter two usually behind a LogFlags flag.
using Serilog.Core;
using Serilog.Events;

namespace Target.Core.Logging;

/// <summary>SPDK's log levels with their SPDK_LOG_* values.</summary>
public enum SpdkLogLevel
{
    Error = 0,
    Warning = 1,
    Notice = 2,
    Info = 3,
    Debug = 4,
}

public static class LogLevels
{
    private static readonly object s_lock = new();
    private static SpdkLogLevel s_level = SpdkLogLevel.Notice;
    private static SpdkLogLevel s_printLevel = SpdkLogLevel.Notice;

    /// <summary>Threshold of the sinks that stand for SPDK's syslog output.</summary>
    public static LoggingLevelSwitch LevelSwitch { get; } = new(ToSerilog(SpdkLogLevel.Notice));

    /// <summary>Threshold of the console sink.</summary>
    public static LoggingLevelSwitch PrintSwitch { get; } = new(ToSerilog(SpdkLogLevel.Notice));

    /// <summary>The logger's own minimum: the more verbose of the two thresholds.</summary>
    public static LoggingLevelSwitch MinimumSwitch { get; } = new(ToSerilog(SpdkLogLevel.Notice));

    /// <summary>SPDK's log level (log_set_level / log_get_level).</summary>
    public static SpdkLogLevel Level
    {
        get { lock (s_lock) return s_level; }
        set { lock (s_lock) { s_level = Checked(value); Apply(); } }
    }

    /// <summary>SPDK's print level (log_set_print_level / log_get_print_level).</summary>
    public static SpdkLogLevel PrintLevel
    {
        get { lock (s_lock) return s_printLevel; }
        set { lock (s_lock) { s_printLevel = Checked(value); Apply(); } }
    }

    /// <summary>Parses ERROR, WARNING, NOTICE, INFO or DEBUG, ignoring case as SPDK v24.05 does (strcasecmp).</summary>
    public static bool TryParse(string? text, out SpdkLogLevel level)
    {
        foreach (SpdkLogLevel candidate in Enum.GetValues<SpdkLogLevel>())
        {
            if (string.Equals(text, ToName(candidate), StringComparison.OrdinalIgnoreCase))
            {
                level = candidate;
                return true;
            }
        }
        level = default;
        return false;
    }

    /// <summary>The name SPDK prints for a level.</summary>
    public static string ToName(SpdkLogLevel level) => level switch
    {
        SpdkLogLevel.Error => "ERROR",
        SpdkLogLevel.Warning => "WARNING",
        SpdkLogLevel.Notice => "NOTICE",
        SpdkLogLevel.Info => "INFO",
        SpdkLogLevel.Debug => "DEBUG",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    public static LogEventLevel ToSerilog(SpdkLogLevel level) => level switch
    {
        SpdkLogLevel.Error => LogEventLevel.Error,
        SpdkLogLevel.Warning => LogEventLevel.Warning,
        SpdkLogLevel.Notice => LogEventLevel.Information,
        SpdkLogLevel.Info => LogEventLevel.Debug,
        SpdkLogLevel.Debug => LogEventLevel.Verbose,
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    private static SpdkLogLevel Checked(SpdkLogLevel level) =>
        Enum.IsDefined(level) ? level : throw new ArgumentOutOfRangeException(nameof(level));

    private static void Apply()
    {
        LevelSwitch.MinimumLevel = ToSerilog(s_level);
        PrintSwitch.MinimumLevel = ToSerilog(s_printLevel);
        MinimumSwitch.MinimumLevel = ToSerilog(s_level > s_printLevel ? s_level : s_printLevel);
    }
}
