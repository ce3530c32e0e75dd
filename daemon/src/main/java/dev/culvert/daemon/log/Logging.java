package dev.culvert.daemon.log;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event on stderr. Under systemd (JOURNAL_STREAM set) each line starts with a
 * {@code <N>} syslog priority, which journald turns into the entry's priority, and carries no time
 * (journald adds it); elsewhere it starts with a UTC timestamp and the level.
 */
public final class Logging {
    private Logging() {}

    /** The levels an operator names, mapped onto java.util.logging. */
    public enum LogLevel {
        ERROR(Level.SEVERE), WARN(Level.WARNING), INFO(Level.INFO), DEBUG(Level.FINE), TRACE(Level.FINEST);

        final Level jul;

        LogLevel(Level jul) {
            this.jul = jul;
        }
    }

    /**
     * Culvert's own loggers: {@code culvert.*} (by subsystem) and {@code dev.culvert.*} (by class). Held here so
     * that java.util.logging, which keeps loggers only weakly, cannot drop them and the level set on them.
     */
    private static final List<Logger> OWN = List.of(Logger.getLogger("culvert"), Logger.getLogger("dev.culvert"));
    private static final Logger NETTY = Logger.getLogger("io.netty");

    /**
     * Logs to stderr, one line per event. {@code level} applies to Culvert's own loggers; everything else (the
     * JDK's internals, e.g. {@code java.lang.ProcessBuilder} logs every process start at DEBUG on JDK 25) stays at
     * INFO, or at {@code level} when that is coarser; Netty's at INFO unless tracing (it is chatty at DEBUG).
     */
    public static void configure(LogLevel level) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new StderrHandler();
        handler.setFormatter(new OneLine(System.getenv("JOURNAL_STREAM") != null));
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        setLevel(level);
    }

    /**
     * Changes the level (at start, and on a reload's {@code culvert.log-level}; the handler stays): {@code level}
     * applies to Culvert's own loggers, the JDK's at INFO or {@code level} when coarser, Netty's at INFO unless
     * tracing.
     */
    public static void setLevel(LogLevel level) {
        boolean finer = level.jul.intValue() < Level.INFO.intValue();
        Logger.getLogger("").setLevel(finer ? Level.INFO : level.jul);
        OWN.forEach(l -> l.setLevel(level.jul));
        NETTY.setLevel(level == LogLevel.TRACE ? Level.FINEST : finer ? Level.INFO : level.jul);
    }

    /**
     * Writes each formatted record to stderr as one write. (Not a ConsoleHandler: re-pointing a
     * StreamHandler closes its previous stream, which would be System.err itself.)
     */
    static final class StderrHandler extends Handler {
        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            PrintStream err = System.err;
            synchronized (err) {
                err.print(getFormatter().format(record));
                err.flush();
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }

    static final class OneLine extends Formatter {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
                .withZone(ZoneOffset.UTC);
        private final boolean journal;

        OneLine(boolean journal) {
            this.journal = journal;
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(128);
            if (journal) {
                sb.append('<').append(syslogPriority(r.getLevel())).append('>');
            } else {
                sb.append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
                        .append(label(r.getLevel())).append(' ');
            }
            sb.append(r.getLoggerName()).append(": ").append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null && r.getLevel().intValue() <= Level.FINE.intValue()) {
                sb.append(" (").append(r.getThrown()).append(')');
            }
            return sb.append('\n').toString();
        }

        private static int syslogPriority(Level level) {
            int v = level.intValue();
            return v >= Level.SEVERE.intValue() ? 3 : v >= Level.WARNING.intValue() ? 4 : v >= Level.INFO.intValue() ? 6 : 7;
        }

        private static String label(Level level) {
            int v = level.intValue();
            String s = v >= Level.SEVERE.intValue() ? "ERROR" : v >= Level.WARNING.intValue() ? "WARN"
                    : v >= Level.INFO.intValue() ? "INFO" : "DEBUG";
            return String.format(Locale.ROOT, "%-5s", s);
        }
    }
}
