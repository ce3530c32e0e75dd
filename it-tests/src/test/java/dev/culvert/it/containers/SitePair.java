package dev.culvert.it.containers;

import java.util.function.UnaryOperator;

/**
 * Two sites on one network, in VTUN's roles: {@code site-a} is the server (listens, waits for its peer to call
 * in), {@code site-b} the client (dials site-a, ephemeral source port, persistent keepalive). Closing it removes
 * both containers and the network, whatever happened.
 */
final class SitePair implements AutoCloseable {

    static final String TUNNEL = "t1";
    static final String DEVICE = "cv0";
    static final int PORT = 51820;
    static final String TUNNEL_IP_A = "198.18.0.1";
    static final String TUNNEL_IP_B = "198.18.0.2";
    static final String TUNNEL_PREFIX = "/30";
    static final int KEEPALIVE_SECONDS = 5;
    private static final int HOST_A = 11;
    private static final int HOST_B = 12;

    private final SiteNetwork network;
    private final SiteContainer a;
    private final SiteContainer b;

    private SitePair(SiteNetwork network, SiteContainer a, SiteContainer b) {
        this.network = network;
        this.a = a;
        this.b = b;
    }

    /** The network and both containers, not started. */
    static SitePair create() {
        SiteNetwork network = SiteNetwork.create();
        return new SitePair(network, new SiteContainer("site-a", network, HOST_A), new SiteContainer("site-b", network, HOST_B));
    }

    SiteContainer a() {
        return a;
    }

    SiteContainer b() {
        return b;
    }

    /** Starts a tun tunnel over {@code transport} ({@code udp} or {@code tcp}) between the two. */
    SitePair startTun(String transport) {
        return start(transport, UnaryOperator.identity());
    }

    /**
     * Starts both daemons over {@code transport}, each tunnel first shaped by {@code shape} (e.g.
     * {@link TunnelSpec#asTapPort()}). If either fails to start, both containers and the network are removed
     * (their logs kept for the failure report) before the failure is thrown: called in a try-with-resources
     * header, this pair would otherwise never be closed.
     */
    SitePair start(String transport, UnaryOperator<TunnelSpec> shape) {
        try {
            startBoth(transport, shape);
            return this;
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private void startBoth(String transport, UnaryOperator<TunnelSpec> shape) {
        TunnelSpec toB = TunnelSpec.tun(TUNNEL, DEVICE, TUNNEL_IP_A + TUNNEL_PREFIX, b.publicKey(), TUNNEL_IP_B + "/32")
                .withTransport(transport);
        TunnelSpec toA = TunnelSpec.tun(TUNNEL, DEVICE, TUNNEL_IP_B + TUNNEL_PREFIX, a.publicKey(), TUNNEL_IP_A + "/32")
                .withTransport(transport)
                .withEndpoint(a.address() + ":" + PORT)
                .withKeepalive(KEEPALIVE_SECONDS);
        SiteConfig server = new SiteConfig().tunnel(shape.apply(toB));
        if ("tcp".equals(transport)) {
            server.listenTcp(PORT);
        } else {
            server.listenUdp(PORT);
        }
        a.start(server);
        b.start(new SiteConfig().tunnel(shape.apply(toA)));
    }

    @Override
    public void close() {
        try (network; a; b) {
            // closed in reverse order: b, a, then the network they were on
        }
    }
}
