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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
    private final IoEventLoop loop;
    private final ByteBufAllocator alloc;
    private final LocalStatic local;
    private final ChannelOutbound outbound;
    private final Engine engine;
    /** The running tunnels; replaced in place by a reload, read by the watcher, metrics and the control socket. */
    private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    private final DaemonMetrics metrics;
    private final SdNotify notify;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object reloadLock = new Object();
    private volatile CulvertConfig config;
    private volatile UdpTransport udp;
    private volatile TcpTransport tcp;
    private volatile Engine tcpEngine;
    private StreamOutbound tcpOutbound;
    private ScheduledFuture<?> watcher;
    private MetricsServer metricsServer;
    private ControlServer control;

    private Daemon(CulvertConfig config, MultiThreadIoEventLoopGroup group, LocalStatic local, ByteBufAllocator alloc) {
        this.config = config;
        this.group = group;
        this.loop = (IoEventLoop) group.next();
        this.alloc = alloc;
        this.local = local;
        this.outbound = new ChannelOutbound();
        this.engine = new Engine(local, TimeSource.system(), new SecureRandom(), alloc, outbound);
        this.metrics = new DaemonMetrics(engine.counters());
        this.notify = SdNotify.fromEnvironment(loop);
    }

    /**
     * Brings up every tunnel of a validated configuration.
     *
     * @throws IOException with an operator-readable message; whatever was set up is torn down again
     */
    public static Daemon start(CulvertConfig config) throws IOException {
        LocalStatic local = readLocal(config);
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        selfTest(alloc);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("culvert-loop", true), EpollIoHandler.newFactory());
        Daemon daemon = new Daemon(config, group, local, alloc);
        try {
            daemon.bringUp();
        } catch (IOException | RuntimeException e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    private static LocalStatic readLocal(CulvertConfig config) throws IOException {
        byte[] privateKey = KeyFiles.readKey(config.privateKeyFile());
        try {
            return new LocalStatic(privateKey);
        } finally {
            Secrets.wipe(privateKey);
        }
    }

    private void bringUp() throws IOException {
        ensureTransports(config);
        warnAboutCompression(config);
        for (TunnelConfig tunnelConfig : config.tunnels().values()) {
            openTunnel(tunnelConfig);
        }
        DropLog drops = new DropLog();
        watcher = loop.scheduleAtFixedRate(() -> {
            tunnels.forEach(Tunnel::watch);
            notify.status(status(tunnels));
            drops.check(dropScopes(), System.nanoTime());
        }, 200, 200, TimeUnit.MILLISECONDS);
        metricsServer = startMetricsServer(config, metrics);
        control = startControl(config, engine, this::udpOrNull, tunnels);
        // Every device is up and every socket bound: now systemd may start what depends on us.
        notify.ready(status(tunnels));
    }

    /** Binds the UDP socket and creates the TCP transport if the configuration needs them and they are not there. */
    private void ensureTransports(CulvertConfig cfg) throws IOException {
        int maxDatagram = maxMtu(cfg) + DATAGRAM_OVERHEAD;
        boolean anyUdp = cfg.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.UDP);
        boolean anyTcp = cfg.tunnels().values().stream().anyMatch(t -> t.transport() == TransportKind.TCP);
        if (udp == null && (anyUdp || cfg.listenUdp().isPresent())) {
            udp = UdpTransport.bind(loop, listenAddress(cfg), maxDatagram, engine, outbound);
            LOG.log(System.Logger.Level.INFO, "listening on udp {0}, public key {1}",
                    Addresses.format(udp.localAddress()), Keys.encode(local.publicKey()));
        }
        if (tcp == null && (anyTcp || cfg.listenTcp().isPresent())) {
            tcpOutbound = new StreamOutbound();
            tcpEngine = new Engine(local, TimeSource.system(), new SecureRandom(), alloc, tcpOutbound);
            tcp = new TcpTransport(loop, tcpEngine, tcpOutbound, maxDatagram);
            if (cfg.listenTcp().isPresent()) {
                tcp.listen(cfg.listenTcp().get());
                LOG.log(System.Logger.Level.INFO, "listening on tcp {0}, public key {1}",
                        Addresses.format(tcp.listenAddress()), Keys.encode(local.publicKey()));
            }
        }
    }

    private static int maxMtu(CulvertConfig cfg) {
        return cfg.tunnels().values().stream().mapToInt(t -> t.device().mtu()).max().orElse(1420);
    }

    private static void warnAboutCompression(CulvertConfig cfg) {
        if (cfg.tunnels().values().stream().anyMatch(t -> t.compression().isOn())) {
            LOG.log(System.Logger.Level.WARNING, "compression is on: packet sizes after compression reveal how "
                    + "compressible the traffic is (the VORACLE attack); keep it off for traffic that mixes "
                    + "secrets with data others can choose");
        }
    }

    private Tunnel openTunnel(TunnelConfig tunnelConfig) throws IOException {
        boolean overTcp = tunnelConfig.transport() == TransportKind.TCP;
        StreamOutbound streams = tcpOutbound;
        Tunnel tunnel = overTcp
                ? Tunnel.open(tunnelConfig, loop, alloc, local, tcpEngine, streams::flush, tcp)
                : Tunnel.open(tunnelConfig, loop, alloc, local, engine, outbound::flush, null);
        tunnels.add(tunnel);
        metrics.addTunnel(tunnel);
        LOG.log(System.Logger.Level.INFO, "tunnel {0}: device {1} ({2}, mtu {3}{4}), {5}, peer {6}{7}",
                tunnelConfig.name(), tunnelConfig.device().name(),
                tunnelConfig.device().mode().name().toLowerCase(), String.valueOf(tunnelConfig.device().mtu()),
                tunnelConfig.device().address().map(a -> ", " + a).orElse(""),
                tunnelConfig.transport().name().toLowerCase()
                        + (tunnelConfig.compression().isOn() ? ", compression " + tunnelConfig.compression() : ""),
                tunnelConfig.peer().publicKey(),
                tunnelConfig.peer().endpoint().map(e -> " at " + e).orElse(", waiting for it to call in"));
        return tunnel;
    }

    private void closeTunnel(Tunnel tunnel) {
        tunnels.remove(tunnel);
        metrics.removeTunnel(tunnel.name());
        try {
            tunnel.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing tunnel {0}: {1}", tunnel.name(), e.toString());
        }
    }

    /**
     * Applies a new, already validated configuration as a diff, like {@code wg syncconf}: a tunnel whose
     * settings are unchanged keeps its device and its session and passes traffic throughout; removed
     * tunnels stop, changed ones restart, added ones start. What a reload cannot change in place (the
     * private key, the listen addresses, the metrics address, the control socket) is refused with a
     * message, and nothing is changed. Safe from any thread; reloads run one at a time.
     */
    public void reload(CulvertConfig next) {
        reload(() -> next);
    }

    /**
     * Like {@link #reload(CulvertConfig)}, with the reading and validating inside the reload: systemd
     * hears RELOADING=1 first and READY=1 when it is over, whether the new file was applied or refused.
     *
     * @param loader reads and validates the new configuration; returns null if it is invalid (having
     *               logged why), and the running configuration stays
     */
    public void reload(java.util.function.Supplier<CulvertConfig> loader) {
        synchronized (reloadLock) {
            if (stopped.getCount() == 0) {
                return;
            }
            notify.reloading();
            try {
                CulvertConfig next = loader.get();
                if (next == null) {
                    return;
                }
                String refusal = globalChange(config, next);
                if (refusal != null) {
                    LOG.log(System.Logger.Level.ERROR, "reload refused: {0} changed; restart culvert to apply it "
                            + "(the running configuration stays)", refusal);
                    return;
                }
                applyTunnelDiff(next);
            } finally {
                notify.ready(status(tunnels));
            }
        }
    }

    private void applyTunnelDiff(CulvertConfig next) {
        Map<String, Tunnel> running = new LinkedHashMap<>();
        tunnels.forEach(t -> running.put(t.name(), t));
        int kept = 0;
        int stopped = 0;
        int restarted = 0;
        int started = 0;
        List<String> failed = new ArrayList<>();
        // Removals and restarts first, so a device name freed by one can be taken by another.
        List<TunnelConfig> toOpen = new ArrayList<>();
        for (Tunnel t : running.values()) {
            TunnelConfig wanted = next.tunnels().get(t.name());
            if (wanted == null) {
                closeTunnel(t);
                stopped++;
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} removed", t.name());
            } else if (!wanted.equals(t.config())) {
                closeTunnel(t);
                toOpen.add(wanted);
                restarted++;
                LOG.log(System.Logger.Level.INFO, "reload: tunnel {0} changed; restarting it", t.name());
            } else {
                kept++;
            }
        }
        for (TunnelConfig wanted : next.tunnels().values()) {
            if (!running.containsKey(wanted.name())) {
                toOpen.add(wanted);
                started++;
            }
        }
        try {
            ensureTransports(next);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "reload: {0}", e.getMessage());
        }
        warnAboutCompression(next);
        for (TunnelConfig wanted : toOpen) {
            try {
                openTunnel(wanted);
            } catch (IOException | RuntimeException e) {
                failed.add(wanted.name());
                LOG.log(System.Logger.Level.ERROR, "reload: tunnel {0} could not start: {1}", wanted.name(),
                        e.getMessage());
            }
        }
        config = next;
        LOG.log(failed.isEmpty() ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                "reloaded: {0} unchanged, {1} restarted, {2} added, {3} removed{4}", String.valueOf(kept),
                String.valueOf(restarted), String.valueOf(started), String.valueOf(stopped),
                failed.isEmpty() ? "" : "; failed to start: " + String.join(", ", failed));
    }

    /** What differs outside the tunnels that a reload cannot apply in place, or null. */
    private String globalChange(CulvertConfig now, CulvertConfig next) {
        try {
            if (!java.util.Arrays.equals(readLocal(next).publicKey(), local.publicKey())) {
                return "the private key";
            }
        } catch (IOException e) {
            return "the private key file (" + e.getMessage() + ")";
        }
        if (!now.listenUdp().equals(next.listenUdp())) {
            return "culvert.listen.udp";
        }
        if (!now.listenTcp().equals(next.listenTcp())) {
            return "culvert.listen.tcp";
        }
        if (!now.metricsBind().equals(next.metricsBind())) {
            return "culvert.metrics.bind";
        }
        if (!now.controlSocket().equals(next.controlSocket())) {
            return "culvert.control.socket";
        }
        return null;
    }

    private UdpTransport udpOrNull() {
        return udp;
    }

    /**
     * Serves the control socket. Failing to is a warning, not a failure (another daemon whose config file has
     * the same name, no permission on /run/culvert): the tunnels run on, only `culvert show` cannot reach them.
     */
    private static ControlServer startControl(CulvertConfig config, Engine engine,
                                              java.util.function.Supplier<UdpTransport> udp, List<Tunnel> tunnels) {
        try {
            ControlServer server = ControlServer.start(config.controlSocket(),
                    ShowRequests.handler(() -> showSource(engine, udp.get(), tunnels)));
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

    /** What the drop log watches: the interfaces' own counters (UDP, and TCP if used) and each tunnel's. */
    private java.util.Map<String, dev.culvert.protocol.Counters> dropScopes() {
        java.util.Map<String, dev.culvert.protocol.Counters> scopes = new java.util.LinkedHashMap<>();
        scopes.put("interface", engine.counters());
        Engine overTcp = tcpEngine;
        if (overTcp != null) {
            scopes.put("interface (tcp)", overTcp.counters());
        }
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
    public void close() {
        synchronized (reloadLock) {
            closeLocked();
        }
    }

    private void closeLocked() {
        if (stopped.getCount() == 0) {
            return;
        }
        notify.stopping();
        if (control != null) {
            control.close();
        }
        if (watcher != null) {
            watcher.cancel(false);
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        for (Tunnel tunnel : List.copyOf(tunnels)) {
            closeTunnel(tunnel);
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
