package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.ext.Compression;
import dev.culvert.protocol.ext.PayloadCodec;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Culvert's extension header and compression ({@link dev.culvert.protocol.wire.ExtensionHeader}),
 * between routing and encryption. Only Culvert peers understand it, so a side sends it only when its
 * tunnel needs it (tap, or compression); every side reads it, so a tun tunnel without compression still
 * understands a peer that compresses (and says once that the configs differ).
 *
 * <p>From the device: the header goes into the packet's headroom (or the packet is compressed into a new
 * buffer when that is smaller). To the device: extended payloads are unwrapped (decompressed, bounded by
 * the MTU plus link header); a payload of the wrong kind for this device (an Ethernet frame on tun, an IP
 * packet on tap) is dropped as {@code mode_mismatch} and named once in the log; an unknown flag is
 * {@code malformed}, named once; a payload larger than the bound is {@code too_big}.
 */
public final class ExtensionCodecHandler extends ChannelDuplexHandler {
    private static final System.Logger LOG = System.getLogger("culvert.peer");

    private final PayloadCodec codec;
    private final boolean ethernet;
    private final boolean encodeOutgoing;
    private final int maxOriginal;
    private final Counters counters;
    private final String tunnel;
    private boolean modeMismatchLogged;
    private boolean compressionMismatchLogged;
    private boolean unknownExtensionLogged;

    /**
     * @param ethernet    true for a tap tunnel
     * @param compression what this side compresses with, or null for none
     * @param mtu         the device MTU in bytes
     * @param counters    the tunnel's counters
     * @param tunnel      the tunnel as named in log lines, e.g. "tunnel site-b"
     */
    public ExtensionCodecHandler(boolean ethernet, Compression compression, int mtu, Counters counters, String tunnel,
                                 io.netty.buffer.ByteBufAllocator alloc) {
        this.codec = new PayloadCodec(ethernet, compression, alloc);
        this.ethernet = ethernet;
        this.encodeOutgoing = ethernet || compression != null;
        this.maxOriginal = ethernet ? mtu + PacketRoom.LINK_HEADER : 65535;
        this.counters = counters;
        this.tunnel = tunnel;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (encodeOutgoing && msg instanceof ByteBuf packet) {
            ctx.fireChannelRead(codec.encode(packet));
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf plain)) {
            ctx.write(msg, promise);
            return;
        }
        if (!PayloadCodec.isExtended(plain)) {
            if (ethernet) {
                mismatch(plain, "the peer sends plain IP packets but this tunnel is tap (mode mismatch)");
            } else {
                ctx.write(plain, promise);
            }
            return;
        }
        ByteBuf payload = codec.decode(plain, maxOriginal);
        if (payload == null) {
            refused();
            return;
        }
        // Only a compressed packet says anything: an uncompressed one may just not have shrunk.
        if (codec.lastCompression() != 0 && codec.lastCompression() != codec.ownCompression()
                && !compressionMismatchLogged) {
            compressionMismatchLogged = true;
            LOG.log(System.Logger.Level.INFO, "{0}: the peer compresses with {1}, this tunnel with {2}; "
                    + "both are understood, but the two configs differ", tunnel,
                    PayloadCodec.describe(codec.lastCompression()), PayloadCodec.describe(codec.ownCompression()));
        }
        if (codec.lastWasEthernet() != ethernet) {
            mismatch(payload, ethernet ? "the peer sends IP packets but this tunnel is tap (mode mismatch)"
                    : "the peer sends Ethernet frames but this tunnel is tun (mode mismatch)");
            return;
        }
        ctx.write(payload, promise);
    }

    private void refused() {
        switch (codec.verdict()) {
            case TOO_BIG -> counters.drop(DropReason.TOO_BIG);
            case UNKNOWN_FLAGS -> {
                counters.drop(DropReason.MALFORMED);
                if (!unknownExtensionLogged) {
                    unknownExtensionLogged = true;
                    LOG.log(System.Logger.Level.WARNING, "{0}: dropping packets with extension flags this "
                            + "version does not know (is the peer a newer Culvert?)", tunnel);
                }
            }
            default -> counters.drop(DropReason.MALFORMED);
        }
    }

    private void mismatch(ByteBuf payload, String what) {
        counters.drop(DropReason.MODE_MISMATCH);
        payload.release();
        if (!modeMismatchLogged) {
            modeMismatchLogged = true;
            LOG.log(System.Logger.Level.WARNING, "{0}: {1}; check device.mode on both sites", tunnel, what);
        }
    }
}
