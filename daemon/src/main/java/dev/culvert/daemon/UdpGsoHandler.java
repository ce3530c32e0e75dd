package dev.culvert.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;

import java.net.InetSocketAddress;

/**
 * UDP generic segmentation offload on send (Linux {@code UDP_SEGMENT}, udp(7)): consecutive
 * {@link DatagramPacket}s written to one recipient with equal lengths (the last of a run may be
 * shorter) leave as one {@link SegmentedDatagramPacket} whose content is a composite of the datagrams'
 * own buffers (no copy), so the kernel builds the run from one {@code sendmsg} entry instead of one per
 * datagram. A run holds at most {@link #MAX_SEGMENTS} datagrams and {@link #MAX_BYTES} bytes (the
 * kernel's {@code UDP_MAX_SEGMENTS} and the 64 KiB limit of one UDP send). A lone datagram goes out as
 * it came. At most one run is held; it is written when the next datagram does not fit it, and at flush.
 *
 * <p>Fallback: when the kernel refuses a segmented send, the datagrams of the refused run are sent again one
 * by one, so none is lost (each run's buffers hold one extra reference until its send completes). On
 * {@code EMSGSIZE} (udp_send_skb(): a segment larger than the route's MTU, which a single datagram passes as IP
 * fragments — a tap at 1500 over a 1500-byte underlay sends such datagrams all the time) only datagrams of
 * that size and larger go one by one from then on, logged once at INFO; smaller ones keep GSO. On {@code EIO}
 * (the egress device has no checksum offload, a hard requirement of UDP_SEGMENT; wireguard-go disables GSO on
 * the same error) or {@code EINVAL}, GSO is switched off for the socket for good, logged once at WARN. Other
 * send errors go to the pipeline's exceptionCaught, as a single datagram's would.
 *
 * <p>Writes with a promise of their own (not the void promise) are passed through unbatched, in order.
 * Event loop only.
 */
