package dev.culvert.daemon.cli;

import dev.culvert.config.ConfigException;
import dev.culvert.config.ConfigLoader;
import dev.culvert.config.ConfigProblem;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.Daemon;
import dev.culvert.daemon.log.Logging;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** {@code culvert run --config FILE}: the daemon, in the foreground, logging to stderr. */
@Command(name = "run", description = "Run the daemon in the foreground with the given config; "
        + "SIGTERM or SIGINT stops it and removes its devices.")
final class RunCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("culvert");

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the HOCON config file")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace; wins over culvert.log-level (default: info)")
    Logging.LogLevel logLevel;

    /** SIGHUP: validate the whole file first (keys included); only a valid one is applied. */
    private void reload(Daemon daemon) {
        daemon.reload(() -> {
            LOG.log(System.Logger.Level.INFO, "reloading {0}", config);
            CulvertConfig next;
            try {
                next = ConfigLoader.load(config);
            } catch (ConfigException e) {
                for (ConfigProblem p : e.problems()) {
                    LOG.log(System.Logger.Level.ERROR, "{0}", p.toString());
                }
                LOG.log(System.Logger.Level.ERROR, "reload refused: {0} has {1} problem(s); the running "
                        + "configuration stays", config, String.valueOf(e.problems().size()));
                return null;
            }
            List<String> problems = Preflight.check(next);
            if (!problems.isEmpty()) {
                problems.forEach(p -> LOG.log(System.Logger.Level.ERROR, "{0}", p));
                LOG.log(System.Logger.Level.ERROR, "reload refused; the running configuration stays");
                return null;
            }
            return next;
        });
    }

    @Override
    public Integer call() throws InterruptedException {
        Logging.configure(logLevel != null ? logLevel : Logging.LogLevel.INFO);
        CulvertConfig loaded;
        try {
            loaded = ConfigLoader.load(config);
        } catch (ConfigException e) {
            for (ConfigProblem p : e.problems()) {
                System.err.println(p);
            }
            System.err.println("culvert: not started: " + config + " has " + e.problems().size() + " problem"
                    + (e.problems().size() == 1 ? "" : "s"));
            return 1;
        }
        if (logLevel == null) {
            Logging.configure(Logging.LogLevel.valueOf(loaded.logLevel().toUpperCase(java.util.Locale.ROOT)));
        }
        List<String> problems = Preflight.check(loaded);
        if (!problems.isEmpty()) {
            problems.forEach(System.err::println);
            return 1;
        }
        // Signals first: a SIGTERM that lands while devices are being created must still remove them.
        AtomicReference<Daemon> running = new AtomicReference<>();
        AtomicBoolean stopRequested = new AtomicBoolean();
        Signals.onTerminate(() -> {
            stopRequested.set(true);
            Daemon d = running.get();
            if (d != null) {
                LOG.log(System.Logger.Level.INFO, "stopping");
                d.close();
            }
        });
        Daemon daemon;
        try {
            daemon = Daemon.start(loaded);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
            return 1;
        }
        running.set(daemon);
        if (!Signals.onReload(() -> reload(daemon))) {
            LOG.log(System.Logger.Level.WARNING, "SIGHUP was ignored when culvert started (nohup?), so it cannot "
                    + "reload on SIGHUP; restart it to apply a changed configuration");
        }
        if (stopRequested.get()) {
            LOG.log(System.Logger.Level.INFO, "stopping (signalled during start)");
            daemon.close();
            return 0;
        }
        LOG.log(System.Logger.Level.INFO, "running {0} tunnel(s): {1}", String.valueOf(daemon.tunnelNames().size()),
                String.join(", ", daemon.tunnelNames()));
        daemon.awaitStop();
        return 0;
    }
}
