package dev.culvert.daemon;

import dev.culvert.config.CulvertConfig;
import dev.culvert.config.Endpoint;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.crypto.ChaCha20Poly1305Factory;
import dev.culvert.daemon.control.ControlServer;
import dev.culvert.daemon.control.ShowRequests;
import dev.culvert.daemon.log.DropLog;
import dev.culvert.daemon.metrics.DaemonMetrics;
import dev.culvert.daemon.metrics.MetricsServer;
import dev.culvert.daemon.systemd.SdNotify;
import dev.culvert.config.TransportKind;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.netty.StreamOutbound;
import dev.culvert.protocol.SelfTest;
import dev.culvert.protocol.TimeSource;
import dev.culvert.protocol.netty.ChannelOutbound;
import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A running Culvert: one event loop, one UDP socket, one WireGuard engine, and the configured
 * tunnels. {@link #start} brings it all up or nothing; {@link #close} takes it all down, removing the
 * devices. Everything that touches the engine runs on the one event loop.
 */
public final class Daemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("culvert");
    /** WireGuard's 32 bytes, Culvert's 6-byte extension header, an Ethernet header and padding slack. */
    private static final int DATAGRAM_OVERHEAD = 32 + 6 + 18 + 16;
    /** Packets each way in the start-up self-test: enough for the JIT to compile the data path. */
    private static final int SELF_TEST_PACKETS = 3000;

    private final MultiThreadIoEventLoopGroup group;
    private final Engine engine;
    private final UdpTransport udp;
    private final List<Tunnel> tunnels;
    private final ScheduledFuture<?> watcher;
    private final DaemonMetrics metrics;
    private final MetricsServer metricsServer;
    private final SdNotify notify;
    private final ControlServer control;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Set once, right after construction; null if no tunnel uses TCP. */
    private TcpTransport tcp;

    private Daemon(MultiThreadIoEventLoopGroup group, Engine engine, UdpTransport udp, List<Tunnel> tunnels,
                   ScheduledFuture<?> watcher, DaemonMetrics metrics, MetricsServer metricsServer, SdNotify notify,
                   ControlServer control) {
        this.group = group;
        this.engine = engine;
        this.udp = udp;
        this.tunnels = tunnels;
        this.watcher = watcher;
        this.metrics = metrics;
        this.metricsServer = metricsServer;
        this.notify = notify;
        this.control = control;
    }

    /**
     * Brings up every tunnel of a validated configuration.
     *
     * @throws IOException with an operator-readable message; whatever was set up is torn down again
     */
    public static Daemon start(CulvertConfig config) throws IOException {
        byte[] privateKey = KeyFiles.readKey(config.privateKeyFile());
        LocalStatic local;
        try {
            local = new LocalStatic(privateKey);
        } finally {
            Secrets.wipe(privateKey);
        }
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        selfTest(alloc);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("culvert-loop", true), EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        ChannelOutbound outbound = new ChannelOutbound();
        Engine engine = new Engine(local, TimeSource.system(), new SecureRandom(), alloc, outbound);
        List<Tunnel> tunnels = new ArrayList<>();
        UdpTransport udp = null;
        TcpTransport tcp = null;
        try {
            int maxMtu = config.tunnels().values().stream().mapToInt(t -> t.device().mtu()).max().orElse(1420);
            boolean anyUdp = config.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.UDP);
            boolean anyTcp = config.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.TCP);
            if (anyUdp || config.listenUdp().isPresent()) {
                udp = UdpTransport.bind(loop, listenAddress(config), maxMtu + DATAGRAM_OVERHEAD, engine, outbound);
                LOG.log(System.Logger.Level.INFO, "listening on udp {0}, public key {1}",
                        Addresses.format(udp.localAddress()), Keys.encode(local.publicKey()));
            }
            Engine tcpEngine = null;
            StreamOutbound tcpOutbound = null;
            if (anyTcp || config.listenTcp().isPresent()) {
                tcpOutbound = new StreamOutbound();
                tcpEngine = new Engine(local, TimeSource.system(), new SecureRandom(), alloc, tcpOutbound);
                tcp = new TcpTransport(loop, tcpEngine, tcpOutbound, maxMtu + DATAGRAM_OVERHEAD);
                if (config.listenTcp().isPresent()) {
                    tcp.listen(config.listenTcp().get());
                    LOG.log(System.Logger.Level.INFO, "listening on tcp {0}, public key {1}",
                            Addresses.format(tcp.listenAddress()), Keys.encode(local.publicKey()));
                }
            }
            if (config.tunnels().values().stream().anyMatch(t -> t.compression().isOn())) {
                LOG.log(System.Logger.Level.WARNING, "compression is on: packet sizes after compression reveal how "
                        + "compressible the traffic is (the VORACLE attack); keep it off for traffic that mixes "
                        + "secrets with data others can choose");
            }
            for (TunnelConfig tunnelConfig : config.tunnels().values()) {
                boolean overTcp = tunnelConfig.transport() == TransportKind.TCP;
                StreamOutbound streams = tcpOutbound;
                Tunnel tunnel = overTcp
                        ? Tunnel.open(tunnelConfig, loop, alloc, local, tcpEngine, streams::flush, tcp)
                        : Tunnel.open(tunnelConfig, loop, alloc, local, engine, outbound::flush, null);
                tunnels.add(tunnel);
                LOG.log(System.Logger.Level.INFO, "tunnel {0}: device {1} ({2}, mtu {3}{4}), {5}, peer {6}{7}",
                        tunnelConfig.name(), tunnelConfig.device().name(),
                        tunnelConfig.device().mode().name().toLowerCase(), String.valueOf(tunnelConfig.device().mtu()),
                        tunnelConfig.device().address().map(a -> ", " + a).orElse(""),
                        tunnelConfig.transport().name().toLowerCase()
                                + (tunnelConfig.compression().isOn() ? ", compression " + tunnelConfig.compression() : ""),
                        tunnelConfig.peer().publicKey(),
                        tunnelConfig.peer().endpoint().map(e -> " at " + e).orElse(", waiting for it to call in"));
            }
        } catch (IOException | RuntimeException e) {
            for (Tunnel tunnel : tunnels) {
                tunnel.close();
            }
            if (tcp != null) {
                tcp.close();
            }
            if (udp != null) {
                if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        SdNotify notify = SdNotify.fromEnvironment(loop);
        DropLog drops = new DropLog();
        ScheduledFuture<?> watcher = loop.scheduleAtFixedRate(() -> {
            tunnels.forEach(Tunnel::watch);
            notify.status(status(tunnels));
            drops.check(dropScopes(engine, tunnels), System.nanoTime());
        }, 200, 200, TimeUnit.MILLISECONDS);
        DaemonMetrics metrics = new DaemonMetrics(engine.counters());
        tunnels.forEach(metrics::addTunnel);
        MetricsServer metricsServer = startMetricsServer(config, metrics);
        // Every device is up and every socket bound: now systemd may start what depends on us.
        ControlServer control = startControl(config, engine, udp, tunnels);
        notify.ready(status(tunnels));
        Daemon daemon = new Daemon(group, engine, udp, tunnels, watcher, metrics, metricsServer, notify, control);
        daemon.tcp = tcp;
        return daemon;
    }

    /**
     * Serves the control socket. Failing to is a warning, not a failure (another daemon whose config file has
     * the same name, no permission on /run/culvert): the tunnels run on, only `culvert show` cannot reach them.
     */
    private static ControlServer startControl(CulvertConfig config, Engine engine, UdpTransport udp,
                                              List<Tunnel> tunnels) {
        try {
            ControlServer server = ControlServer.start(config.controlSocket(),
                    ShowRequests.handler(() -> showSource(engine, udp, tunnels)));
            LOG.log(System.Logger.Level.INFO, "control socket {0}", server.path());
            return server;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}; `culvert show` cannot reach this daemon "
                    + "(set culvert.control.socket)", e.getMessage());
            return null;
        }
    }

    private static ShowRequests.Source showSource(Engine engine, UdpTransport udp, List<Tunnel> tunnels) {
        List<ShowRequests.TunnelSource> views = List.copyOf(tunnels).stream()
                .map(t -> new ShowRequests.TunnelSource(t.config(), t)).toList();
        int port = udp == null ? 0 : udp.localAddress().getPort();
        String publicKey = Keys.encode(engine.publicKey());
        return new ShowRequests.Source() {
            @Override
            public String publicKey() {
                return publicKey;
            }

            @Override
            public int listenPort() {
                return port;
            }

            @Override
            public dev.culvert.protocol.Counters interfaceCounters() {
                return engine.counters();
            }

            @Override
            public List<ShowRequests.TunnelSource> tunnels() {
                return views;
            }
        };
    }

    /** The control socket's path, or null if it could not be created. */
    public java.nio.file.Path controlSocket() {
        return control == null ? null : control.path();
    }

    /** What the drop log watches: the interface's own counters and each tunnel's. */
    private static java.util.Map<String, dev.culvert.protocol.Counters> dropScopes(Engine engine, List<Tunnel> tunnels) {
        java.util.Map<String, dev.culvert.protocol.Counters> scopes = new java.util.LinkedHashMap<>();
        scopes.put("interface", engine.counters());
        tunnels.forEach(t -> scopes.put("tunnel " + t.name(), t.counters()));
        return scopes;
    }

    /** The systemd status line: how many tunnels have a session. */
    private static String status(List<Tunnel> tunnels) {
        long up = tunnels.stream().filter(Tunnel::up).count();
        return up + "/" + tunnels.size() + " tunnels up";
    }

    /**
     * Serves metrics if configured. A port that cannot be bound is a warning, not a failure: the
     * tunnels matter more than their meters (two daemons with the default address on one host).
     */
    private static MetricsServer startMetricsServer(CulvertConfig config, DaemonMetrics metrics) {
        if (config.metricsBind().isEmpty()) {
            return null;
        }
        try {
            MetricsServer server = MetricsServer.start(config.metricsBind().get(), metrics);
            LOG.log(System.Logger.Level.INFO, "metrics on http://{0}{1}", Addresses.format(server.address()),
                    MetricsServer.PATH);
            return server;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}; running without metrics (set culvert.metrics.bind)",
                    e.getMessage());
            return null;
        }
    }

    /** The metrics endpoint's address, or null if metrics are off or could not be bound. */
    public InetSocketAddress metricsAddress() {
        return metricsServer == null ? null : metricsServer.address();
    }

    /**
     * Runs the crypto self-test (which also gets the JIT to compile the data path before the first
     * real packet) and says which JVM and AEAD implementation will carry the traffic.
     */
    private static void selfTest(ByteBufAllocator alloc) throws IOException {
        long t0 = System.nanoTime();
        try {
            SelfTest.run(alloc, SELF_TEST_PACKETS);
        } catch (RuntimeException e) {
            throw new IOException("crypto self-test failed, refusing to start: " + e.getMessage(), e);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ChaCha20Poly1305Factory.Implementation aead = ChaCha20Poly1305Factory.configured();
        LOG.log(System.Logger.Level.INFO, "self-test passed in {0} ms; Java {1}, ChaCha20-Poly1305 from {2}",
                String.valueOf(ms), Runtime.version().toString(),
                aead == ChaCha20Poly1305Factory.Implementation.JDK ? "the JDK" : "Bouncy Castle");
        if (aead == ChaCha20Poly1305Factory.Implementation.JDK && Runtime.version().feature() < 20) {
            LOG.log(System.Logger.Level.WARNING, "Java {0} has no CPU intrinsics for ChaCha20-Poly1305: "
                    + "on Java 21 or newer Culvert moves about twice the traffic per core (set JAVA_HOME)",
                    String.valueOf(Runtime.version().feature()));
        }
    }

    /**
     * The configured listen address, or an ephemeral port on the wildcard address of the family the
     * peers' endpoints use (a client need not listen).
     */
    static InetSocketAddress listenAddress(CulvertConfig config) {
        if (config.listenUdp().isPresent()) {
            return config.listenUdp().get();
        }
        boolean anyIpv6 = config.tunnels().values().stream()
                .map(t -> t.peer().endpoint()).flatMap(java.util.Optional::stream)
                .map(Endpoint::host).anyMatch(h -> h.contains(":"));
        try {
            return new InetSocketAddress(InetAddress.getByName(anyIpv6 ? "::" : "0.0.0.0"), 0);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The UDP socket's address, or null if no tunnel uses UDP and none is configured. */
    public InetSocketAddress udpAddress() {
        return udp == null ? null : udp.localAddress();
    }

    /** The TCP listener's address, or null if not listening on TCP. */
    public InetSocketAddress tcpAddress() {
        return tcp == null ? null : tcp.listenAddress();
    }

    public List<String> tunnelNames() {
        return tunnels.stream().map(Tunnel::name).toList();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops everything and removes the devices. Idempotent; safe from any thread. */
    @Override
    public synchronized void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        notify.stopping();
        if (control != null) {
            control.close();
        }
        watcher.cancel(false);
        if (metricsServer != null) {
            metricsServer.close();
        }
        for (Tunnel tunnel : tunnels) {
            try {
                tunnel.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "closing tunnel {0}: {1}", tunnel.name(), e.toString());
            }
        }
        if (tcp != null) {
            tcp.close();
        }
        if (udp != null) {
            udp.close();
        }
        notify.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        metrics.close();
        LOG.log(System.Logger.Level.INFO, "stopped");
        stopped.countDown();
    }
}
