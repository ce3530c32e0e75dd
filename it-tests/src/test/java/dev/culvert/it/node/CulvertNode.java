package dev.culvert.it.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.crypto.Keys;
import dev.culvert.crypto.X25519;
import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One Culvert daemon in a namespace, launched from the distribution as
 * {@code bin/culvert run --config FILE}, its stderr captured to a file that is printed if
 * the test fails.
 *
 * <p>Making a node generates its key pair with {@code culvert genkey}/{@code pubkey} (the
 * private key lands in a 0600 file), so two nodes can learn each other's public key before
 * either starts.
 */
public final class CulvertNode implements TunnelNode {

    /** From launch to the tun device existing: a JVM start on a busy 2-core machine. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** From SIGTERM to exit. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    /**
     * The JVM options every daemon a test launches gets ({@code CULVERT_JAVA_OPTS}, which the launcher appends
     * last): Netty's leak detector at PARANOID, every buffer tracked (a stack trace kept of its allocation, retains and
     * releases, not of every access, which would cost a stack trace per read or write). A leak it reports ("LEAK: ...") in a daemon's
     * log fails the test when the node is stopped or closed ({@link #assertNoLeakReported}).
     */
    public static final String JAVA_OPTS = "-Dio.netty.leakDetection.level=paranoid"
            + " -Dio.netty.leakDetection.acquireAndReleaseOnly=true";

    /** What Netty's ResourceLeakDetector starts each leak report with. */
    public static final String LEAK_REPORT = "LEAK:";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final CulvertDistribution distribution;
    private final Netns netns;
    private final String name;
    private final Path dir;
    private final Path privateKeyFile;
    private final String publicKey;
    private LinkSpec link;
    private BackgroundProcess process;
    private final List<BackgroundProcess> launched = new CopyOnWriteArrayList<>();

    /** A node called {@code name} (used in file and log names) that will run in {@code netns}. */
    public CulvertNode(CulvertDistribution distribution, Netns netns, String name) {
        this(distribution, netns, name, null);
    }

    private CulvertNode(CulvertDistribution distribution, Netns netns, String name, byte[] secret) {
        this.distribution = distribution;
        this.netns = netns;
        this.name = name;
        this.dir = Workspace.newDir("culvert-" + name);
        if (secret == null) {
            this.privateKeyFile = KeyFiles.writeSecret(dir.resolve(name + ".key"), distribution.genkey());
            this.publicKey = distribution.pubkey(readKey(privateKeyFile));
        } else {
            this.privateKeyFile = KeyFiles.writeSecret(dir.resolve(name + ".key"), Keys.encode(secret));
            this.publicKey = Keys.encode(X25519.publicKey(secret));
        }
    }

    /**
     * Like the constructor, but the key pair is made in the test JVM with Culvert's own X25519 instead of two
     * {@code culvert genkey}/{@code pubkey} runs (two JVM starts): for tests that start many nodes and do not test
     * the key commands.
     */
    public static CulvertNode withKeysFromTestJvm(CulvertDistribution distribution, Netns netns, String name) {
        return new CulvertNode(distribution, netns, name, X25519.generatePrivateKey(RANDOM));
    }

    @Override
    public Netns netns() {
        return netns;
    }

    @Override
    public String publicKey() {
        return publicKey;
    }

    /** The 0600 file holding this node's private key. */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    /** This node's folder for its key, config and logs. */
    public Path dir() {
        return dir;
    }

    @Override
    public String deviceName() {
        return requireStarted().deviceName();
    }

    @Override
    public String tunnelIp() {
        return requireStarted().ip();
    }

    /** Writes {@code culvert.conf} for one tunnel and returns its path. */
    public Path writeConfig(Optional<String> listenUdp, LinkSpec link, PeerSpec peer) {
        return writeConfig(CulvertConfig.render(privateKeyFile, listenUdp, link, peer));
    }

