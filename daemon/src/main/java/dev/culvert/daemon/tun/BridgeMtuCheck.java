package dev.culvert.daemon.tun;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a tap device sits in a Linux bridge whose other ports have a larger MTU than the tap: the bridge then
 * drops every frame from those ports that is longer than the tap's MTU, so small packets pass and TCP stalls
 * (issue 13). Read from sysfs ({@code Documentation/ABI/testing/sysfs-class-net}): {@code <dev>/master} is a link
 * to the bridge, {@code <bridge>/brif/} holds one entry per port, {@code <port>/mtu} its MTU in bytes.
 *
 * <p>Each finding is reported once: {@link #check} answers a warning only when the situation (bridge, the
 * ports' largest MTU, the tap's MTU) differs from the last one reported, and forgets it once it is resolved, so
 * it is cheap to call on every tick. Not thread-safe: one caller (the tunnel's loop, or its opener before that).
 */
public final class BridgeMtuCheck {
    /** Where the kernel lists network devices. */
    public static final Path SYSFS = Path.of("/sys/class/net");

    /**
     * A tap in a bridge with a port whose MTU is larger.
     *
     * @param bridge  the bridge's name
     * @param port    the port with the largest MTU (the first by name among equals)
     * @param portMtu that port's MTU, bytes
     * @param tapMtu  the tap's MTU, bytes
     */
    public record Finding(String bridge, String port, int portMtu, int tapMtu) {}

    private final Path root;
    private final String device;
    private Finding reported;

    /**
     * @param root   the sysfs directory of network devices ({@link #SYSFS}; a fake one in tests)
     * @param device the tap device's name
     */
    public BridgeMtuCheck(Path root, String device) {
        this.root = root;
        this.device = device;
    }

    /** What sysfs says now; empty if the tap is in no bridge, every port's MTU is at most the tap's, or unreadable. */
    public Optional<Finding> inspect() {
        try {
            Path master = root.resolve(device).resolve("master");
            if (!Files.isSymbolicLink(master)) {
                return Optional.empty();
            }
            String bridge = Files.readSymbolicLink(master).getFileName().toString();
            Path ports = root.resolve(bridge).resolve("brif");
            if (!Files.isDirectory(ports)) {
                return Optional.empty(); // a master that is not a bridge (a bond, a VRF)
            }
            int tapMtu = mtu(device);
            String widest = null;
            int widestMtu = tapMtu;
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(ports)) {
                for (Path entry : entries) {
                    String port = entry.getFileName().toString();
                    if (port.equals(device)) {
                        continue;
                    }
                    int mtu = mtu(port);
                    if (mtu > widestMtu || (mtu == widestMtu && widest != null && port.compareTo(widest) < 0)) {
                        widest = port;
                        widestMtu = mtu;
                    }
                }
            }
            return widest == null ? Optional.empty() : Optional.of(new Finding(bridge, widest, widestMtu, tapMtu));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a device that went away between two reads, or no sysfs at all
        }
    }

    /**
     * The warning to log now, if the tap's bridge has a port with a larger MTU and this situation (bridge, MTUs)
     * has not been reported yet; empty otherwise.
     *
     * @param tunnel the tunnel's name, for the message
     */
    public Optional<String> check(String tunnel) {
        Optional<Finding> now = inspect();
        Finding situation = now.orElse(null);
        if (situation == null) {
            reported = null;
            return Optional.empty();
        }
        if (reported != null && reported.bridge().equals(situation.bridge())
                && reported.portMtu() == situation.portMtu() && reported.tapMtu() == situation.tapMtu()) {
            return Optional.empty();
        }
        reported = situation;
        return Optional.of(message(tunnel, device, situation));
    }

    /** The operator's message for a finding. */
    static String message(String tunnel, String device, Finding f) {
        return "tunnel " + tunnel + ": tap " + device + " (mtu " + f.tapMtu() + ") is in bridge " + f.bridge()
                + " whose port " + f.port() + " has mtu " + f.portMtu() + ": the bridge drops frames longer than "
                + f.tapMtu() + " bytes on their way into the tunnel (small packets pass, TCP stalls); set device.mtu = "
                + f.portMtu() + " for this tunnel on both sites (or lower the port's MTU)";
    }

    private int mtu(String name) throws IOException {
        return Integer.parseInt(Files.readString(root.resolve(name).resolve("mtu")).strip());
    }
}
