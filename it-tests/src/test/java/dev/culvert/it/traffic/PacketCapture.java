package dev.culvert.it.traffic;

import static org.awaitility.Awaitility.await;

import dev.culvert.it.harness.BackgroundProcess;
import dev.culvert.it.harness.Netns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** {@code tcpdump} on one interface of a namespace, writing a pcap file that is read back on stop. */
public final class PacketCapture implements AutoCloseable {

    private final BackgroundProcess tcpdump;
    private final Path file;

    private PacketCapture(BackgroundProcess tcpdump, Path file) {
        this.tcpdump = tcpdump;
        this.file = file;
    }

    /**
     * Starts capturing on {@code device} in {@code netns} with a tcpdump {@code filter}, and
     * returns once tcpdump says it is listening.
     */
    public static PacketCapture start(Netns netns, String device, String filter) {
        Path file = netns.logDir().resolve("capture-" + device + "-" + System.nanoTime() + ".pcap");
        // -Z root: write the file as root (Debian's tcpdump would otherwise drop to its own user).
        BackgroundProcess tcpdump = netns.spawn("tcpdump-" + device,
                "tcpdump", "-i", device, "-n", "-U", "--immediate-mode", "-Z", "root", "-s", "0", "-w", file.toString(), filter);
        await("tcpdump listening on " + device + " in " + netns)
                .atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!tcpdump.isAlive()) {
                        throw new AssertionError("tcpdump exited early; stderr:\n" + tcpdump.stderr());
                    }
                    return tcpdump.stderr().contains("listening on");
                });
        return new PacketCapture(tcpdump, file);
    }

    /** The UDP datagrams written to the capture file so far. */
    public List<Pcap.Datagram> datagrams() {
        try {
            return Pcap.udpDatagrams(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read capture " + file, e);
        }
    }

    /**
     * Waits until the datagrams captured so far satisfy {@code enough} (packets seen by the
     * kernel reach the file a moment later), then stops tcpdump and returns them.
     *
     * @param what what is waited for, for the timeout message
     */
    public List<Pcap.Datagram> stopWhen(String what, Predicate<List<Pcap.Datagram>> enough, Duration within) {
        await(what + " in capture " + file)
                .atMost(within)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> enough.test(datagrams()));
        return stop();
    }

    /** Stops tcpdump (SIGINT, so it flushes) and returns the UDP datagrams it saw. */
    public List<Pcap.Datagram> stop() {
        tcpdump.signal("INT");
        tcpdump.awaitExit(Duration.ofSeconds(10));
        return datagrams();
    }

    @Override
    public void close() {
        tcpdump.close();
    }
}