    /**
     * Writes {@code culvert.conf} with the given text and returns its path. A text that sets no
     * {@code control.socket} gets one in the node's folder: every node's file is called culvert.conf, and daemons
     * in different namespaces share one file system, so the default {@code /run/culvert/culvert/control.sock} would
     * make the second daemon refuse to start (exit 78), as it must on a real host.
     */
    public Path writeConfig(String text) {
        Path config = dir.resolve("culvert.conf");
        String full = text.contains("control.socket") ? text
                : text + "culvert.control.socket = \"" + dir.resolve(DaemonConfig.CONTROL_SOCKET) + "\"\n";
        try {
            Files.writeString(config, full);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + config, e);
        }
        return config;
    }

    /**
     * Writes the config, starts the daemon, and waits until its tun device exists.
     *
     * @param listenUdp {@code host:port} to listen on, or empty for a client
     * @throws AssertionError if the daemon exits first or the device does not appear in time
     */
    public CulvertNode start(Optional<String> listenUdp, LinkSpec link, PeerSpec peer) {
        Path config = writeConfig(listenUdp, link, peer);
        this.link = link;
        this.process = launch(config);
        await("device " + link.deviceName() + " of culvert " + name + " in " + netns)
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("culvert " + name + " exited with code " + process.awaitExit(Duration.ZERO)
                                + " before its device appeared; stderr:\n" + process.stderr());
                    }
                    return netns.hasLink(link.deviceName());
                });
        return this;
    }

    /** Launches {@code culvert run --config FILE} in the namespace without waiting for anything. */
    public BackgroundProcess launch(Path config) {
        return launch(config, "culvert-" + name);
    }

    /**
     * Launches {@code culvert run --config FILE} with its logs under {@code label}: a daemon started again after
     * a kill needs a label of its own, or its logs would overwrite the first run's.
     */
    public BackgroundProcess launch(Path config, String label) {
        BackgroundProcess started = netns.spawn(label, Map.of("CULVERT_JAVA_OPTS", JAVA_OPTS),
                distribution.command("run", "--config", config.toString()));
        launched.add(started);
        return started;
    }

    /**
     * Asserts that no daemon this node launched has logged a Netty leak report ({@value #LEAK_REPORT}) so far.
     *
     * @throws AssertionError quoting the report
     */
    public void assertNoLeakReported() {
        for (BackgroundProcess p : launched) {
            String log = p.stderr();
            int at = log.indexOf(LEAK_REPORT);
            if (at >= 0) {
                throw new AssertionError("Netty reported a leak in " + p.label() + ":\n"
                        + log.substring(at, Math.min(log.length(), at + 4000)));
            }
        }
    }

    /**
     * What {@code culvert show ARGS} prints for this node's daemon (its control socket {@code DIR/control.sock}, as
     * {@link DaemonConfig} and {@link #writeConfig(String)} set it), run in the node's namespace.
     *
     * @throws AssertionError if the command does not exit 0
     */
    public String show(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("show"));
        command.addAll(List.of(args));
        command.addAll(List.of("--socket", dir.resolve(DaemonConfig.CONTROL_SOCKET).toString()));
        var result = netns.exec(distribution.command(command.toArray(String[]::new)), null, Map.of(),
                CulvertDistribution.CLI_TIMEOUT);
        assertThat(result.exitCode()).as("culvert show: %s", result.describe()).isZero();
        return result.stdout();
    }

    /** The running daemon. */
    public BackgroundProcess process() {
        if (process == null) {
            throw new IllegalStateException("culvert " + name + " was not started");
        }
        return process;
    }

    /** SIGTERM; asserts a clean exit (code 0) and that the tun device is gone. */
    public void stop() {
        stop("TERM");
    }

    /** Sends {@code signal} ({@code TERM} or {@code INT}); asserts exit code 0 and that the device is gone. */
    public void stop(String signal) {
        BackgroundProcess running = process();
        running.signal(signal);
        int exitCode = running.awaitExit(STOP_TIMEOUT);
        assertThat(exitCode).as("exit code of culvert %s after SIG%s; stderr:%n%s", name, signal, running.stderr())
                .isZero();
        assertNoLeakReported();
        assertThat(netns.hasLink(link.deviceName()))
                .as("device %s still exists in %s after culvert %s exited", link.deviceName(), netns, name)
                .isFalse();
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
        launched.forEach(BackgroundProcess::close);
        assertNoLeakReported();
    }

    @Override
    public String toString() {
        return "culvert " + name + " in " + netns;
    }

    private LinkSpec requireStarted() {
        if (link == null) {
            throw new IllegalStateException("culvert " + name + " was not started");
        }
        return link;
    }

    private static String readKey(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
