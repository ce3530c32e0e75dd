package dev.culvert.daemon.cli;

import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.Daemon;
import dev.culvert.daemon.log.Logging;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** {@code culvert run --config FILE}: the daemon, in the foreground, logging to stderr. */
@Command(name = "run", description = "Run the daemon in the foreground with the given config; "
        + "SIGTERM or SIGINT stops it and removes its devices.")
final class RunCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("culvert");

    /**
     * What {@code run} needs from the process beyond the file: starting the daemon and hearing signals. The real
     * one starts on Linux ({@link Daemon#start(CulvertConfig)}) with {@link Signals}; a test hands in its own.
     */
    interface Host {
        /** Starts the daemon of a configuration that passed {@link ConfigCheck}. */
        Daemon start(CulvertConfig config) throws IOException;

        /** SIGTERM and SIGINT run {@code action}. */
        void onTerminate(Runnable action);

        /** SIGHUP runs {@code action}; false if SIGHUP cannot be heard (ignored at start). */
        boolean onReload(Runnable action);
    }

    /** The host: Linux, with real signals. */
    static final Host LINUX = new Host() {
        @Override
        public Daemon start(CulvertConfig config) throws IOException {
            return Daemon.start(config);
        }

        @Override
        public void onTerminate(Runnable action) {
            Signals.onTerminate(action);
        }

        @Override
        public boolean onReload(Runnable action) {
            return Signals.onReload(action);
        }
    };

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "the HOCON config file")
    Path config;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error, warn, info, debug or trace; wins over culvert.log-level (default: info)")
    Logging.LogLevel logLevel;

    private final Host host;

    RunCommand() {
        this(LINUX);
    }

    RunCommand(Host host) {
        this.host = host;
    }

    /**
     * SIGHUP and the control socket's reload request: the whole file through {@link ConfigCheck} first (keys
     * included); only a valid one is applied, and a refusal carries every problem.
     */
    private Daemon.Loaded loadForReload() {
        LOG.log(System.Logger.Level.INFO, "reloading {0}", config);
        ConfigCheck.Result checked = ConfigCheck.check(config);
        if (!checked.valid()) {
            checked.problems().forEach(p -> LOG.log(System.Logger.Level.ERROR, "{0}", p));
            LOG.log(System.Logger.Level.ERROR, "reload refused: {0} has {1} problem(s); the running "
                    + "configuration stays", config, String.valueOf(checked.problems().size()));
            return Daemon.Loaded.refused(checked.problems());
        }
        return Daemon.Loaded.of(checked.config());
    }

    /**
     * EX_CONFIG for a start refused by the configuration or a permission ({@link Daemon.Conflict}, an
     * {@link java.nio.file.AccessDeniedException}, as such or as the cause of a {@link Daemon.NotStarted}): a
     * restart would meet it again. Anything else is a plain failure, which the unit restarts.
     */
    static int startFailureStatus(IOException e) {
        Throwable cause = e instanceof Daemon.NotStarted && e.getCause() != null ? e.getCause() : e;
        return cause instanceof Daemon.Conflict || cause instanceof java.nio.file.AccessDeniedException
                ? ExitStatus.CONFIG : ExitStatus.FAILURE;
    }

    @Override
    public Integer call() throws InterruptedException {
        Logging.configure(logLevel != null ? logLevel : Logging.LogLevel.INFO);
        // The same checks as check-config, and all of them before anything touches the network.
        ConfigCheck.Result checked = ConfigCheck.check(config);
        if (!checked.valid()) {
            checked.problems().forEach(System.err::println);
            System.err.println("culvert: not started: " + config + " has " + checked.problems().size() + " problem"
                    + (checked.problems().size() == 1 ? "" : "s"));
            return ExitStatus.CONFIG;
        }
        CulvertConfig loaded = checked.config();
        if (logLevel == null) {
            Logging.configure(Logging.LogLevel.valueOf(loaded.logLevel().toUpperCase(java.util.Locale.ROOT)));
        }
        // Signals first: a SIGTERM that lands while devices are being created must still remove them.
        AtomicReference<Daemon> running = new AtomicReference<>();
        AtomicBoolean stopRequested = new AtomicBoolean();
        host.onTerminate(() -> {
            stopRequested.set(true);
            Daemon d = running.get();
            if (d != null) {
                LOG.log(System.Logger.Level.INFO, "stopping");
                d.close();
            }
        });
        Daemon daemon;
        try {
            daemon = host.start(loaded);
        } catch (IOException e) {
            if (!(e instanceof Daemon.NotStarted)) { // a NotStarted was logged before the teardown
                LOG.log(System.Logger.Level.ERROR, e.getMessage());
            }
            return startFailureStatus(e);
        }
        running.set(daemon);
        if (logLevel != null) {
            daemon.logLevelFromCommandLine(logLevel.name().toLowerCase(java.util.Locale.ROOT));
        }
        daemon.onReloadRequest(this::loadForReload);
        if (!host.onReload(() -> daemon.reloadChecked(this::loadForReload))) {
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
