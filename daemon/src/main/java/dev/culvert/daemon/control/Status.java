package dev.culvert.daemon.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code culvert show} shows: the interface and each tunnel, as the control socket's JSON
 * response carries it. Holds public keys only; no field can hold a secret.
 *
 * @param instance       the daemon's instance name (its config file's name without {@code .conf}, as in
 *                       {@code culvert@NAME}), or null from a daemon that does not say
 * @param configFile     the config file it runs, or null
 * @param publicKey      this host's public key, base64
 * @param listenPort     the UDP port, or 0 if unknown
 * @param tunnels        the tunnels asked for, in the order of the config
 * @param interfaceDrops drops not tied to a tunnel, by reason tag (non-zero ones only)
 * @param legacyListenPort the TCP port vtund clients connect to ({@code culvert.listen.vtun-legacy}), 0 if none;
 *                       JSON {@code legacy_listen_port}, present only when not 0
 */
public record Status(String instance, String configFile, String publicKey, int listenPort, List<TunnelStatus> tunnels,
                     Map<String, Long> interfaceDrops, int legacyListenPort) {

    /** A daemon with no vtun-legacy listener. */
    public Status(String instance, String configFile, String publicKey, int listenPort, List<TunnelStatus> tunnels,
                  Map<String, Long> interfaceDrops) {
        this(instance, configFile, publicKey, listenPort, tunnels, interfaceDrops, 0);
    }

    /** A status that names no instance. */
    public Status(String publicKey, int listenPort, List<TunnelStatus> tunnels, Map<String, Long> interfaceDrops) {
        this(null, null, publicKey, listenPort, tunnels, interfaceDrops);
    }

    /** Version of the JSON layout; bumped when a field changes meaning. */
    public static final int PROTOCOL_VERSION = 1;

    /**
     * The tunnel called {@code name}.
     *
     * @throws java.util.NoSuchElementException if this status holds no such tunnel
     */
    public TunnelStatus tunnel(String name) {
        return tunnels.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new java.util.NoSuchElementException("no tunnel '" + name + "' in this status"));
    }

    /**
     * One tunnel.
     *
     * @param state                      connecting, up, stale or down (see the tunnel states in the README)
     * @param compression                off, lz4 or zlib:N
     * @param latestHandshakeEpochSecond 0 if none yet
     * @param persistentKeepaliveSeconds 0 if off
     * @param drops                      non-zero drop counts by reason tag
     * @param failure                    why the configured settings could not start, or null (state
     *                                   {@code failed}: not running; otherwise running on the previous settings)
     * @param nextRetryEpochSecond       when a failed tunnel is tried again, 0 if never
     * @param retryInSeconds             the wait until then as the daemon counted it when it answered
     *                                   ({@link RetryTiming#secondsUntil}, as its log and STATUS= count), 0 if none
     * @param insecure                   the insecure protocol the tunnel speaks ({@code vtun-legacy}), or null
     * @param legacySession              a vtun-legacy tunnel's session settings in use and who decided them, or null
     */
    public record TunnelStatus(String name, String state, String device, String mode, String transport,
                               String compression, String peerPublicKey, String endpoint, List<String> allowedIps,
                               long latestHandshakeEpochSecond, long rxBytes, long txBytes, long rxPackets,
                               long txPackets, long handshakesCompleted, long handshakesFailed,
                               long persistentKeepaliveSeconds, Map<String, Long> drops, String failure,
                               long nextRetryEpochSecond, long retryInSeconds, String insecure,
                               String legacySession) {
        /** A tunnel that is not a vtun-legacy one, or from a daemon that does not say its session settings. */
        public TunnelStatus(String name, String state, String device, String mode, String transport,
                            String compression, String peerPublicKey, String endpoint, List<String> allowedIps,
                            long latestHandshakeEpochSecond, long rxBytes, long txBytes, long rxPackets,
                            long txPackets, long handshakesCompleted, long handshakesFailed,
                            long persistentKeepaliveSeconds, Map<String, Long> drops, String failure,
                            long nextRetryEpochSecond, long retryInSeconds, String insecure) {
            this(name, state, device, mode, transport, compression, peerPublicKey, endpoint, allowedIps,
                    latestHandshakeEpochSecond, rxBytes, txBytes, rxPackets, txPackets, handshakesCompleted,
                    handshakesFailed, persistentKeepaliveSeconds, drops, failure, nextRetryEpochSecond, retryInSeconds,
                    insecure, null);
        }

        /** A tunnel that speaks no insecure protocol. */
        public TunnelStatus(String name, String state, String device, String mode, String transport,
                            String compression, String peerPublicKey, String endpoint, List<String> allowedIps,
                            long latestHandshakeEpochSecond, long rxBytes, long txBytes, long rxPackets,
                            long txPackets, long handshakesCompleted, long handshakesFailed,
                            long persistentKeepaliveSeconds, Map<String, Long> drops, String failure,
                            long nextRetryEpochSecond, long retryInSeconds) {
            this(name, state, device, mode, transport, compression, peerPublicKey, endpoint, allowedIps,
                    latestHandshakeEpochSecond, rxBytes, txBytes, rxPackets, txPackets, handshakesCompleted,
                    handshakesFailed, persistentKeepaliveSeconds, drops, failure, nextRetryEpochSecond, retryInSeconds,
                    null);
        }

        /** A tunnel whose configured settings run. */
        public TunnelStatus(String name, String state, String device, String mode, String transport,
                            String compression, String peerPublicKey, String endpoint, List<String> allowedIps,
                            long latestHandshakeEpochSecond, long rxBytes, long txBytes, long rxPackets,
                            long txPackets, long handshakesCompleted, long handshakesFailed,
                            long persistentKeepaliveSeconds, Map<String, Long> drops) {
            this(name, state, device, mode, transport, compression, peerPublicKey, endpoint, allowedIps,
                    latestHandshakeEpochSecond, rxBytes, txBytes, rxPackets, txPackets, handshakesCompleted,
                    handshakesFailed, persistentKeepaliveSeconds, drops, null, 0, 0);
        }

        Map<String, Object> toMap() {
            Map<String, Object> peer = new LinkedHashMap<>();
            peer.put("public_key", peerPublicKey);
            peer.put("endpoint", endpoint);
            peer.put("allowed_ips", allowedIps);
            peer.put("latest_handshake", latestHandshakeEpochSecond);
            peer.put("rx_bytes", rxBytes);
            peer.put("tx_bytes", txBytes);
            peer.put("rx_packets", rxPackets);
            peer.put("tx_packets", txPackets);
            peer.put("handshakes_completed", handshakesCompleted);
            peer.put("handshakes_failed", handshakesFailed);
            peer.put("persistent_keepalive", persistentKeepaliveSeconds);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("state", state);
            m.put("device", device);
            m.put("mode", mode);
            m.put("transport", transport);
            m.put("compression", compression);
            if (insecure != null) {
                m.put("insecure", insecure);
            }
            if (legacySession != null) {
                m.put("legacy_session", legacySession);
            }
            m.put("peer", peer);
            m.put("drops", drops);
            if (failure != null) {
                m.put("failure", failure);
                m.put("next_retry", nextRetryEpochSecond);
                m.put("retry_in", retryInSeconds);
            }
            return m;
        }

        @SuppressWarnings("unchecked")
        static TunnelStatus fromMap(Map<String, Object> m) {
            Map<String, Object> peer = (Map<String, Object>) m.get("peer");
            return new TunnelStatus((String) m.get("name"), (String) m.get("state"), (String) m.get("device"),
                    (String) m.get("mode"), (String) m.get("transport"),
                    m.get("compression") == null ? "off" : (String) m.get("compression"), (String) peer.get("public_key"),
                    (String) peer.get("endpoint"), strings((List<Object>) peer.get("allowed_ips")),
                    num(peer, "latest_handshake"), num(peer, "rx_bytes"), num(peer, "tx_bytes"),
                    num(peer, "rx_packets"), num(peer, "tx_packets"), num(peer, "handshakes_completed"),
                    num(peer, "handshakes_failed"), num(peer, "persistent_keepalive"),
                    counts((Map<String, Object>) m.get("drops")), (String) m.get("failure"), num(m, "next_retry"),
                    num(m, "retry_in"), (String) m.get("insecure"), (String) m.get("legacy_session"));
        }
    }

    /** The JSON response line (without the newline). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", PROTOCOL_VERSION);
        if (instance != null) {
            m.put("instance", instance);
        }
        if (configFile != null) {
            m.put("config", configFile);
        }
        m.put("public_key", publicKey);
        m.put("listen_port", listenPort);
        if (legacyListenPort != 0) {
            m.put("legacy_listen_port", legacyListenPort);
        }
        m.put("interface_drops", interfaceDrops);
        List<Object> list = new ArrayList<>();
        tunnels.forEach(t -> list.add(t.toMap()));
        m.put("tunnels", list);
        return ControlJson.write(m);
    }

    /**
     * Reads a response; a response {@code {"error": "..."}} becomes an IllegalArgumentException with
     * that message.
     */
    @SuppressWarnings("unchecked")
    public static Status fromJson(String json) {
        Map<String, Object> m = ControlJson.readAnswer(json);
        List<TunnelStatus> tunnels = new ArrayList<>();
        if (!(m.get("tunnels") instanceof List)) {
            throw new IllegalArgumentException("the daemon's answer has no tunnels: " + json);
        }
        for (Object t : (List<Object>) m.get("tunnels")) {
            tunnels.add(TunnelStatus.fromMap((Map<String, Object>) t));
        }
        return new Status((String) m.get("instance"), (String) m.get("config"), (String) m.get("public_key"),
                (int) num(m, "listen_port"), tunnels,
                counts((Map<String, Object>) m.get("interface_drops")), (int) num(m, "legacy_listen_port"));
    }

    /** The JSON of an error response. */
    public static String errorJson(String message) {
        return ControlJson.write(Map.of("error", message));
    }

    private static long num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.longValue() : 0;
    }

    private static List<String> strings(List<Object> values) {
        return values == null ? List.of() : values.stream().map(String::valueOf).toList();
    }

    private static Map<String, Long> counts(Map<String, Object> values) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (values != null) {
            values.forEach((k, v) -> out.put(k, v instanceof Number n ? n.longValue() : 0L));
        }
        return out;
    }
}
