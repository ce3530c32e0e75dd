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

/**
 * {@code culvert show [TUNNEL] [--json] [--config FILE | --socket PATH]}: asks a running daemon over its
 * control socket and prints what {@code wg show} prints, plus Culvert's own state.
 */
@Command(name = "show", description = "Show a running daemon's tunnels: public keys, endpoints, allowed IPs, "
        + "latest handshake, transfer, keepalive, state, transport and drops. Finds the daemon by --config, "
        + "--socket, or as the only control socket under /run/culvert.")
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
            socket = findSocket(target);
        } catch (IOException e) {
            System.err.println("culvert show: " + e.getMessage());
            return 1;
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

    /** The control socket named by {@code target} (--socket, or the one --config sets), or the only one running. */
    static Path findSocket(Target target) throws IOException {
        if (target != null && target.socket != null) {
            return target.socket;
        }
        if (target != null && target.config != null) {
            // Leniently: reload of an invalid file must still reach the daemon, which refuses with the problems.
            return ConfigLoader.controlSocketOf(target.config);
        }
        return onlySocketIn(CulvertConfig.CONTROL_SOCKET_DIR);
    }

    /**
     * The only control socket in {@code dir}: a {@code *.sock} in one of its sub-directories (one per instance,
     * {@code /run/culvert/NAME/control.sock}) or, as daemons before issue 11 made them, in {@code dir} itself.
     *
     * @throws IOException naming every socket found when there is none or more than one
     */
    static Path onlySocketIn(Path dir) throws IOException {
        List<Path> sockets = new ArrayList<>();
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
        if (sockets.isEmpty()) {
            throw new IOException("no running culvert found (no control socket in " + dir
                    + "); name one with --config FILE or --socket PATH");
        }
        if (sockets.size() > 1) {
            sockets.sort(null);
            List<String> names = sockets.stream().map(p -> dir.relativize(p).toString()).toList();
            throw new IOException("several culvert daemons are running (" + String.join(", ", names) + " in " + dir
                    + "); choose one with --config FILE (e.g. /etc/culvert/NAME.conf) or --socket PATH");
        }
        return sockets.get(0);
    }
}
