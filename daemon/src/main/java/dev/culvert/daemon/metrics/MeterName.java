package dev.culvert.daemon.metrics;

/**
 * Every meter Culvert itself registers, in one place (as Aeron's {@code SystemCounterDescriptor}).
 * Names are Micrometer's dotted form; the Prometheus registry renders {@code culvert.tunnel.received}
 * with base unit {@code bytes} as {@code culvert_tunnel_received_bytes_total}.
 *
 * <p>Per-tunnel meters carry the tag {@value #TUNNEL_TAG}; drop meters also {@value #REASON_TAG}
 * ({@code DropReason.tag()}); the endpoint info meter also {@value #ENDPOINT_TAG} (one series per tunnel
 * at a time: the old one is removed when the endpoint changes).
 */
public enum MeterName {
    RECEIVED_BYTES("culvert.tunnel.received", "bytes", "Bytes of decrypted inner packets received from the peer"),
    SENT_BYTES("culvert.tunnel.sent", "bytes", "Bytes of inner packets sent to the peer"),
    RECEIVED_PACKETS("culvert.tunnel.received.packets", null, "Inner packets received from the peer"),
    SENT_PACKETS("culvert.tunnel.sent.packets", null, "Inner packets sent to the peer"),
    DROPS("culvert.tunnel.drops", "packets", "Packets of this tunnel dropped, by reason"),
    HANDSHAKES_COMPLETED("culvert.tunnel.handshakes.completed", null, "Handshakes completed with the peer"),
    HANDSHAKES_FAILED("culvert.tunnel.handshakes.failed", null, "Handshake attempts that got no answer"),
    MSS_CLAMPED("culvert.tunnel.mss.clamped", null,
            "TCP SYN and SYN-ACK segments whose MSS option mss-clamp lowered, both directions"),
    LAST_HANDSHAKE_AGE("culvert.tunnel.last.handshake.age", "seconds",
            "Seconds since the last completed handshake (NaN: none yet)"),
    UP("culvert.tunnel.up", null, "1 while the tunnel has a session with its peer, else 0"),
    START_FAILED("culvert.tunnel.start.failed", null, "1 while the tunnel's configured settings could not start "
            + "(a reload's up hook failed, its device could not be created): it runs on its previous settings or "
            + "waits for its next retry; else 0"),
    INSECURE("culvert.tunnel.insecure", null, "1 for a tunnel that speaks an insecure protocol (transport vtun-legacy: "
            + "no MAC, no replay protection, a password-derived static key); absent otherwise"),
    ENDPOINT("culvert.tunnel.endpoint", null, "Always 1; the endpoint tag is the peer's current address"),
    INTERFACE_DROPS("culvert.interface.drops", "packets",
            "Packets dropped before they could be pinned on a tunnel (bad mac, unknown index, garbage), by reason"),
    NETTY_DIRECT_MEMORY("culvert.netty.pool.used.direct", "bytes", "Direct memory held by Netty's pooled allocator"),
    NETTY_HEAP_MEMORY("culvert.netty.pool.used.heap", "bytes", "Heap memory held by Netty's pooled allocator");

    public static final String TUNNEL_TAG = "tunnel";
    public static final String REASON_TAG = "reason";
    public static final String ENDPOINT_TAG = "endpoint";

    private final String meterName;
    private final String baseUnit;
    private final String description;

    MeterName(String meterName, String baseUnit, String description) {
        this.meterName = meterName;
        this.baseUnit = baseUnit;
        this.description = description;
    }

    /** The Micrometer name. */
    public String meterName() {
        return meterName;
    }

    /** The base unit, or null for a plain count. */
    public String baseUnit() {
        return baseUnit;
    }

    public String description() {
        return description;
    }
}
