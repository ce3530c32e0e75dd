package dev.culvert.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Host names for the processes of one test namespace, from {@code /etc/netns/<namespace>/hosts}: {@code ip netns
 * exec} (which starts everything in a {@link Netns}) bind-mounts each file of that folder over its namesake in
 * {@code /etc} for the command it starts, so a daemon there resolves the names written here and the host's own
 * {@code /etc/hosts} is never touched. A {@code resolv.conf} beside it names no server but the namespace's own
 * loopback, so a name that is not (yet) in the file fails at once and no DNS query leaves the namespace.
 *
 * <p>Must be created before the processes start (the bind mount is made at {@code exec}); rewrites keep the file
 * (truncate and write in place), so the mount goes on showing it. Names must end in {@code .test} (RFC 6761,
 * reserved for testing), addresses come from the documentation ranges. Closing removes the folder.
 */
public final class NetnsHosts implements AutoCloseable {

    /** Where {@code ip netns exec} looks for a namespace's own {@code /etc} files. */
    private static final Path ETC_NETNS = Path.of("/etc/netns");

    private final Path dir;
    private final Path hosts;
    private final boolean madeEtcNetns;
    private final Map<String, String> names = new LinkedHashMap<>();

    private NetnsHosts(Path dir, boolean madeEtcNetns) {
        this.dir = dir;
        this.hosts = dir.resolve("hosts");
        this.madeEtcNetns = madeEtcNetns;
    }

    /** Creates {@code /etc/netns/<netns>/hosts} (localhost only) and {@code resolv.conf}; before anything starts there. */
    public static NetnsHosts create(Netns netns) {
        try {
            boolean madeEtcNetns = !Files.isDirectory(ETC_NETNS);
            Path dir = Files.createDirectories(ETC_NETNS.resolve(netns.name()));
            NetnsHosts h = new NetnsHosts(dir, madeEtcNetns);
            Files.writeString(dir.resolve("resolv.conf"),
                    "# culvert IT: names come from hosts; no DNS server but this namespace's loopback\n"
                            + "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
            h.write();
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make /etc/netns/" + netns.name(), e);
        }
    }

    /**
     * Makes {@code name} resolve to {@code address} from now on (replacing an earlier address).
     *
     * @param name    ends in {@code .test}
     * @param address a documentation-range address
     */
    public void put(String name, String address) {
        if (!name.endsWith(".test")) {
            throw new IllegalArgumentException("refusing host name " + name + ": test names end in .test (RFC 6761)");
        }
        SafeAddresses.requireUnderlay(address);
        names.put(name, address);
        write();
    }

    /** Makes {@code name} resolve no more. */
    public void remove(String name) {
        names.remove(name);
        write();
    }

    private void write() {
        StringBuilder text = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
        names.forEach((name, address) -> text.append(address).append(' ').append(name).append('\n'));
        try {
            Files.writeString(hosts, text); // truncates and writes the same inode: the bind mount sees it
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + hosts, e);
        }
    }

    /** Removes the namespace's folder (and {@code /etc/netns} if this made it and it is empty). */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(hosts);
            Files.deleteIfExists(dir.resolve("resolv.conf"));
            Files.deleteIfExists(dir);
            if (madeEtcNetns) {
                Files.deleteIfExists(ETC_NETNS);
            }
        } catch (DirectoryNotEmptyException e) {
            // another namespace's folder is there: leave /etc/netns
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