final class UdpGsoHandler extends ChannelOutboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("culvert.udp");
    /** The kernel's UDP_MAX_SEGMENTS (include/linux/udp.h): segments per GSO send. */
    static final int MAX_SEGMENTS = 64;
    /** Bytes of payload per GSO send: below the 65535 of one IP datagram, with room for headers. */
    static final int MAX_BYTES = 65_000;
    /** errno values (include/uapi/asm-generic/errno-base.h, errno.h), negated as Netty reports them. */
    private static final int EIO_NEGATIVE = -5;
    private static final int EINVAL_NEGATIVE = -22;
    private static final int EMSGSIZE_NEGATIVE = -90;

    private final DatagramPacket[] run = new DatagramPacket[MAX_SEGMENTS];
    private int runLength;
    private int runBytes;
    private boolean runClosed;
    private boolean enabled = true;
    /** The largest datagram batched, in bytes: lowered below a size the kernel refused with EMSGSIZE. */
    private int maxSegment = MAX_BYTES;
    private long segmentedSends;
    private long segmentedDatagrams;
    private long fallbacks;
    private long sizeFallbacks;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!enabled || !promise.isVoid() || msg.getClass() != DatagramPacket.class) {
            emit(ctx);
            ctx.write(msg, promise);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        int length = packet.content().readableBytes();
        if (length == 0 || length > maxSegment) {
            emit(ctx);
            ctx.write(msg, promise);
            return;
        }
        if (runLength > 0 && !extends_(packet.recipient(), length)) {
            emit(ctx);
        }
        run[runLength++] = packet;
        runBytes += length;
        runClosed = length < run[0].content().readableBytes();
        if (runLength == MAX_SEGMENTS || runClosed) {
            emit(ctx);
        }
    }

    private boolean extends_(InetSocketAddress to, int length) {
        return !runClosed
                && length <= run[0].content().readableBytes()
                && runBytes + length <= MAX_BYTES
                && to.equals(run[0].recipient());
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        emit(ctx);
        ctx.flush();
    }

    /** Writes the held run: as it came if it is one datagram, else as one segmented datagram. */
    private void emit(ChannelHandlerContext ctx) {
        int n = runLength;
        if (n == 0) {
            return;
        }
        runLength = 0;
        runBytes = 0;
        runClosed = false;
        if (n == 1 || !enabled) {
            // One datagram, or a run held when a failed send switched GSO off: one by one.
            for (int i = 0; i < n; i++) {
                ctx.write(run[i], ctx.voidPromise());
                run[i] = null;
            }
            return;
        }
        int segmentSize = run[0].content().readableBytes();
        InetSocketAddress to = run[0].recipient();
        CompositeByteBuf content = ctx.alloc().compositeDirectBuffer(n);
        ByteBuf[] datagrams = new ByteBuf[n];
        for (int i = 0; i < n; i++) {
            datagrams[i] = run[i].content().retain();
            content.addComponent(true, run[i].content());
            run[i] = null;
        }
        segmentedSends++;
        segmentedDatagrams += n;
        ChannelPromise promise = ctx.newPromise();
        promise.addListener(new Outcome(ctx, datagrams, to));
        ctx.write(new SegmentedDatagramPacket(content, segmentSize, to), promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        release();
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        for (int i = 0; i < runLength; i++) {
            run[i].release();
            run[i] = null;
        }
        runLength = 0;
        runBytes = 0;
        runClosed = false;
    }

    /** Completes one segmented send: drops the extra references, or sends the run again one by one. */
    private final class Outcome implements ChannelFutureListener {
        private final ChannelHandlerContext ctx;
        private final ByteBuf[] datagrams;
        private final InetSocketAddress to;

        Outcome(ChannelHandlerContext ctx, ByteBuf[] datagrams, InetSocketAddress to) {
            this.ctx = ctx;
            this.datagrams = datagrams;
            this.to = to;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            Throwable cause = future.cause();
            if (cause instanceof Errors.NativeIoException e && e.expectedErr() == EMSGSIZE_NEGATIVE
                    && ctx.channel().isActive()) {
                int refusedSize = datagrams[0].readableBytes();
                if (refusedSize <= maxSegment) {
                    if (maxSegment == MAX_BYTES) {
                        LOG.log(System.Logger.Level.INFO, "udp gso: datagrams of {0} bytes exceed the path MTU; those "
                                + "this large go one by one (IP fragments), smaller ones stay segmented", String.valueOf(refusedSize));
                    }
                    maxSegment = refusedSize - 1;
                    sizeFallbacks++;
                }
                resend(datagrams);
                return;
            }
            if (cause instanceof Errors.NativeIoException e && refused(e.expectedErr()) && ctx.channel().isActive()) {
                if (enabled) {
                    enabled = false;
                    fallbacks++;
                    LOG.log(System.Logger.Level.WARNING, "udp gso off: the kernel refused a segmented send ({0}); "
                            + "sending datagrams one by one from now on", cause.getMessage());
                }
                resend(datagrams);
                return;
            }
            for (ByteBuf datagram : datagrams) {
                datagram.release();
            }
            if (cause != null && !future.isCancelled()) {
                ctx.fireExceptionCaught(cause);
            }
        }

        private void resend(ByteBuf[] refused) {
            // Still inside the channel's write loop: these join the flushed messages it is writing.
            for (ByteBuf datagram : refused) {
                ctx.write(new DatagramPacket(datagram, to), ctx.voidPromise());
            }
            ctx.flush();
        }
    }

    private static boolean refused(int negativeErrno) {
        return negativeErrno == EIO_NEGATIVE || negativeErrno == EINVAL_NEGATIVE;
    }

    /** True while segmented sends are on (false after a fallback). */
    boolean enabled() {
        return enabled;
    }

    /** Segmented datagrams written (each one sendmsg entry for several datagrams). */
    long segmentedSends() {
        return segmentedSends;
    }

    /** Datagrams that went out inside segmented datagrams. */
    long segmentedDatagrams() {
        return segmentedDatagrams;
    }

    /** The largest datagram still sent segmented, in bytes ({@link #MAX_BYTES} until an EMSGSIZE). */
    int maxSegment() {
        return maxSegment;
    }

    /** Times an EMSGSIZE lowered {@link #maxSegment()}. */
    long sizeFallbacks() {
        return sizeFallbacks;
    }

    /** Times GSO was switched off after a refused send (0 or 1). */
    long fallbacks() {
        return fallbacks;
    }
}
