package dev.culvert.daemon;

import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.vtun.VtunFrameDecoder;
import dev.culvert.protocol.vtun.VtunFrameException;
import dev.culvert.protocol.vtun.VtunFrames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The Netty side of one authenticated vtund session's data channel (VTUN.md §2.3–2.5): frames in from the TCP stream
 * ({@link VtunFrameDecoder}) or from datagrams ({@link DatagramFrames}), handed to {@link LegacyTunnel}; echo requests
 * answered; {@code CONN_CLOSE} ends the session. Everything runs on the tunnel's event loop.
 */
final class LegacySession {

    private LegacySession() {
    }

    /**
     * One frame per datagram ({@code generic/udp_proto.c}); a datagram whose length does not match its header, or
     * from another host than the peer, is a counted drop and the session goes on (as vtund's does). The first
     * datagram from the peer's address fixes its port (vtund's {@code nat_hack}: a NATed client's port differs from
     * the one it announced).
     */
    static final class DatagramFrames extends MessageToMessageDecoder<DatagramPacket> {
        private final LegacyTunnel tunnel;
        private final Link link;

        DatagramFrames(LegacyTunnel tunnel, Link link) {
            this.tunnel = tunnel;
            this.link = link;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
            InetSocketAddress from = packet.sender();
            if (!from.getAddress().equals(link.remote.getAddress())) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                return;
            }
            if (!link.remoteConfirmed) {
                link.remoteConfirmed = true;
                if (from.getPort() != link.remote.getPort()) {
                    tunnel.log(System.Logger.Level.INFO, "vtund peer sends from udp port " + from.getPort()
                            + ", not the " + link.remote.getPort() + " it announced (NAT): answering there");
                }
                link.remote = from;
            } else if (from.getPort() != link.remote.getPort()) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                return;
            }
            ByteBuf in = packet.content();
            if (in.readableBytes() < VtunFrames.HEADER) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                return;
            }
            int length;
            try {
                length = VtunFrames.check(in.readUnsignedShort());
            } catch (VtunFrameException e) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                return;
            }
            if (length < 0) {
                if (in.isReadable()) {
                    tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                    return;
                }
                out.add(new VtunFrameDecoder.Frame(-length, null));
                return;
            }
            if (in.readableBytes() != length) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                return;
            }
            out.add(new VtunFrameDecoder.Frame(0, in.readRetainedSlice(length)));
        }
    }

    /**
     * The session itself: hands payloads to the tunnel, answers echo requests, runs vtund's keepalive and writes
     * frames. Installed after authentication (and, for UDP, the port exchange).
     */
    static final class Link extends ChannelInboundHandlerAdapter {
        final LegacyTunnel tunnel;
        final boolean udp;
        /** UDP only: where frames go (the announced port, then where the peer's first datagram came from). */
        volatile InetSocketAddress remote;
        boolean remoteConfirmed;
        private Channel channel;
        private boolean closeSent;
        private boolean failed;

        Link(LegacyTunnel tunnel, boolean udp, InetSocketAddress remote) {
            this.tunnel = tunnel;
            this.udp = udp;
            this.remote = remote;
        }

        Channel channel() {
            return channel;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        /** Sends a control frame ({@link VtunFrames#ECHO_REQ}, ...). */
        void sendControl(int flag) {
            ByteBuf buf = channel.alloc().buffer(VtunFrames.HEADER);
            VtunFrames.writeControl(buf, flag);
            write(buf, true);
        }

        /** Sends one data frame: header and payload; flushed at once when {@code flush}. */
        void sendPayload(byte[] payload, boolean flush) {
            ByteBuf buf = channel.alloc().buffer(VtunFrames.HEADER + payload.length);
            buf.writeShort(payload.length);
            buf.writeBytes(payload);
            write(buf, flush);
        }

        /**
         * Sends one data frame whose payload is {@code packet} as it is (a session without cipher or compression),
         * without copying it: the header and the packet go out as two parts of one write (TCP: gathered by
         * {@code writev}; UDP: one datagram from a composite buffer). Takes over {@code packet}'s reference.
         */
        void sendPlain(ByteBuf packet) {
            ByteBuf header = channel.alloc().directBuffer(VtunFrames.HEADER).writeShort(packet.readableBytes());
            if (udp) {
                write(channel.alloc().compositeDirectBuffer(2).addComponents(true, header, packet), false);
            } else {
                channel.write(header, channel.voidPromise());
                channel.write(packet, channel.voidPromise());
            }
        }

        void flush() {
            channel.flush();
        }

        private void write(ByteBuf buf, boolean flush) {
            Object msg = udp ? new DatagramPacket(buf, remote) : buf;
            if (flush) {
                channel.writeAndFlush(msg, channel.voidPromise());
            } else {
                channel.write(msg, channel.voidPromise());
            }
        }

        /** Ends the session from our side: {@code CONN_CLOSE} to the peer (once), then the channel closes. */
        void close() {
            if (!closeSent && channel.isActive()) {
                closeSent = true;
                ByteBuf buf = channel.alloc().buffer(VtunFrames.HEADER);
                VtunFrames.writeControl(buf, VtunFrames.CONN_CLOSE);
                Object msg = udp ? new DatagramPacket(buf, remote) : buf;
                channel.writeAndFlush(msg).addListener(f -> channel.close());
            } else {
                channel.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            VtunFrameDecoder.Frame frame = (VtunFrameDecoder.Frame) msg;
            tunnel.heard(this);
            switch (frame.control()) {
                case 0 -> tunnel.fromPeer(this, frame.payload()); // takes over the payload's reference
                case VtunFrames.ECHO_REQ -> sendControl(VtunFrames.ECHO_REP);
                case VtunFrames.ECHO_REP -> { }
                case VtunFrames.CONN_CLOSE -> {
                    tunnel.log(System.Logger.Level.INFO, "the vtund peer closed the session");
                    closeSent = true;
                    ctx.close();
                }
                default -> throw new IllegalStateException("unexpected control " + frame.control());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            tunnel.deviceFlush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            tunnel.sessionWritable(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            tunnel.sessionEnded(this);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (failed) {
                return; // the session is closing already: one count and one line per session
            }
            failed = true;
            Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                    ? cause.getCause() : cause;
            if (c instanceof VtunFrameException) {
                tunnel.counters().drop(DropReason.VTUN_BAD_FRAME);
                tunnel.log(System.Logger.Level.WARNING, "malformed frame from the vtund peer (" + c.getMessage()
                        + "); closing the session");
            } else if (c instanceof java.nio.channels.ClosedChannelException || !ctx.channel().isOpen()) {
                // a write that raced the session's end (its peer's CONN_CLOSE, or our own stop): nothing went wrong
                tunnel.log(System.Logger.Level.DEBUG, "session error after its channel closed: " + c);
            } else {
                tunnel.log(System.Logger.Level.WARNING, "session error: " + c);
            }
            close();
        }
    }
}
