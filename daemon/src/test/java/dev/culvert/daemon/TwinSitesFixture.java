package dev.culvert.daemon;

import dev.culvert.config.ConfigLoader;
import dev.culvert.config.CulvertConfig;
import dev.culvert.protocol.testing.MemoryNetwork;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two whole daemons on twin platforms, for tests that extend this: site A at {@link #A} and site B at {@link #B},
 * each a {@link TwinPlatform} (memory devices, recorded ip(8) commands, memory transports) on one
 * {@link MemoryNetwork}; configs are written to a fresh folder and loaded as the daemon loads them; every daemon
 * started is closed after each test.
 */
abstract class TwinSitesFixture {
    static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);
    static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 51820);

    @TempDir
    Path dir;
    final MemoryNetwork network = new MemoryNetwork();
    final TwinPlatform hostA = new TwinPlatform(network, A);
    final TwinPlatform hostB = new TwinPlatform(network, B);
    private final List<Daemon> running = new ArrayList<>();

    @AfterEach
    void closeDaemons() {
        running.forEach(Daemon::close);
    }

    /** Writes {@code text} to {@code name} in the test's folder and loads it as the daemon would. */
    CulvertConfig config(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return ConfigLoader.load(file);
    }

    /** Starts a daemon on {@code host} from {@code text} (written to {@code name}); closed after the test. */
    Daemon start(String name, String text, TwinPlatform host) throws Exception {
        Daemon daemon = Daemon.start(config(name, text), host);
        running.add(daemon);
        return daemon;
    }
}
