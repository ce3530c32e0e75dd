package dev.culvert.daemon;

import dev.culvert.config.Cidr;
import dev.culvert.config.CompressionSetting;
import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.ext.Compression;
import dev.culvert.protocol.ext.Lz4Compression;
import dev.culvert.protocol.ext.ZlibCompression;
import dev.culvert.config.Endpoint;
import dev.culvert.config.KeyFiles;
import dev.culvert.config.TunnelConfig;
import dev.culvert.crypto.Keys;
import dev.culvert.crypto.Secrets;
import dev.culvert.daemon.metrics.TunnelView;
import dev.culvert.daemon.tun.LinkConfigurator;
import dev.culvert.daemon.tun.LinuxTunDevice;
import dev.culvert.daemon.tun.TunDevice;
import dev.culvert.daemon.tun.TunPacketSink;
import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Counters;
import dev.culvert.protocol.Engine;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.InvalidKeyException;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * One configured tunnel: its device and its peer in the engine, joined on the daemon's event loop.
 *
 * <p>Packet route: device read → {@link Peer#send} (encrypt) → UDP write; at the end of each device
 * read burst the UDP channel is flushed (one sendmmsg). UDP read → engine → {@link Peer} (decrypt,
 * filter) → {@link TunDevice#write}.
 */
final class Tunnel implements AutoCloseable, TunnelView {
    private static final System.Logger LOG = System.getLogger("culvert.tunnel");

    private final TunnelConfig config;
    private final TunDevice device;
    private final IoEventLoop loop;
    private final Engine engine;
    /** Written on the loop; read by metrics and the control socket through the {@link TunnelView} methods. */
    private volatile Peer peer;
    /** The last peer's counters, kept after close so a final scrape still reads them. */
    private volatile Counters counters = new Counters();
    private volatile boolean up;
    private long lastHandshakeSeen;
    private Peer.State lastState;
    private volatile boolean hooksConfigured;
    private boolean downHooksRan;

    private Tunnel(TunnelConfig config, TunDevice device, IoEventLoop loop, Engine engine) {
        this.config = config;
        this.device = device;
        this.loop = loop;
        this.engine = engine;
    }

    /**
     * Creates and configures the device, runs the up hooks, then adds the peer and starts both on the
     * event loop. Over TCP, a client tunnel dials its peer and handshakes once connected.
     *
     * @param flush flushes the tunnel's transport (end of each device read burst)
     * @param tcp the TCP transport for a tcp tunnel, else null
     */
    static Tunnel open(TunnelConfig config, IoEventLoop loop, ByteBufAllocator alloc, LocalStatic local,
                       Engine engine, Runnable flush, TcpTransport tcp) throws IOException {
        RemoteStatic remote = remoteStatic(config, local);
        InetSocketAddress endpoint = resolve(config);
        TunDevice device = LinuxTunDevice.open(config.device().name(), config.device().mode(),
                config.device().mtu(), loop, alloc);
        Tunnel tunnel = new Tunnel(config, device, loop, engine);
        try {
            new LinkConfigurator().configure(config.device());
            tunnel.hooksConfigured = true;
            Hooks.run(config.name(), "up", config.up(), tunnel.hookValues(endpoint), config.hookTimeout(), true);
            boolean dialTcp = tcp != null && endpoint != null;
            PeerOptions options = new PeerOptions(allowedIps(config.peer().allowedIps()), endpoint,
                    config.persistentKeepalive().toNanos(), config.device().mtu(), device::write,
                    config.device().mode() == DeviceMode.TAP, compression(config.compression()), config.persist(),
                    dialTcp ? null : tunnel::reresolve);
            loop.submit(() -> tunnel.startOnLoop(remote, options, flush, !dialTcp)).get();
            if (dialTcp) {
                tcp.dial(config.name(), () -> resolveQuietly(config), () -> {
                    Peer p = tunnel.peer;
                    if (p != null) {
                        p.transportReady();
                    }
                });
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tunnel.close();
            throw new IOException("interrupted while starting tunnel " + config.name(), e);
        } catch (ExecutionException e) {
            tunnel.close();
            throw new IOException("tunnel " + config.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IOException | RuntimeException e) {
            tunnel.close();
            throw e;
        }
        return tunnel;
    }

    private static Compression compression(CompressionSetting setting) {
        return switch (setting.algorithm()) {
            case OFF -> null;
            case LZ4 -> new Lz4Compression();
            case ZLIB -> new ZlibCompression(setting.level());
        };
    }

    /** What hooks see: the device, the tunnel, the peer's host (as configured, or "") and our address (or ""). */
    private Hooks.Values hookValues(InetSocketAddress endpoint) {
        String peerHost = endpoint != null ? endpoint.getAddress().getHostAddress()
                : config.peer().endpoint().map(e -> e.host()).orElse("");
        String localAddress = config.device().address().map(a -> a.address().getHostAddress()).orElse("");
        return new Hooks.Values(config.device().name(), config.name(), peerHost, localAddress);
    }

    /**
     * Before each late handshake retry (persist): looks the endpoint's host name up again, off the
     * event loop, and points the peer at the answer. Literal addresses need nothing.
     */
    private void reresolve() {
        if (config.peer().endpoint().isEmpty() || config.peer().endpoint().get().isLiteral()) {
            return;
        }
        java.util.concurrent.ForkJoinPool.commonPool().execute(() -> {
            InetSocketAddress fresh = resolveQuietly(config);
            if (fresh != null && !loop.isShuttingDown()) {
                loop.execute(() -> {
                    Peer p = peer;
                    if (p != null) {
                        p.setEndpoint(fresh);
                    }
                });
            }
        });
    }

    private static InetSocketAddress resolveQuietly(TunnelConfig config) {
        try {
            return resolve(config);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, e.getMessage());
            return null;
        }
    }

    private void startOnLoop(RemoteStatic remote, PeerOptions options, Runnable flush, boolean startNow) {
        Peer added = engine.addPeer(remote, options);
        added.label("tunnel " + config.name());
        peer = added;
        counters = added.counters();
        device.start(new TunPacketSink() {
            @Override
            public void onPacket(ByteBuf packet) {
                added.send(packet);
            }

            @Override
            public void onReadComplete() {
                flush.run();
            }
        });
        if (startNow) {
            added.start();
        }
        flush.run();
    }

    private static RemoteStatic remoteStatic(TunnelConfig config, LocalStatic local) throws IOException {
        byte[] psk = null;
        try {
            if (config.peer().presharedKeyFile().isPresent()) {
                psk = KeyFiles.readKey(config.peer().presharedKeyFile().get());
            }
            return new RemoteStatic(local, Keys.parse(config.peer().publicKey()), psk);
        } catch (InvalidKeyException e) {
            throw new IOException("tunnel " + config.name() + ": peer public key is not a usable X25519 key");
        } finally {
            if (psk != null) {
                Secrets.wipe(psk);
            }
        }
    }

    private static InetSocketAddress resolve(TunnelConfig config) throws IOException {
        if (config.peer().endpoint().isEmpty()) {
            return null;
        }
        Endpoint endpoint = config.peer().endpoint().get();
        try {
            return new InetSocketAddress(InetAddress.getByName(endpoint.host()), endpoint.port());
        } catch (UnknownHostException e) {
            throw new IOException("tunnel " + config.name() + ": cannot resolve peer endpoint " + endpoint);
        }
    }

    static AllowedIps allowedIps(List<Cidr> cidrs) {
        return new AllowedIps(cidrs.stream().map(c -> new AllowedIps.Prefix(c.address(), c.prefixLength())).toList());
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public long lastHandshakeEpochMillis() {
        Peer p = peer;
        return p == null ? 0 : p.lastHandshakeEpochMillis();
    }

    @Override
    public boolean up() {
        return up;
    }

    @Override
    public InetSocketAddress endpoint() {
        Peer p = peer;
        return p == null ? null : p.endpoint();
    }

    TunnelConfig config() {
        return config;
    }

    Peer peer() {
        return peer;
    }

    TunDevice device() {
        return device;
    }

    /** Logs handshake completions and publishes the session state; called periodically on the loop. */
    void watch() {
        Peer peer = this.peer;
        if (peer == null) {
            up = false;
            return;
        }
        up = peer.hasSession();
        Peer.State state = peer.state();
        if (state != lastState) {
            if (lastState != null || state != Peer.State.DOWN) {
                boolean normal = state == Peer.State.UP || (state == Peer.State.CONNECTING && lastState == null);
                LOG.log(normal ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                        "tunnel {0}: {1}{2}", config.name(), state.name().toLowerCase(java.util.Locale.ROOT),
                        state == Peer.State.UP ? " (peer at " + Addresses.format(peer.endpoint()) + ")"
                                : state == Peer.State.STALE ? " (sending, but nothing heard back; re-handshaking)"
                                : state == Peer.State.DOWN ? " (gave up; the next packet tries again)" : "");
            }
            lastState = state;
        }
        long last = peer.lastHandshakeEpochMillis();
        if (last != lastHandshakeSeen) {
            LOG.log(System.Logger.Level.DEBUG, "tunnel {0}: new session with {1}",
                    config.name(), Addresses.format(peer.endpoint()));
            lastHandshakeSeen = last;
        }
    }

    /** Runs the down hooks, then removes the peer and the device. Safe from any thread; idempotent. */
    @Override
    public void close() {
        runDownHooks();
        if (loop.inEventLoop()) {
            closeOnLoop();
        } else if (!loop.isShuttingDown()) {
            loop.submit(this::closeOnLoop).awaitUninterruptibly();
        } else {
            device.close();
        }
    }

    /** The down hooks, once, on the caller's thread, if the device got as far as being configured. */
    private synchronized void runDownHooks() {
        if (!hooksConfigured || downHooksRan || config.down().isEmpty()) {
            return;
        }
        downHooksRan = true;
        Peer p = peer;
        try {
            Hooks.run(config.name(), "down", config.down(), hookValues(p != null ? p.endpoint() : null),
                    config.hookTimeout(), false);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }

    private void closeOnLoop() {
        Peer p = peer;
        if (p != null) {
            engine.removePeer(p);
            peer = null;
        }
        up = false;
        device.close();
    }
}
