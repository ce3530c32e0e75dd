package dev.culvert.daemon;

import dev.culvert.config.Cidr;
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
import dev.culvert.protocol.netty.ChannelOutbound;
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

    private Tunnel(TunnelConfig config, TunDevice device, IoEventLoop loop, Engine engine) {
        this.config = config;
        this.device = device;
        this.loop = loop;
        this.engine = engine;
    }

    /** Creates and configures the device, then adds the peer and starts both on the event loop. */
    static Tunnel open(TunnelConfig config, IoEventLoop loop, ByteBufAllocator alloc, LocalStatic local,
                       Engine engine, ChannelOutbound outbound) throws IOException {
        RemoteStatic remote = remoteStatic(config, local);
        InetSocketAddress endpoint = resolve(config);
        TunDevice device = LinuxTunDevice.open(config.device().name(), config.device().mode(),
                config.device().mtu(), loop, alloc);
        Tunnel tunnel = new Tunnel(config, device, loop, engine);
        try {
            new LinkConfigurator().configure(config.device());
            PeerOptions options = new PeerOptions(allowedIps(config.peer().allowedIps()), endpoint,
                    config.persistentKeepalive().toNanos(), config.device().mtu(), device::write);
            loop.submit(() -> tunnel.startOnLoop(remote, options, outbound)).get();
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

    private void startOnLoop(RemoteStatic remote, PeerOptions options, ChannelOutbound outbound) {
        Peer added = engine.addPeer(remote, options);
        peer = added;
        counters = added.counters();
        device.start(new TunPacketSink() {
            @Override
            public void onPacket(ByteBuf packet) {
                added.send(packet);
            }

            @Override
            public void onReadComplete() {
                outbound.flush();
            }
        });
        added.start();
        outbound.flush();
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
        long last = peer.lastHandshakeEpochMillis();
        if (last != lastHandshakeSeen) {
            if (lastHandshakeSeen == 0) {
                LOG.log(System.Logger.Level.INFO, "tunnel {0} up: handshake with {1} completed",
                        config.name(), Addresses.format(peer.endpoint()));
            } else {
                LOG.log(System.Logger.Level.DEBUG, "tunnel {0}: new session with {1}",
                        config.name(), Addresses.format(peer.endpoint()));
            }
            lastHandshakeSeen = last;
        }
    }

    /** Removes the peer and the device. Safe from any thread; idempotent. */
    @Override
    public void close() {
        if (loop.inEventLoop()) {
            closeOnLoop();
        } else if (!loop.isShuttingDown()) {
            loop.submit(this::closeOnLoop).awaitUninterruptibly();
        } else {
            device.close();
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
