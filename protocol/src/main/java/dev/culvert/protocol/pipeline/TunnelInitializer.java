package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.ext.Compression;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.offload.CoalescingHandler;
import dev.culvert.protocol.offload.DeviceOffloads;
import dev.culvert.protocol.offload.MssClampHandler;
import dev.culvert.protocol.offload.SegmentationHandler;
import dev.culvert.protocol.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Assembles one tunnel's pipeline on its device channel, read top (device) to bottom (transport):
 * <pre>
 *   device channel (tun/tap)        packets read at {@link dev.culvert.protocol.wire.PacketRoom#HEADROOM}
 *   "segmentation" {@link SegmentationHandler}  only with a virtio-net header: TSO/USO super-packets split
 *   "coalescing"   {@link CoalescingHandler}    only with a virtio-net header: GRO towards the device
 *   "mss-clamp"  {@link MssClampHandler}        only with mss-clamp on: SYN/SYN-ACK MSS lowered, both ways
 *   "routing"    {@link AllowedIpsHandler}      cryptokey routing, MTU, padding trim
 *   "extension"  {@link ExtensionCodecHandler}  tap frames and compression (Culvert to Culvert)
 *   "wireguard"  {@link WireGuardHandler}       seal/open in place over the {@link Peer}; back-pressure
 *   "timers"     {@link TimersHandler}          keepalive and the other timers of whitepaper §6
 *   → {@link Transport} (UDP socket, TCP connection with its framing, or the in-memory twin)
 * </pre>
 * The peer is added to the transport's engine here, on the loop, and removed when the channel closes.
 */
public final class TunnelInitializer extends ChannelInitializer<Channel> {

    /**
     * One tunnel's settings.
     *
     * @param name        the tunnel's name (logs say "tunnel NAME")
     * @param ethernet    true for tap (Ethernet frames), false for tun (IP packets)
     * @param compression what this side compresses with, or null
     * @param offloads    what the device was opened with ({@link DeviceOffloads#NONE}: plain packets)
     * @param mssClampV4  the largest MSS of IPv4 TCP SYNs crossing the tunnel, bytes; 0: no clamping
     * @param mssClampV6  the same for IPv6; 0: no clamping
     */
    public record Settings(String name, RemoteStatic remote, AllowedIps allowedIps, boolean ethernet,
                           Compression compression, PeerOptions peer, DeviceOffloads offloads, int mssClampV4,
                           int mssClampV6) {
        /** Settings without MSS clamping. */
        public Settings(String name, RemoteStatic remote, AllowedIps allowedIps, boolean ethernet,
                        Compression compression, PeerOptions peer, DeviceOffloads offloads) {
            this(name, remote, allowedIps, ethernet, compression, peer, offloads, 0, 0);
        }

        /** Settings for a plain device (no virtio-net header). */
        public Settings(String name, RemoteStatic remote, AllowedIps allowedIps, boolean ethernet,
                        Compression compression, PeerOptions peer) {
            this(name, remote, allowedIps, ethernet, compression, peer, DeviceOffloads.NONE);
        }
    }

    private final Settings settings;
    private final Transport transport;
    private final Consumer<Peer> onPeer;

    /** @param onPeer told the new peer, on the loop, once the pipeline is assembled */
    public TunnelInitializer(Settings settings, Transport transport, Consumer<Peer> onPeer) {
        this.settings = settings;
        this.transport = transport;
        this.onPeer = onPeer;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (ch.eventLoop() != transport.eventLoop()) {
            throw new IllegalStateException("tunnel " + settings.name() + ": the device and its transport must "
                    + "share one event loop (no thread hop per packet)");
        }
        WireGuardHandler wireguard = new WireGuardHandler(transport);
        Peer peer = transport.engine().addPeer(settings.remote(), settings.peer().withSink(wireguard));
        peer.label("tunnel " + settings.name());
        wireguard.attach(peer);
        int mtu = settings.peer().mtu();
        DeviceOffloads offloads = settings.offloads();
        if (offloads.vnetHeader()) {
            ch.pipeline()
                    .addLast("segmentation", new SegmentationHandler(offloads, settings.ethernet(), mtu, peer.counters()))
                    .addLast("coalescing", new CoalescingHandler(offloads, settings.ethernet(), peer.counters()));
        }
        if (clamps(settings)) {
            ch.pipeline().addLast(MSS_CLAMP, mssClamp(settings, peer));
        }
        ch.pipeline()
                .addLast(ROUTING, routing(settings, peer))
                .addLast(EXTENSION, extension(settings, peer, ch))
                .addLast("wireguard", wireguard)
                .addLast("timers", new TimersHandler(peer, transport));
        onPeer.accept(peer);
    }

    /** The parts of a live tunnel pipeline that {@link #reconfigure} can swap. */
    public enum Part {
        /** "mss-clamp": added, replaced or removed as {@link Settings#mssClampV4()}/{@code V6} say. */
        MSS_CLAMP,
        /** "routing": the allowed IPs ({@link Settings#allowedIps()}). */
        ROUTING,
        /** "extension": what this side compresses with ({@link Settings#compression()}). */
        EXTENSION
    }

    private static final String MSS_CLAMP = "mss-clamp";
    private static final String ROUTING = "routing";
    private static final String EXTENSION = "extension";

    /**
     * Applies {@code next} to a live tunnel pipeline without touching the device, the peer or its session (a
     * reload): each of {@code parts} gets a fresh handler built from {@code next}, put where this initializer puts
     * it. Runs on the channel's event loop, where the data path runs too: a packet sees the old handler or the new
     * one, never half of a change, and no lock is taken per packet. Counters are the peer's and carry on.
     *
     * @param ch    the device channel this initializer set up, registered
     * @param next  the new settings; the fields outside {@code parts} are ignored (device mode, MTU and offloads
     *              must be the ones the pipeline was built with)
     * @param peer  the tunnel's peer, as handed to {@code onPeer}
     * @param parts what to swap
     * @throws IllegalStateException if called off the channel's event loop
     */
    public static void reconfigure(Channel ch, Settings next, Peer peer, Set<Part> parts) {
        if (!ch.eventLoop().inEventLoop()) {
            throw new IllegalStateException("tunnel " + next.name() + ": reconfigure off the event loop");
        }
        var pipeline = ch.pipeline();
        if (parts.contains(Part.ROUTING)) {
            pipeline.replace(ROUTING, ROUTING, routing(next, peer));
        }
        if (parts.contains(Part.EXTENSION)) {
            pipeline.replace(EXTENSION, EXTENSION, extension(next, peer, ch));
        }
        if (parts.contains(Part.MSS_CLAMP)) {
            boolean present = pipeline.get(MSS_CLAMP) != null;
            if (clamps(next)) {
                if (present) {
                    pipeline.replace(MSS_CLAMP, MSS_CLAMP, mssClamp(next, peer));
                } else {
                    pipeline.addBefore(ROUTING, MSS_CLAMP, mssClamp(next, peer));
                }
            } else if (present) {
                pipeline.remove(MSS_CLAMP);
            }
        }
    }

    private static boolean clamps(Settings settings) {
        return settings.mssClampV4() > 0 || settings.mssClampV6() > 0;
    }

    private static MssClampHandler mssClamp(Settings settings, Peer peer) {
        return new MssClampHandler(settings.ethernet(), settings.mssClampV4(), settings.mssClampV6(), peer.counters());
    }

    private static AllowedIpsHandler routing(Settings settings, Peer peer) {
        return new AllowedIpsHandler(settings.allowedIps(), settings.peer().mtu(), settings.ethernet(), peer.counters());
    }

    private static ExtensionCodecHandler extension(Settings settings, Peer peer, Channel ch) {
        return new ExtensionCodecHandler(settings.ethernet(), settings.compression(), settings.peer().mtu(),
                peer.counters(), "tunnel " + settings.name(), ch.alloc());
    }
}
