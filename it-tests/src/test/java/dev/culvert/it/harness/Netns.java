package dev.culvert.it.harness;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Linux network namespace that a test creates and deletes: a private network stack
 * with its own interfaces, routes and sockets, so tests never touch the host's.
 *
 * <p>Every name starts with {@link #PREFIX}, so leftovers of a killed run can be found and
 * removed ({@code .ci/run} does). Closing deletes the namespace after ending the processes
 * started in it; a JVM shutdown hook does the same for namespaces a dying test left open.
 */
public final class Netns implements AutoCloseable {

    /** Every namespace the tests make is named {@code cvit-...}. */
    public static final String PREFIX = "cvit-";

    /** Ethernet's MTU, what {@code ip link add} gives a veth. */
    public static final int DEFAULT_MTU = 1500;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger VETH_COUNTER = new AtomicInteger();
    private static final Set<Netns> OPEN = Collections.synchronizedSet(new LinkedHashSet<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Netns::closeAllLeftOpen, "netns-cleanup"));
    }

    private final String name;
    private final java.nio.file.Path logDir;
    private final List<BackgroundProcess> spawned = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    private Netns(String name) {
        this.name = name;
        this.logDir = Workspace.newDir(name);
    }

    /**
     * Creates a namespace named {@code cvit-<tag>-<random>} with its loopback up.
     *
     * @param tag a few letters saying what it is for ({@code a}, {@code b}, {@code cli})
     */
    public static Netns create(String tag) {
        String name = PREFIX + tag + "-" + HexFormat.of().formatHex(randomBytes(3));
        Exec.run("ip", "netns", "add", name).requireSuccess();
        Netns netns = new Netns(name);
        OPEN.add(netns);
        netns.ip("link", "set", "lo", "up");
        return netns;
    }

    /** The namespace's name, as {@code ip netns exec} takes it. */
    public String name() {
        return name;
    }

    /**
     * Joins this namespace and {@code other} with a veth pair, one address on each end,
     * both from the documentation ranges.
     *
     * @param addrHere  e.g. {@code 192.0.2.1/24} or {@code 2001:db8:1::1/64}, set on this end
     * @param addrThere e.g. {@code 192.0.2.2/24} or {@code 2001:db8:1::2/64}, set on the other end
     * @return the interface name, the same on both ends
     */
    public String veth(Netns other, String addrHere, String addrThere) {
        return veth(other, DEFAULT_MTU, List.of(addrHere), List.of(addrThere));
    }

    /**
     * Joins this namespace and {@code other} with a veth pair of the given MTU and any number of addresses on each
     * end (IPv4, IPv6 or both; none at all on one family makes that end single-stack). IPv6 addresses are added
     * with {@code nodad}: usable at once, not tentative for the second duplicate address detection takes.
     *
     * @param mtu        the MTU of both ends, e.g. 1500, or 9000 for jumbo frames
     * @param addrsHere  addresses with prefix for this end, documentation ranges only
     * @param addrsThere addresses with prefix for the other end, documentation ranges only
     * @return the interface name, the same on both ends
     */
    public String veth(Netns other, int mtu, List<String> addrsHere, List<String> addrsThere) {
        addrsHere.forEach(SafeAddresses::requireUnderlay);
        addrsThere.forEach(SafeAddresses::requireUnderlay);
        String dev = "cvu" + VETH_COUNTER.incrementAndGet();
        String mtuText = Integer.toString(mtu);
        // Created straight inside the two namespaces: the pair never appears on the host.
        ip("link", "add", dev, "mtu", mtuText, "type", "veth", "peer", "name", dev, "mtu", mtuText, "netns", other.name);
        for (String address : addrsHere) {
            addUnderlayAddress(dev, address);
        }
        ip("link", "set", dev, "up");
        for (String address : addrsThere) {
            other.addUnderlayAddress(dev, address);
        }
        other.ip("link", "set", dev, "up");
        return dev;
    }

    /**
     * Adds an underlay address (documentation ranges only) to {@code dev}; an IPv6 one with {@code nodad}.
     *
     * @param address with prefix, e.g. {@code 198.51.100.2/24} or {@code 2001:db8:4::2/64}
     */
    public void addUnderlayAddress(String dev, String address) {
        SafeAddresses.requireUnderlay(address);
        if (address.indexOf(':') >= 0) {
            ip("-6", "addr", "add", address, "dev", dev, "nodad");
        } else {
            ip("addr", "add", address, "dev", dev);
        }
    }

    /**
     * Joins this namespace (a site) and {@code host} with a veth pair meant for a bridge: this end gets no
     * address (the caller puts it in a bridge), the host's end gets a tunnel-range address, both the given MTU.
     *
     * @param hostAddress e.g. {@code 198.18.5.1/24}, set on the host's end
     * @return the interface name, the same on both ends
     */
    public String bridgeVeth(Netns host, String hostAddress, int mtu) {
        SafeAddresses.requireOverlay(hostAddress);
        String dev = "cvu" + VETH_COUNTER.incrementAndGet();
        String mtuText = Integer.toString(mtu);
        ip("link", "add", dev, "mtu", mtuText, "type", "veth", "peer", "name", dev, "mtu", mtuText, "netns", host.name);
        ip("link", "set", dev, "up");
        host.ip("addr", "add", hostAddress, "dev", dev);
        host.ip("link", "set", dev, "up");
        return dev;
    }

    /**
     * Adds a link {@code dev} with one documentation-range address: an underlay for a daemon
     * that needs an address to listen on but no peer to reach. It is one end of a veth pair
     * whose other end ({@code dev} + "p") stays in this namespace too (veth, unlike dummy,
     * needs no extra kernel module).
     */
    public void standaloneLink(String dev, String address) {
        SafeAddresses.requireUnderlay(address);
        ip("link", "add", dev, "type", "veth", "peer", "name", dev + "p");
        ip("addr", "add", address, "dev", dev);
        ip("link", "set", dev + "p", "up");
        ip("link", "set", dev, "up");
    }

    /** Runs {@code ip <args>} in this namespace and requires it to succeed. */
    public ExecResult ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));
        return Exec.run(command, null, Map.of(), Exec.DEFAULT_TIMEOUT).requireSuccess();
    }

    /** Whether a network interface of that name exists in this namespace. */
    public boolean hasLink(String dev) {
        return Exec.run("ip", "-n", name, "link", "show", "dev", dev).ok();
    }

    /** Runs a command inside this namespace with the default time limit. */
    public ExecResult exec(String... command) {
        return exec(Exec.DEFAULT_TIMEOUT, command);
    }

    /** Runs a command inside this namespace; past {@code timeout} it is killed and an AssertionError thrown. */
    public ExecResult exec(Duration timeout, String... command) {
        return exec(List.of(command), null, Map.of(), timeout);
    }

    /** Runs a command inside this namespace with input and extra environment. */
    public ExecResult exec(List<String> command, String stdin, Map<String, String> env, Duration timeout) {
        return Exec.run(inside(command), stdin, env, timeout);
    }

    /** Starts a command in the background inside this namespace; it is ended when the namespace closes. */
    public BackgroundProcess spawn(String label, String... command) {
        return spawn(label, Map.of(), List.of(command));
    }

    /** Starts a command in the background inside this namespace, with extra environment. */
    public BackgroundProcess spawn(String label, Map<String, String> env, List<String> command) {
        if (closed) {
            throw new IllegalStateException("namespace " + name + " is closed");
        }
        BackgroundProcess process = BackgroundProcess.start(name + "-" + label, inside(command), env, logDir);
        spawned.add(process);
        return process;
    }

    /** The command line that runs {@code command} in this namespace. */
    public List<String> inside(List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    /** Folder for this namespace's process logs. */
    public java.nio.file.Path logDir() {
        return logDir;
    }

    /** Ends the processes started here, then deletes the namespace. Safe to call twice. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<BackgroundProcess> processes;
        synchronized (spawned) {
            processes = new ArrayList<>(spawned);
        }
        Collections.reverse(processes);
        processes.forEach(BackgroundProcess::close);
        killRemaining();
        Exec.run("ip", "netns", "del", name);
        OPEN.remove(this);
    }

    @Override
    public String toString() {
        return name;
    }

    /** Whatever else still runs in the namespace was started by this test (it is ours): kill it. */
    private void killRemaining() {
        ExecResult pids = Exec.run("ip", "netns", "pids", name);
        for (String pid : pids.stdout().split("\\s+")) {
            if (!pid.isBlank()) {
                Exec.run("kill", "-KILL", pid.strip());
            }
        }
    }

    private static void closeAllLeftOpen() {
        List<Netns> left;
        synchronized (OPEN) {
            left = new ArrayList<>(OPEN);
        }
        for (Netns netns : left) {
            try {
                netns.close();
            } catch (RuntimeException | AssertionError e) {
                System.err.println("cannot clean up namespace " + netns.name + ": " + e);
            }
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
