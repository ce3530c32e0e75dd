package dev.culvert.it.node;

import dev.culvert.it.harness.SafeAddresses;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One {@code culvert.tunnels.<name>} block with the VTUN-model keys (transport, compression, tap, persist,
 * hooks), built by small {@code with...} steps and rendered by {@link DaemonConfig}.
 *
 * <p>Immutable: every {@code with} returns a copy, so one base block can serve several tests.
 */
public final class TunnelBlock {

    /** {@code udp} or {@code tcp}. */
    public static final String UDP = "udp";
    /** {@code udp} or {@code tcp}. */
    public static final String TCP = "tcp";
    /** {@code device.offload} and {@code culvert.udp-offload}: use what the kernel accepts. */
    public static final String OFFLOAD_AUTO = "auto";
    /** {@code device.offload} and {@code culvert.udp-offload}: plain packets, one datagram per send. */
    public static final String OFFLOAD_OFF = "off";

    private final String name;
    private final String device;
    private final String mode;
    private final Optional<String> address;
    private final Optional<String> mac;
    private final String peerKey;
    private final Optional<String> endpoint;
    private final List<String> allowedIps;
    private final String transport;
    private final String compression;
    private final int keepaliveSeconds;
    private final Optional<Boolean> persist;
    private final List<String> up;
    private final List<String> down;
    private final Optional<String> offload;
    private final Optional<Integer> mtu;

    private TunnelBlock(String name, String device, String mode, Optional<String> address, Optional<String> mac,
                        String peerKey, Optional<String> endpoint, List<String> allowedIps, String transport,
                        String compression, int keepaliveSeconds, Optional<Boolean> persist, List<String> up,
                        List<String> down, Optional<String> offload, Optional<Integer> mtu) {
        this.name = name;
        this.device = device;
        this.mode = mode;
        this.address = address;
        this.mac = mac;
        this.peerKey = peerKey;
        this.endpoint = endpoint;
        this.allowedIps = List.copyOf(allowedIps);
        this.transport = transport;
        this.compression = compression;
        this.keepaliveSeconds = keepaliveSeconds;
        this.persist = persist;
        this.up = List.copyOf(up);
        this.down = List.copyOf(down);
        this.offload = offload;
        this.mtu = mtu;
    }

    /**
     * A tun tunnel over UDP, no compression, no hooks, no endpoint (the peer calls in).
     *
     * @param address    the device's address with prefix, in 198.18.0.0/15
     * @param allowedIps the peer's tunnel prefixes, in 198.18.0.0/15
     */
    public static TunnelBlock tun(String name, String device, String address, String peerKey, String... allowedIps) {
        SafeAddresses.requireOverlay(address);
        List<String> allowed = List.of(allowedIps);
        allowed.forEach(SafeAddresses::requireOverlay);
        return new TunnelBlock(name, device, "tun", Optional.of(address), Optional.empty(), peerKey, Optional.empty(),
                allowed, UDP, "off", 0, Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.empty());
    }

    /** A tap tunnel with no address on the device (it is meant to sit in a bridge) and no allowed IPs. */
    public static TunnelBlock tap(String name, String device, String peerKey) {
        return new TunnelBlock(name, device, "tap", Optional.empty(), Optional.empty(), peerKey, Optional.empty(),
                List.of(), UDP, "off", 0, Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.empty());
    }

    /** The same tunnel, dialling the peer at {@code hostPort} (a documentation-range address). */
    public TunnelBlock withEndpoint(String hostPort) {
        SafeAddresses.requireUnderlay(hostPort);
        return new TunnelBlock(name, device, mode, address, mac, peerKey, Optional.of(hostPort), allowedIps, transport,
                compression, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /**
     * The same tunnel, dialling the peer by a host name ({@code server.culvert.test}) that the test's
     * {@link dev.culvert.it.harness.NetnsHosts} maps to a documentation-range address.
     *
     * @param host a name under {@code .test} (RFC 6761)
     */
    public TunnelBlock withNamedEndpoint(String host, int port) {
        if (!host.endsWith(".test")) {
            throw new IllegalArgumentException("refusing host name " + host + ": test names end in .test (RFC 6761)");
        }
        return new TunnelBlock(name, device, mode, address, mac, peerKey, Optional.of(host + ":" + port), allowedIps,
                transport, compression, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /** The same tunnel over {@link #UDP} or {@link #TCP}. */
    public TunnelBlock withTransport(String kind) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, kind,
                compression, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /** The same tunnel with {@code compression = setting} ({@code off}, {@code lz4}, {@code zlib:6}). */
    public TunnelBlock withCompression(String setting) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                setting, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /** The same tunnel with a persistent keepalive. */
    public TunnelBlock withKeepalive(int seconds) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, seconds, persist, up, down, offload, mtu);
    }

    /** The same tunnel with {@code persist} set explicitly. */
    public TunnelBlock withPersist(boolean value) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, Optional.of(value), up, down, offload, mtu);
    }

