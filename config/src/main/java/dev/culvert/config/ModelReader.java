package dev.culvert.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the checked {@code culvert} block into a {@link CulvertConfig}, then runs the checks
 * that span tunnels. Records every problem; returns null if there was any.
 */
final class ModelReader {

    private final Section culvert;
    private final Path source;
    private final Path baseDir;
    private final Problems problems;

    ModelReader(Section culvert, Path source, Path baseDir, Problems problems) {
        this.culvert = culvert;
        this.source = source;
        this.baseDir = baseDir;
        this.problems = problems;
    }

    CulvertConfig read(ConfigObject tunnelTemplate, Locator locator) {
        Path privateKeyFile = KeyFileSetting.required(culvert, "private-key-file", baseDir);
        Optional<InetSocketAddress> listenUdp = culvert.child("listen").optionalParsed("udp", ListenAddress::parse);
        boolean listening = culvert.child("listen").isSet("udp");
        Optional<InetSocketAddress> listenTcp = culvert.child("listen").optionalParsed("tcp", ListenAddress::parse);
        boolean listeningTcp = culvert.child("listen").isSet("tcp");
        Optional<InetSocketAddress> listenVtunLegacy =
                culvert.child("listen").optionalParsed("vtun-legacy", ListenAddress::parse);
        boolean listeningLegacy = culvert.child("listen").isSet("vtun-legacy");
        Optional<InetSocketAddress> metricsBind = culvert.child("metrics").optionalString("bind")
                .filter(text -> !text.strip().equalsIgnoreCase("off"))
                .flatMap(text -> culvert.child("metrics").optionalParsed("bind", ListenAddress::parse));
        Path controlSocket = culvert.child("control").optionalParsed("socket", text -> Values.path(text, baseDir))
                .orElse(CulvertConfig.defaultControlSocket(source));
        LogLevelName logLevel = culvert.oneOf("log-level", LogLevelName.class);
        AeadName aead = culvert.oneOf("aead", AeadName.class);
        OffloadSetting udpOffload = culvert.oneOf("udp-offload", OffloadSetting.class);

        List<TunnelReader> readers = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> entry : tunnelsInFileOrder()) {
            Section section = new Section((ConfigObject) entry.getValue(), tunnelTemplate,
                    List.of(Schema.ROOT_KEY, "tunnels", entry.getKey()), locator, problems);
            readers.add(new TunnelReader(entry.getKey(), section, baseDir));
        }
        if (readers.isEmpty()) {
            culvert.problem("tunnels", "at least one tunnel is required, as tunnels { site-b { ... } }");
        }
        Map<String, TunnelConfig> tunnels = new LinkedHashMap<>();
        for (TunnelReader reader : readers) {
            TunnelConfig tunnel = reader.read();
            if (tunnel != null) {
                tunnels.put(reader.name(), tunnel);
            }
        }
        checkAcrossTunnels(readers, tunnels, listening, listeningTcp, listenUdp, listeningLegacy);
        if (!problems.isEmpty() || privateKeyFile == null || logLevel == null || aead == null || udpOffload == null) {
            return null;
        }
        return new CulvertConfig(source, privateKeyFile, listenUdp, tunnels, metricsBind, controlSocket,
                logLevel.name().toLowerCase(Locale.ROOT), listenTcp, aead.name().toLowerCase(Locale.ROOT),
                udpOffload == OffloadSetting.AUTO, listenVtunLegacy);
    }

    private List<Map.Entry<String, ConfigValue>> tunnelsInFileOrder() {
        ConfigObject tunnels = culvert.child("tunnels").values();
        List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(tunnels.entrySet());
        // ConfigObject is a hash map: the file's order is the order of the lines.
        entries.sort(Comparator.<Map.Entry<String, ConfigValue>>comparingInt(e -> lineOf(e.getValue()))
                .thenComparing(Map.Entry::getKey));
        return entries;
    }

    private static int lineOf(ConfigValue value) {
        int line = value.origin().lineNumber();
        return line > 0 ? line : Integer.MAX_VALUE;
    }

    private void checkAcrossTunnels(List<TunnelReader> readers, Map<String, TunnelConfig> tunnels, boolean listening,
                                    boolean listeningTcp, Optional<InetSocketAddress> listenUdp,
                                    boolean listeningLegacy) {
        Map<String, String> deviceOwners = new HashMap<>();
        Map<String, String> sessionOwners = new HashMap<>();
        Map<String, String> keyOwners = new HashMap<>();
        for (TunnelReader reader : readers) {
            Section device = reader.section().child("device");
            Section peer = reader.section().child("peer");
            TunnelConfig read = tunnels.get(reader.name());
            boolean tcp = read != null && read.transport() == TransportKind.TCP;
            boolean legacy = reader.transport() == TransportKind.VTUN_LEGACY;
            if (legacy) {
                if (!listeningLegacy && !reader.hasEndpoint()) {
                    peer.problem("endpoint", "no vtund server to dial, and culvert.listen.vtun-legacy is not set so a "
                            + "vtund client cannot reach us either; set peer.endpoint or culvert.listen.vtun-legacy");
                }
                String session = read == null ? null : read.legacy().get().session();
                String owner = reader.hasEndpoint() || session == null ? null
                        : sessionOwners.putIfAbsent(session, reader.name());
                if (owner != null) {
                    reader.section().child("legacy").problem("session", "tunnel '" + owner + "' serves vtund session '"
                            + session + "' too; a session name picks one tunnel");
                }
            } else if (!(tcp ? listeningTcp : listening) && !reader.hasEndpoint()) {
                String key = tcp ? "culvert.listen.tcp" : "culvert.listen.udp";
                peer.problem("endpoint", "no endpoint to dial, and " + key + " is not set so the peer "
                        + "cannot reach us either; set peer.endpoint or " + key);
            }
            if (read != null && !tcp && !legacy && listenUdp.isPresent()) {
                checkFamily(peer, read, listenUdp.get());
            }
            String deviceName = reader.deviceName();
            String deviceOwner = deviceName == null ? null : deviceOwners.putIfAbsent(deviceName, reader.name());
            if (deviceOwner != null) {
                device.problem("name", "device name '" + deviceName + "' is also used by tunnel '" + deviceOwner
                        + "'" + (reader.defaultDeviceName() ? " (it is the default; set device.name)" : ""));
            }
            String key = reader.publicKey();
            String keyOwner = key == null ? null : keyOwners.putIfAbsent(key, reader.name());
            if (keyOwner != null) {
                peer.problem("public-key", "tunnel '" + keyOwner + "' has the same peer public-key; "
                        + "a peer can belong to one tunnel only");
            }
        }
    }

    /**
     * A UDP socket bound to one address sends only to that address's family (IPv4 or IPv6): a literal endpoint of the
     * other family would never be reached (EAFNOSUPPORT on every send). {@code [::]} (or {@code :port}) takes both;
     * {@code 0.0.0.0} is IPv4 only (issue 11: an IPv4 socket).
     */
    private static void checkFamily(Section peer, TunnelConfig tunnel, InetSocketAddress listen) {
        if (tunnel.peer().endpoint().isEmpty() || !tunnel.peer().endpoint().get().isLiteral()) {
            return;
        }
        Endpoint endpoint = tunnel.peer().endpoint().get();
        if (!ListenAddress.reaches(listen, IpLiterals.parse(endpoint.host()))) {
            boolean listenV6 = listen.getAddress() instanceof java.net.Inet6Address;
            boolean endpointV6 = !listenV6;
            String host = IpLiterals.format(listen.getAddress());
            String local = (listenV6 ? "[" + host + "]" : host) + ":" + listen.getPort();
            String what = listen.getAddress().isAnyLocalAddress() ? "listens on IPv4 only"
                    : "is an " + (listenV6 ? "IPv6" : "IPv4") + " address";
            peer.problem("endpoint", "endpoint " + endpoint + " is " + (endpointV6 ? "IPv6" : "IPv4")
                    + " but culvert.listen.udp (" + local + ") " + what + ", from which it cannot be reached; listen"
                    + " on \":" + listen.getPort() + "\" (both families) or on an " + (endpointV6 ? "IPv6" : "IPv4")
                    + " address");
        }
    }
}
