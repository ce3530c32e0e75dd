package dev.culvert.protocol.testing;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.ext.Compression;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.pipeline.TunnelInitializer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two tunnels end to end in memory, each a real tunnel pipeline ({@link TunnelInitializer}) on an
 * {@link EmbeddedChannel} standing in for its device, joined by {@link MemoryTransport}s: a packet
 * written into a's "device" is routed, extended, sealed, carried, opened and written out of b's
 * "device". Time is frozen; {@link #pump()} runs whatever is queued on both loops.
 * a is 198.18.0.1 inside (192.0.2.1:51820 outside) and knows b's endpoint; b is 198.18.0.2 and learns a's.
 */
public final class PipelineLink implements AutoCloseable {
    /** One site: its device twin, its transport and its peer (the other site). */
    public static final class Site {
        public final EmbeddedChannel device;
        public final MemoryTransport transport;
        public Peer peer;

        Site(EmbeddedChannel device, MemoryTransport transport) {
            this.device = device;
            this.transport = transport;
        }

        /** The kernel routes {@code packet} into this site's device: it enters the pipeline. */
        public void fromDevice(ByteBuf packet) {
            device.writeInbound(packet);
        }

        /** The next packet the pipeline wrote to this site's device, or null. */
        public ByteBuf toDevice() {
            return device.readOutbound();
        }
    }

    public final Site a;
    public final Site b;

    /** Plain tun tunnels on both sides (WireGuard-compatible). */
    public PipelineLink() {
        this(false, null, false, null);
    }

    /** Each side tap ({@code ethernet}) or tun, with its own compression (null = none). */
    public PipelineLink(boolean ethernetA, Compression compressionA, boolean ethernetB, Compression compressionB) {
        this(ethernetA, compressionA, 1420, ethernetB, compressionB, 1420);
    }

    /** Plain tun tunnels whose devices have different MTUs (in bytes), as peers often do. */
    public PipelineLink(int mtuA, int mtuB) {
        this(false, null, mtuA, false, null, mtuB);
    }

    /** Each side tap ({@code ethernet}) or tun, with its own compression (null = none) and device MTU in bytes. */
    public PipelineLink(boolean ethernetA, Compression compressionA, int mtuA,
                        boolean ethernetB, Compression compressionB, int mtuB) {
        MemoryNetwork network = new MemoryNetwork();
        SecureRandom random = new SecureRandom();
        LocalStatic localA = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic localB = new LocalStatic(X25519.generatePrivateKey(random));
        a = site(network, localA, MemoryLink.A_ADDR);
        b = site(network, localB, MemoryLink.B_ADDR);
        try {
            init(a, "to-b", new RemoteStatic(localA, localB.publicKey(), null), MemoryLink.allowed("198.18.0.2", 32),
                    ethernetA, compressionA, mtuA, MemoryLink.B_ADDR);
            init(b, "to-a", new RemoteStatic(localB, localA.publicKey(), null), MemoryLink.allowed("198.18.0.1", 32),
                    ethernetB, compressionB, mtuB, null);
        } catch (InvalidKeyException e) {
            throw new AssertionError(e);
        }
    }

    private static Site site(MemoryNetwork network, LocalStatic local, java.net.InetSocketAddress address) {
        EmbeddedChannel device = new EmbeddedChannel();
        device.freezeTime();
        return new Site(device, network.attach(address, device.eventLoop(), local, UnpooledByteBufAllocator.DEFAULT));
    }

    private static void init(Site site, String name, RemoteStatic remote, dev.culvert.protocol.AllowedIps allowed,
                             boolean ethernet, Compression compression, int mtu, java.net.InetSocketAddress endpoint) {
        PeerOptions options = new PeerOptions(endpoint, 0, mtu, null);
        site.device.pipeline().addLast(new TunnelInitializer(
                new TunnelInitializer.Settings(name, remote, allowed, ethernet, compression, options),
                site.transport, p -> site.peer = p));
    }

    /** a handshakes with b; returns when both have a session. */
    public void establish() {
        a.device.eventLoop().execute(() -> {
            a.peer.start();
            a.transport.flush();
        });
        pump();
        if (!a.peer.hasSession() || !b.peer.hasSession()) {
            throw new AssertionError("no session after the handshake");
        }
    }

    /** Runs everything queued on both loops until both are quiet. */
    public void pump() {
        for (int i = 0; i < 50; i++) {
            a.device.runPendingTasks();
            b.device.runPendingTasks();
        }
    }

    /** Advances both frozen clocks (timers fire) and pumps. */
    public void advance(long time, TimeUnit unit) {
        a.device.advanceTimeBy(time, unit);
        b.device.advanceTimeBy(time, unit);
        a.device.runScheduledPendingTasks();
        b.device.runScheduledPendingTasks();
        pump();
    }

    @Override
    public void close() {
        a.device.finishAndReleaseAll();
        b.device.finishAndReleaseAll();
        a.transport.close();
        b.transport.close();
    }
}