    /** The same (tap) tunnel with {@code device.mac}. */
    public TunnelBlock withMac(String value) {
        return new TunnelBlock(name, device, mode, address, Optional.of(value), peerKey, endpoint, allowedIps,
                transport, compression, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /** The same tunnel with {@code command} appended to its {@code up} hooks. */
    public TunnelBlock withUp(String command) {
        List<String> more = new ArrayList<>(up);
        more.add(command);
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, persist, more, down, offload, mtu);
    }

    /** The same tunnel with {@code command} appended to its {@code down} hooks. */
    public TunnelBlock withDown(String command) {
        List<String> more = new ArrayList<>(down);
        more.add(command);
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, persist, up, more, offload, mtu);
    }

    /**
     * The same tunnel with {@code device.address} (a tap device that carries IP itself instead of sitting in a
     * bridge).
     *
     * @param value the device's address with prefix, in 198.18.0.0/15
     */
    public TunnelBlock withAddress(String value) {
        SafeAddresses.requireOverlay(value);
        return new TunnelBlock(name, device, mode, Optional.of(value), mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, persist, up, down, offload, mtu);
    }

    /**
     * The same tunnel with {@code device.offload = setting}: {@link #OFFLOAD_AUTO} (virtio_net_hdr with what
     * TUNSETOFFLOAD accepts) or {@link #OFFLOAD_OFF} (plain packets).
     */
    public TunnelBlock withOffload(String setting) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, persist, up, down, Optional.of(setting), mtu);
    }

    /**
     * The same tunnel with {@code device.mtu = bytes} (576..65000; Culvert's default is 1420 for tun).
     */
    public TunnelBlock withMtu(int bytes) {
        return new TunnelBlock(name, device, mode, address, mac, peerKey, endpoint, allowedIps, transport,
                compression, keepaliveSeconds, persist, up, down, offload, Optional.of(bytes));
    }

    /** The tunnel's name. */
    public String name() {
        return name;
    }

    /** The device's name. */
    public String device() {
        return device;
    }

    /** Appends this block, indented for {@code culvert.tunnels}. */
    void render(StringBuilder out) {
        out.append("    ").append(DaemonConfig.quote(name)).append(" {\n");
        out.append("      device {\n");
        out.append("        name = ").append(DaemonConfig.quote(device)).append('\n');
        out.append("        mode = ").append(mode).append('\n');
        address.ifPresent(a -> out.append("        address = ").append(DaemonConfig.quote(a)).append('\n'));
        mac.ifPresent(m -> out.append("        mac = ").append(DaemonConfig.quote(m)).append('\n'));
        offload.ifPresent(o -> out.append("        offload = ").append(o).append('\n'));
        mtu.ifPresent(m -> out.append("        mtu = ").append(m).append('\n'));
        out.append("      }\n");
        out.append("      peer {\n");
        out.append("        public-key = ").append(DaemonConfig.quote(peerKey)).append('\n');
        endpoint.ifPresent(e -> out.append("        endpoint = ").append(DaemonConfig.quote(e)).append('\n'));
        out.append("        allowed-ips = ").append(DaemonConfig.list(allowedIps)).append('\n');
        out.append("      }\n");
        out.append("      transport = ").append(transport).append('\n');
        out.append("      compression = ").append(DaemonConfig.quote(compression)).append('\n');
        out.append("      keepalive { persistent = ").append(keepaliveSeconds).append("s }\n");
        persist.ifPresent(p -> out.append("      persist = ").append(p).append('\n'));
        out.append("      up = ").append(DaemonConfig.list(up)).append('\n');
        out.append("      down = ").append(DaemonConfig.list(down)).append('\n');
        out.append("    }\n");
    }
}
