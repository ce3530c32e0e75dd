package dev.culvert.daemon;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The messages loggers (the java.util.logging backends of {@code System.Logger}s of those names) format while this
 * is open, in order. Close it to stop listening (and to restore the levels {@link #everything} changed).
 */
final class LogLines implements AutoCloseable {
    private final List<Logger> loggers = new ArrayList<>();
    private final Map<Logger, Level> levels = new LinkedHashMap<>();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final boolean whole;
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            lines.add(whole ? formatter.format(record) : formatter.formatMessage(record));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogLines(List<String> names, boolean whole) {
        this.whole = whole;
        for (String name : names) {
            Logger logger = Logger.getLogger(name);
            loggers.add(logger);
            if (whole) {
                levels.put(logger, logger.getLevel());
                logger.setLevel(Level.ALL);
            }
            logger.addHandler(handler);
        }
        handler.setLevel(Level.ALL);
    }

    /** Starts capturing the messages of logger {@code name} (e.g. {@code culvert.tunnel}) at its own level. */
    static LogLines of(String name) {
        return new LogLines(List.of(name), false);
    }

    /**
     * Starts capturing everything the loggers {@code names} could say: their level set to ALL, each record whole
     * (time, source, message with its parameters, and any exception's stack trace).
     */
    static LogLines everything(List<String> names) {
        return new LogLines(names, true);
    }

    /** The formatted messages so far; a live view, safe to read while logging goes on. */
    List<String> lines() {
        return lines;
    }

    @Override
    public void close() {
        for (Logger logger : loggers) {
            logger.removeHandler(handler);
            if (levels.containsKey(logger)) {
                logger.setLevel(levels.get(logger));
            }
        }
    }
}
