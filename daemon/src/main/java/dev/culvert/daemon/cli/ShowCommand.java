package dev.culvert.daemon.cli;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.daemon.control.ControlClient;
import dev.culvert.daemon.control.ControlRequest;
import dev.culvert.daemon.control.Status;
import dev.culvert.daemon.control.StatusText;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * {@code culvert show [TUNNEL] [--json] [--config FILE | --socket PATH]}: asks a running daemon over its
 * control socket and prints what {@code wg show} prints, plus Culvert's own state.
 */
@Command(name = "show", description = {"Show a running daemon's tunnels: public keys, endpoints, allowed IPs, "
        + "latest handshake, transfer, keepalive, state, transport and drops. Finds the daemon by --config, "
        + "--socket, or as the only live control socket under /run/culvert (stale ones a killed daemon left are "
        + "skipped).", "Exit status: 0 shown; 1 no daemon answered (or it has no such tunnel); 2 usage error "
        + "(also: several daemons run and none was named)."})
final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "TUNNEL", description = "only this tunnel")
    String tunnel;

    @Option(names = "--json", description = "print the daemon's JSON answer as it is")
    boolean json;

    static final class Target {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "the daemon's config file")
        Path config;

        @Option(names = {"-s", "--socket"}, paramLabel = "PATH", description = "the daemon's control socket")
        Path socket;
    }

    @ArgGroup(exclusive = true)
    Target target;

    @Override
    public Integer call() {
        Path socket;
        try {
            socket = findSocket(target, note -> System.err.println("culvert show: " + note));
        } catch (NotChosen e) {
            System.err.println("culvert show: " + e.getMessage());
            return e.exitStatus;
        }
        String answer;
        try {
            answer = ControlClient.request(socket, ControlRequest.show(tunnel));
        } catch (IOException e) {
            System.err.println("culvert show: cannot reach the daemon on " + socket + ": " + e.getMessage()
                    + " (is it running?)");
            return 1;
        }
        Status status;
        try {
            status = Status.fromJson(answer);
        } catch (IllegalArgumentException e) {
            System.err.println("culvert show: " + e.getMessage());
            return 1;
        }
        System.out.print(json ? answer + "\n" : StatusText.render(status, System.currentTimeMillis() / 1000));
        return 0;
    }

    /**
     * No daemon was chosen: none runs ({@link ExitStatus#FAILURE}), or several do and the command line named
     * none ({@link ExitStatus#USAGE}: the question "which daemon?" is the user's to answer, as README and
     * culvert(8) say).
     */
    static final class NotChosen extends IOException {
        private static final long serialVersionUID = 1L;
        final int exitStatus;

        NotChosen(String message, int exitStatus) {
            super(message);
            this.exitStatus = exitStatus;
        }
    }

    /**
     * The control socket named by {@code target} (--socket, or the one --config sets, found leniently), or the
     * only live one under {@link CulvertConfig#CONTROL_SOCKET_DIR}.
     *
     * @param notes told about each stale socket file skipped
     */
    static Path findSocket(Target target, Consumer<String> notes) throws NotChosen {
        if (target != null && target.socket != null) {
            return target.socket;
        }
        if (target != null && target.config != null) {
            return socketRunning(target.config, CulvertConfig.CONTROL_SOCKET_DIR, notes);
        }
        return onlySocketIn(CulvertConfig.CONTROL_SOCKET_DIR, notes);
    }

    /** How long a daemon may take to say which file it runs. */
    private static final java.time.Duration ASK_TIMEOUT = java.time.Duration.ofSeconds(5);

    /**
     * The control socket of the daemon that runs {@code file}. First the socket the file names, read leniently (a
     * reload of an invalid file must still reach the daemon, which refuses with the problems; a file HOCON cannot
     * parse at all names the default, {@link CulvertConfig#defaultControlSocket}); when nothing answers there (the
     * file's {@code control.socket} changed since the daemon started), the default and every live socket under
     * {@code dir}. Each daemon is asked which file it runs ({@link Status#configFile}); only the one running
     * {@code file} is chosen, so a reload never reaches another daemon that happens to answer on that path.
     *
     * @throws NotChosen the file does not exist ({@link ExitStatus#USAGE}); the daemon on the named socket runs
     *                   another file ({@link ExitStatus#USAGE}); no daemon runs it ({@link ExitStatus#FAILURE})
     */
    static Path socketRunning(Path file, Path dir, Consumer<String> notes) throws NotChosen {
        if (!Files.isRegularFile(file)) {
            throw new NotChosen("cannot read " + file + ": no such file", ExitStatus.USAGE);
        }
        Path named = ConfigLoader.controlSocketOf(file);
        java.util.LinkedHashSet<Path> candidates = new java.util.LinkedHashSet<>();
        candidates.add(named);
        candidates.add(CulvertConfig.defaultControlSocket(file));
        candidates.addAll(socketsIn(dir));
        String namedRuns = null;
        for (Path candidate : candidates) {
            String runs;
            try {
                if (!Files.exists(candidate)) {
                    continue;
                }
                runs = configRunOn(candidate);
            } catch (java.net.ConnectException e) {
                continue; // nothing listens there
            } catch (IOException | IllegalArgumentException e) {
                if (candidate.equals(named)) {
                    return named; // e.g. permission denied: asking it gives the user the daemon's own answer
                }
                continue;
            }
            if (runs == null || sameFile(runs, file)) {
                if (!candidate.equals(named)) {
                    notes.accept(file + " names the control socket " + named + ", where nothing answers; the daemon "
                            + "running " + file + " answers on " + candidate);
                }
                return candidate;
            }
            if (candidate.equals(named)) {
                namedRuns = runs;
            }
        }
        if (namedRuns != null) {
            throw new NotChosen("the daemon on " + named + " runs " + namedRuns + ", not " + file + "; name the daemon "
                    + "with --socket PATH", ExitStatus.USAGE);
        }
        throw new NotChosen("no running culvert runs " + file + " (nothing answers on " + named + ", and no live "
                + "control socket in " + dir + " belongs to it); is it running?", ExitStatus.FAILURE);
    }

    /**
     * The config file the daemon on {@code socket} says it runs; null if it does not say (an older daemon). Bounded
     * by {@link #ASK_TIMEOUT}: a candidate that accepts and never answers must not hang the command.
     */
    private static String configRunOn(Path socket) throws IOException {
        return Status.fromJson(ControlClient.request(socket, ControlRequest.show(null), ASK_TIMEOUT)).configFile();
    }

    private static boolean sameFile(String runs, Path file) {
        try {
            return Files.isSameFile(Path.of(runs), file);
        } catch (IOException | RuntimeException e) {
            return Path.of(runs).normalize().equals(file.toAbsolutePath().normalize());
        }
    }

    /**
     * Every {@code *.sock} in {@code dir}'s sub-directories (one per instance, {@code /run/culvert/NAME/control.sock})
     * or, as daemons before issue 11 made them, in {@code dir} itself; sorted. Empty if {@code dir} does not exist.
     */
    private static List<Path> socketsIn(Path dir) throws NotChosen {
        List<Path> sockets = new ArrayList<>();
        try {
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                    for (Path entry : entries) {
                        if (entry.getFileName().toString().endsWith(".sock") && !Files.isDirectory(entry)) {
                            sockets.add(entry);
                        } else if (Files.isDirectory(entry) && Files.isReadable(entry)) {
                            try (DirectoryStream<Path> inner = Files.newDirectoryStream(entry, "*.sock")) {
                                inner.forEach(sockets::add);
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new NotChosen("cannot list " + dir + ": " + e.getMessage() + "; name the daemon with --config FILE "
                    + "or --socket PATH", ExitStatus.FAILURE);
        }
        sockets.sort(null);
        return sockets;
    }

    /**
     * The only live control socket in {@code dir}: a {@code *.sock} in one of its sub-directories (one per
     * instance, {@code /run/culvert/NAME/control.sock}) or, as daemons before issue 11 made them, in {@code dir}
     * itself. A socket file nobody listens on (connect refused: left by a daemon that was killed) is skipped and
     * told to {@code notes}; one this user may not connect to counts as live (only its daemon can say more).
     *
     * @throws NotChosen naming every live socket found when there is none or more than one
     */
    static Path onlySocketIn(Path dir, Consumer<String> notes) throws NotChosen {
        List<Path> sockets = socketsIn(dir);
        List<Path> live = new ArrayList<>();
        List<String> stale = new ArrayList<>();
        for (Path socket : sockets) {
            if (isStale(socket)) {
                stale.add(dir.relativize(socket).toString());
            } else {
                live.add(socket);
            }
        }
        String skipped = stale.isEmpty() ? "" : " (skipped " + String.join(", ", stale) + ": nothing listens on "
                + (stale.size() == 1 ? "it" : "them") + ", left by a daemon that was killed)";
        if (live.isEmpty()) {
            throw new NotChosen("no running culvert found (no live control socket in " + dir + skipped
                    + "); name one with --config FILE or --socket PATH", ExitStatus.FAILURE);
        }
        if (live.size() > 1) {
            List<String> names = live.stream().map(p -> dir.relativize(p).toString()).toList();
            throw new NotChosen("several culvert daemons are running (" + String.join(", ", names) + " in " + dir
                    + skipped + "); choose one with --config FILE (e.g. /etc/culvert/NAME.conf) or --socket PATH",
                    ExitStatus.USAGE);
        }
        if (!stale.isEmpty()) {
            notes.accept("skipped " + String.join(", ", stale) + " in " + dir + ": nothing listens on "
                    + (stale.size() == 1 ? "it" : "them") + " (left by a daemon that was killed)");
        }
        return live.get(0);
    }

    /** Connect refused: a socket file (or other file) nobody listens on. */
    private static boolean isStale(Path socket) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return false;
        } catch (java.net.ConnectException e) {
            return true;
        } catch (IOException e) {
            return false; // e.g. permission denied: it may be live; asking it will say
        }
    }
}
