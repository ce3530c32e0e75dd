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
    private TransportKind transport;

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
        TransportKind transport = tunnel.oneOf("transport", TransportKind.class);
        this.transport = transport;
        boolean legacy = transport == TransportKind.VTUN_LEGACY;
        DeviceConfig device = readDevice(tunnel.child("device"), validName);
        PeerConfig peer = legacy ? readLegacyPeer(tunnel.child("peer")) : readPeer(tunnel.child("peer"));
        Optional<LegacyConfig> legacyConfig = Optional.empty();
        boolean legacyValid = true;
        if (legacy) {
            LegacyConfig read = readLegacy(tunnel.child("legacy"), device);
            legacyConfig = Optional.ofNullable(read);
            legacyValid = read != null;
        } else if (transport != null) {
            for (String key : tunnel.child("legacy").values().keySet()) {
                tunnel.child("legacy").problem(key, "only a tunnel with transport = vtun-legacy has legacy settings");
                legacyValid = false;
            }
        }
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
                || mssClamp == null || !legacyValid) {
            return null;
        }
        if (legacy && compression.isOn()) {
            tunnel.problem("compression", "a vtun-legacy tunnel compresses as vtund does: set legacy.compress instead");
            return null;
        }
        return new TunnelConfig(name, device, peer, transport, keepalive, compression, persist, up, down, hookTimeout,
                mssClamp, legacyConfig);
    }

    String name() {
        return name;
    }

    /** The transport as read (valid or not: null if wrong), after {@link #read()}. */
    TransportKind transport() {
        return transport;
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

    /** vtund's session names are split on space and colon by the server (VTUN.md §2.1). */
    static final Pattern SESSION_NAME = Pattern.compile("[^\\s:]{1,40}");
    /** vtund reads its device 2048 bytes at a time (VTUN.md §2.3): a larger packet would not reach a vtund peer. */
    static final int MAX_LEGACY_FRAME = 2048;

    /**
     * The {@code legacy} block of a vtun-legacy tunnel; null if anything is wrong (problems recorded).
     *
     * @param device the tunnel's device, to check its MTU against vtund's frame size; null if invalid
     */
    private LegacyConfig readLegacy(Section legacy, DeviceConfig device) {
        String session = legacy.isSet("session") ? legacy.parsed("session", text -> {
            if (!SESSION_NAME.matcher(text).matches()) {
                throw new IllegalArgumentException("must be 1..40 characters without space or ':' (vtund splits "
                        + "HOST: lines on them) (got '" + text + "')");
            }
            return text;
        }) : name;
        Path passwordFile = legacy.parsed("password-file", text -> Values.path(text, baseDir));
        if (passwordFile != null) {
            try {
                java.util.Arrays.fill(KeyFiles.readPassword(passwordFile), (byte) 0);
            } catch (KeyFileException e) {
                legacy.problem("password-file", e.getMessage());
                passwordFile = null;
            }
        }
        LegacyConfig.Proto proto = legacy.oneOf("proto", LegacyConfig.Proto.class);
        LegacyConfig.Cipher encrypt = legacy.parsed("encrypt", text -> {
            String t = text.strip().toLowerCase(java.util.Locale.ROOT);
            if (t.equals("yes") || t.equals("true")) {
                return LegacyConfig.Cipher.BLOWFISH128ECB; // vtund's "encrypt yes"
            }
            if (t.equals("false") || t.equals("off")) {
                return LegacyConfig.Cipher.NO;
            }
            for (LegacyConfig.Cipher c : LegacyConfig.Cipher.values()) {
                if (c.configName().equals(t)) {
                    return c;
                }
            }
            if (t.startsWith("blowfish")) {
                throw new IllegalArgumentException("'" + text + "' is not offered: Debian's 64-bit vtund corrupts "
                        + "Blowfish CBC/CFB/OFB data (VTUN.md finding 3); use aes128cbc, aes256cbc, ... or blowfish128ecb");
            }
            List<String> names = new java.util.ArrayList<>();
            for (LegacyConfig.Cipher c : LegacyConfig.Cipher.values()) {
                names.add(c.configName());
            }
            throw new IllegalArgumentException("must be one of " + String.join(", ", names) + " (got '" + text + "')");
        });
        LegacyConfig.Compress compress = legacy.parsed("compress", LegacyConfig.Compress::parse);
        LegacyConfig.Keepalive keepalive = legacy.parsed("keepalive", LegacyConfig.Keepalive::parse);
        if (proto == LegacyConfig.Proto.UDP && compress != null && compress.kind() == LegacyConfig.Compress.Kind.ZLIB) {
            legacy.problem("compress", "zlib needs proto = tcp: one lost datagram breaks vtund's zlib stream "
                    + "(VTUN.md §2.6); use lzo:N over udp");
            compress = null;
        }
        if (device != null) {
            int frame = device.mtu() + (device.mode() == DeviceMode.TAP ? 14 : 0);
            if (frame > MAX_LEGACY_FRAME) {
                tunnel.child("device").problem("mtu", "a vtun-legacy tunnel's packets must fit vtund's 2048-byte "
                        + "frames: device.mtu at most " + (MAX_LEGACY_FRAME - (device.mode() == DeviceMode.TAP ? 14 : 0))
                        + " (got " + device.mtu() + ")");
                return null;
            }
        }
        if (session == null || passwordFile == null || proto == null || encrypt == null || compress == null
                || keepalive == null) {
            return null;
        }
        return new LegacyConfig(session, passwordFile, proto, encrypt, compress, keepalive);
    }

    /** A vtun-legacy tunnel's peer: an endpoint at most (vtund has no public keys). */
    private PeerConfig readLegacyPeer(Section peer) {
        for (String key : List.of("public-key", "preshared-key-file")) {
            if (peer.isSet(key)) {
                peer.problem(key, "a vtun-legacy tunnel has no keys: vtund authenticates with legacy.password-file");
            }
        }
        List<Cidr> allowedIps = peer.list("allowed-ips", Values::network);
        if (allowedIps != null && !allowedIps.isEmpty()) {
            peer.problem("allowed-ips", "a vtun-legacy tunnel does not filter by source (vtund does not)");
        }
        Optional<Endpoint> endpoint = peer.optionalParsed("endpoint", Endpoint::parse);
        if (peer.isSet("public-key") || peer.isSet("preshared-key-file") || allowedIps == null || !allowedIps.isEmpty()
                || (endpoint.isEmpty() && peer.isSet("endpoint"))) {
            return null;
        }
        return new PeerConfig("", Optional.empty(), endpoint, List.of());
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
