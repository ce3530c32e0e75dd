package dev.culvert.it.node;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import dev.culvert.it.harness.SafeAddresses;
import dev.culvert.it.harness.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Debian's {@code vtund} 3.0.4 in a namespace, in the foreground ({@code -n}), with a config written to the test's
 * own folder ({@code -f FILE}; the host's /etc/vtund.conf is never read): the real peer of the vtun-legacy tests.
 *
 * <p>Debian 12's vtund crashes on any Blowfish data cipher unless OpenSSL's legacy provider is active (VTUN.md
 * finding 1): every node runs with {@code OPENSSL_CONF} pointing at a file that activates the default and legacy
 * providers, as a site that uses {@code encrypt yes} must.
 */
public final class VtundNode implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final String OPENSSL_LEGACY = """
            openssl_conf = openssl_init
            [openssl_init]
            providers = provider_sect
            [provider_sect]
            default = default_sect
            legacy = legacy_sect
            [default_sect]
            activate = 1
            [legacy_sect]
            activate = 1
            """;

    /**
     * One vtund session block.
     *
     * @param name     the session name
     * @param password vtund's passwd (one word)
     * @param type     tun or ether
     * @param proto    tcp or udp (server only: the server decides)
     * @param encrypt  no, aes128cbc, blowfish128ecb, ... (server decides)
     * @param compress no, lzo:N, zlib:N (server decides)
     * @param device   the device vtund creates
     * @param address  the device address with prefix, e.g. 198.18.0.2/30
     * @param mtu      the device MTU
     * @param extra    further session lines, e.g. {@code nat_hack client;}
     */
    public record Session(String name, String password, String type, String proto, String encrypt, String compress,
                          String device, String address, int mtu, List<String> extra) {
        /** A session without further lines. */
        public Session(String name, String password, String type, String proto, String encrypt, String compress,
                       String device, String address, int mtu) {
            this(name, password, type, proto, encrypt, compress, device, address, mtu, List.of());
        }

        /** The same session with another password. */
        public Session withPassword(String other) {
            return new Session(name, other, type, proto, encrypt, compress, device, address, mtu, extra);
        }

        /** The same session with one more line, e.g. {@code nat_hack client;}. */
        public Session with(String line) {
            List<String> more = new java.util.ArrayList<>(extra);
            more.add(line);
            return new Session(name, password, type, proto, encrypt, compress, device, address, mtu, more);
        }
    }

    private final Netns netns;
    private final String name;
    private final Path dir;
    private final Path opensslConf;
    private BackgroundProcess process;
    private int runs;

    public VtundNode(Netns netns, String name) {
        this.netns = netns;
        this.name = name;
        this.dir = Workspace.newDir("vtund-" + name);
        this.opensslConf = write("openssl-legacy.cnf", OPENSSL_LEGACY);
    }

    /** {@code vtund -s -n -f FILE -P port}: a server holding {@code session}, listening on {@code port}. */
    public VtundNode startServer(Session session, int port) {
        Path config = write("vtund-server.conf", config(session, port, true));
        process = spawn(List.of("vtund", "-s", "-n", "-f", config.toString(), "-P", Integer.toString(port)));
        await("vtund server " + name + " listening on " + port).atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("vtund " + name + " exited; stderr:\n" + process.stderr());
                    }
                    return netns.exec("ss", "-Htln", "sport", "= :" + port).stdout().contains(":" + port);
                });
        return this;
    }

    /** {@code vtund -n -f FILE -P port SESSION HOST}: a client of the server at {@code serverHost} (persist yes). */
    public VtundNode startClient(Session session, String serverHost, int port) {
        SafeAddresses.requireUnderlay(serverHost + ":" + port);
        Path config = write("vtund-client.conf", config(session, port, false));
        process = spawn(List.of("vtund", "-n", "-f", config.toString(), "-P", Integer.toString(port), session.name(),
                serverHost));
        return this;
    }

    private BackgroundProcess spawn(List<String> command) {
        runs++;
        return netns.spawn("vtund-" + name + (runs > 1 ? "-" + runs : ""), Map.of("OPENSSL_CONF",
                opensslConf.toString()), command);
    }

    /** vtund's own log lines (it logs to stderr with {@code -n}). */
    public String log() {
        return process == null ? "" : process.stderr();
    }

    public BackgroundProcess process() {
        return process;
    }

    /**
     * SIGKILL to this node's vtund and to the session process it forked (a vtund server serves each session in a
     * child): the peer dies without a word (no CONN_CLOSE). Only processes of this test's namespace are signalled,
     * by pid.
     */
    public void kill() {
        process.signal("KILL");
        process.awaitExit(Duration.ofSeconds(10));
        await("no vtund left in " + netns).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> killVtundsInNamespace() == 0);
    }

    /** Sends SIGKILL to every vtund whose network namespace is this node's; returns how many there were. */
    private int killVtundsInNamespace() {
        int found = 0;
        String pids = dev.culvert.it.harness.Exec.run("ip", "netns", "pids", netns.name()).stdout();
        for (String pid : pids.split("\\s+")) {
            if (pid.isBlank()) {
                continue;
            }
            String name;
            try {
                name = Files.readString(Path.of("/proc", pid, "comm")).strip();
            } catch (IOException gone) {
                continue;
            }
            if (name.equals("vtund")) {
                found++;
                dev.culvert.it.harness.Exec.run("kill", "-KILL", pid);
            }
        }
        return found;
    }

    /**
     * SIGKILL, as {@link #kill()}: the test has asserted all it needs of vtund by then, and a vtund client between
     * two connection tries lets a SIGTERM wait out the harness's grace period.
     */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            kill();
        } else {
            killVtundsInNamespace(); // a session child a server forked
        }
    }

    private String config(Session s, int port, boolean server) {
        StringBuilder c = new StringBuilder();
        c.append("options {\n  port ").append(port).append(";\n  timeout 30;\n  ip ").append(ipPath()).append(";\n}\n");
        c.append(s.name()).append(" {\n");
        c.append("  passwd ").append(s.password()).append(";\n");
        c.append("  type ").append(s.type()).append(";\n");
        c.append("  device ").append(s.device()).append(";\n");
        if (server) {
            c.append("  proto ").append(s.proto()).append(";\n");
            c.append("  encrypt ").append(s.encrypt()).append(";\n");
            c.append("  compress ").append(s.compress()).append(";\n");
            c.append("  keepalive 10:3;\n");
        } else {
            c.append("  persist yes;\n");
        }
        s.extra().forEach(line -> c.append("  ").append(line).append('\n'));
        c.append("  up {\n");
        c.append("    ip \"link set %% up mtu ").append(s.mtu()).append("\";\n");
        c.append("    ip \"addr add ").append(s.address()).append(" dev %%\";\n");
        c.append("  };\n}\n");
        return c.toString();
    }

    private static String ipPath() {
        for (String candidate : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new AssertionError("no ip(8) found for vtund's up commands");
    }

    private Path write(String file, String text) {
        try {
            return Files.writeString(dir.resolve(file), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "vtund " + name + " in " + netns;
    }
}
