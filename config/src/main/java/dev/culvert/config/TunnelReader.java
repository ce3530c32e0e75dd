package dev.culvert.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads one {@code culvert.tunnels.<name>} block into a {@link TunnelConfig}, recording every problem, and
 * keeps what the checks across tunnels need ({@link #deviceName()}, {@link #publicKey()}, ...).
 */
final class TunnelReader {

    /** A tunnel name: lower case letters and digits, then also '-', '_' and '.'. */
    static final Pattern TUNNEL_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    /** Prefix of the default device name, "cv-" + tunnel name. */
    static final String DEFAULT_DEVICE_PREFIX = "cv-";
    /** RFC 791: every IPv4 host must accept 576-byte datagrams. */
    static final int MIN_MTU = 576;
    static final int MAX_MTU = 65000;
    /** WireGuard's persistent keepalive is a 16-bit number of seconds. */
    static final int MAX_KEEPALIVE_SECONDS = 65535;
    static final int MAX_HOOK_TIMEOUT_SECONDS = 3600;

    private final String name;
    private final Section tunnel;
    private final Path baseDir;

    private String deviceName;
    private boolean defaultDeviceName;
    private String publicKey;

    TunnelReader(String name, Section tunnel, Path baseDir) {
        this.name = name;
        this.tunnel = tunnel;
        this.baseDir = baseDir;
    }

    /** Reads the tunnel; null if anything in it is wrong (every problem recorded). */
    TunnelConfig read() {
        boolean validName = TUNNEL_NAME.matcher(name).matches();
        if (!validName) {
            tunnel.problem("'" + name + "' is not a valid tunnel name: use lower case letters, digits, '-', '_' "
                    + "and '.', starting with a letter or digit");
        }
        DeviceConfig device = readDevice(tunnel.child("device"), validName);
        PeerConfig peer = readPeer(tunnel.child("peer"));
        TransportKind transport = tunnel.oneOf("transport", TransportKind.class);
        Duration keepalive = tunnel.child("keepalive").seconds("persistent", 1, MAX_KEEPALIVE_SECONDS);
        CompressionSetting compression = tunnel.parsed("compression", CompressionSetting::parse);
        Boolean persist = tunnel.parsed("persist", Values::bool);
        List<String> up = tunnel.list("up", Values::hookCommand);
        List<String> down = tunnel.list("down", Values::hookCommand);
        Duration hookTimeout = tunnel.seconds("hook-timeout", 1, MAX_HOOK_TIMEOUT_SECONDS);
        MssClampSetting mssClamp = tunnel.parsed("mss-clamp", MssClampSetting::parse);
        if (hookTimeout != null && hookTimeout.isZero()) {
            tunnel.problem("hook-timeout", "must be at least 1s");
            hookTimeout = null;
        }
        if (!validName || device == null || peer == null || transport == null || keepalive == null
                || compression == null || persist == null || up == null || down == null || hookTimeout == null
                || mssClamp == null) {
            return null;
        }
        return new TunnelConfig(name, device, peer, transport, keepalive, compression, persist, up, down, hookTimeout,
                mssClamp);
    }

    String name() {
        return name;
    }

    Section section() {
        return tunnel;
    }

    /** The device name, explicit or default; null if invalid. */
    String deviceName() {
        return deviceName;
    }

    /** True if {@link #deviceName()} was derived from the tunnel name rather than written. */
    boolean defaultDeviceName() {
        return defaultDeviceName;
    }

    /** The peer public key in canonical base64; null if missing or invalid. */
    String publicKey() {
        return publicKey;
    }

    /** True if the peer has an endpoint written (valid or not). */
    boolean hasEndpoint() {
        return tunnel.child("peer").isSet("endpoint");
    }

    private DeviceConfig readDevice(Section device, boolean validTunnelName) {
        defaultDeviceName = !device.isSet("name");
        if (defaultDeviceName) {
            String derived = DEFAULT_DEVICE_PREFIX + name;
            deviceName = validTunnelName
                    ? derived.substring(0, Math.min(derived.length(), Values.MAX_DEVICE_NAME_LENGTH)) : null;
        } else {
            deviceName = device.parsed("name", Values::deviceName);
        }
        DeviceMode mode = device.oneOf("mode", DeviceMode.class);
        // An explicit device.mtu wins; otherwise the mode decides (tun 1420, tap 1500: DeviceMode#defaultMtu).
        Integer mtu = device.isSet("mtu") ? device.intBetween("mtu", MIN_MTU, MAX_MTU)
                : mode == null ? null : Integer.valueOf(mode.defaultMtu());
        Optional<Cidr> address = device.optionalParsed("address", Values::interfaceAddress);
        boolean addressValid = address.isPresent() || !device.isSet("address");
        List<Cidr> routes = device.list("routes", Values::network);
        Optional<String> mac = device.optionalParsed("mac", Values::mac);
        boolean macValid = mac.isPresent() || !device.isSet("mac");
        OffloadSetting offload = device.oneOf("offload", OffloadSetting.class);
        Boolean existing = device.parsed("existing", Values::bool);
        if (mac.isPresent() && mode == DeviceMode.TUN) {
            device.problem("mac", "only a tap device has an Ethernet address (device.mode is tun)");
            macValid = false;
        }
        if (deviceName == null || mode == null || mtu == null || !addressValid || routes == null || !macValid
                || offload == null || existing == null) {
            return null;
        }
        return new DeviceConfig(deviceName, mode, mtu, address, routes, mac, offload == OffloadSetting.AUTO,
                existing);
    }

    private PeerConfig readPeer(Section peer) {
        publicKey = peer.parsed("public-key", Values::publicKey);
        Optional<Path> presharedKeyFile = KeyFileSetting.optional(peer, "preshared-key-file", baseDir);
        boolean pskValid = presharedKeyFile.isPresent() || !peer.isSet("preshared-key-file");
        Optional<Endpoint> endpoint = peer.optionalParsed("endpoint", Endpoint::parse);
        boolean endpointValid = endpoint.isPresent() || !peer.isSet("endpoint");
        List<Cidr> allowedIps = peer.list("allowed-ips", Values::network);
        if (publicKey == null || !pskValid || !endpointValid || allowedIps == null) {
            return null;
        }
        return new PeerConfig(publicKey, presharedKeyFile, endpoint, allowedIps);
    }
}
