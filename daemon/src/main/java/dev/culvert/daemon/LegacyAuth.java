package dev.culvert.daemon;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.vtun.VtunAuth;
import dev.culvert.protocol.vtun.VtunFrames;
import dev.culvert.protocol.vtun.VtunFlags;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * vtund's authentication exchange on a fresh TCP connection (VTUN.md §2.1, vtund {@code auth.c}) and, for
 * {@code proto udp}, the port exchange after it (§2.4, {@code netlib.c:udp_session}); then hands the session to its
 * {@link LegacyTunnel}. Each message is read as exactly {@value VtunAuth#MESSAGE_SIZE} bytes, within
 * {@link #TIMEOUT_SECONDS} s (vtund's default {@code timeout}).
 */
final class LegacyAuth {
    /** vtund's default timeout for each authentication read. */
    static final int TIMEOUT_SECONDS = 30;

    private LegacyAuth() {
    }

    /** Reads 50-byte messages, with a deadline for the whole exchange. */
    private abstract static class Messages extends ByteToMessageDecoder {
        private ScheduledFuture<?> deadline;
        boolean done;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> {
                if (!done) {
                    timedOut(ctx);
                    ctx.close();
                }
            }, TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            deadline.cancel(false);
        }

        @Override
        protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (!done && in.readableBytes() >= VtunAuth.MESSAGE_SIZE && ctx.channel().isActive()) {
                byte[] message = new byte[VtunAuth.MESSAGE_SIZE];
                in.readBytes(message);
                onMessage(ctx, VtunAuth.text(message));
            }
        }

        abstract void onMessage(ChannelHandlerContext ctx, String text);

        abstract void timedOut(ChannelHandlerContext ctx);

        static void send(ChannelHandlerContext ctx, String text) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(VtunAuth.message(text)));
        }

        /** Ends the exchange: the data phase takes the connection's further bytes (if it stays). */
        void finish(ChannelHandlerContext ctx) {
            done = true;
            deadline.cancel(false);
        }
    }

    /**
     * The server side: greets, reads {@code HOST:}, challenges, checks the response with the session's password,
     * answers {@code OK FLAGS:} or {@code ERR}. The challenge goes out before the session is looked up, so an
     * unknown session looks like a wrong password to the client (as vtund).
     */
    static final class Server extends Messages {
        /** The listener's own counters: drops no tunnel is involved in. */
        private final Counters listener;
        private final Function<String, LegacyTunnel> sessions;
        private final Runnable onDone;
        private String session;
        private byte[] challenge;

        /**
         * @param sessions the server tunnel serving a session name, or null
         * @param onDone   run once when this handler leaves (authenticated, refused or closed)
         */
        Server(Function<String, LegacyTunnel> sessions, Counters listener, Runnable onDone) {
            this.listener = listener;
            this.sessions = sessions;
            this.onDone = onDone;
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            super.handlerRemoved0(ctx);
            onDone.run();
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            send(ctx, VtunAuth.SERVER_GREETING);
            ctx.fireChannelActive();
        }

        @Override
        void onMessage(ChannelHandlerContext ctx, String text) {
            String[] words = text.split("[ :]+");
            String peer = Addresses.format((InetSocketAddress) ctx.channel().remoteAddress());
            if (session == null && words.length >= 2 && words[0].equals("HOST")) {
                session = words[1];
                challenge = VtunAuth.challenge();
                send(ctx, "OK CHAL: " + VtunAuth.encode(challenge));
                return;
            }
            if (session != null && words.length >= 2 && words[0].equals("CHAL")) {
                byte[] response = VtunAuth.decode(words[1]);
                LegacyTunnel tunnel = sessions.apply(session);
                if (tunnel == null) {
                    listener.drop(DropReason.VTUN_UNKNOWN_SESSION);
                    LegacyTunnel.LOG.log(System.Logger.Level.WARNING, "vtun-legacy: vtund client at {0} asked for "
                            + "session ''{1}'', which no tunnel serves; refused (ERR)", peer, session);
                    refuse(ctx);
                    return;
                }
                if (!tunnel.checkResponse(challenge, response)) {
                    tunnel.counters().drop(DropReason.VTUN_AUTH_FAILED);
                    tunnel.log(System.Logger.Level.WARNING, "vtund client at " + peer + " gave a wrong password for "
                            + "session '" + session + "'; refused (ERR)");
                    refuse(ctx);
                    return;
                }
                VtunFlags flags = tunnel.serverFlags();
                finish(ctx);
                send(ctx, "OK FLAGS: " + flags.format());
                tunnel.authenticated(ctx, flags, false);
                return;
            }
            // garbled: counted on the session's tunnel once the client has named one that exists, else on the
            // interface (no tunnel is concerned yet)
            LegacyTunnel named = session == null ? null : sessions.apply(session);
            if (named != null) {
                named.counters().drop(DropReason.VTUN_AUTH_FAILED);
            } else {
                listener.drop(DropReason.VTUN_AUTH_FAILED);
            }
            LegacyTunnel.LOG.log(System.Logger.Level.WARNING, "vtun-legacy: vtund client at {0} sent ''{1}'' where "
                    + (session == null ? "HOST:" : "CHAL:") + " was due; refused (ERR)", peer, text);
            refuse(ctx);
        }

        private void refuse(ChannelHandlerContext ctx) {
            done = true;
            ctx.writeAndFlush(Unpooled.wrappedBuffer(VtunAuth.message("ERR"))).addListener(f -> ctx.close());
        }

        @Override
        void timedOut(ChannelHandlerContext ctx) {
            listener.drop(DropReason.UNAUTHENTICATED_CONNECTION);
            LegacyTunnel.LOG.log(System.Logger.Level.INFO, "vtun-legacy: vtund client at {0} did not authenticate "
                    + "within {1} s; closed", ctx.channel().remoteAddress(), TIMEOUT_SECONDS);
        }
    }

    /** The client side: {@code HOST:}, the challenge response, then the server's FLAGS (or {@code ERR}). */
    static final class Client extends Messages {
        private final LegacyTunnel tunnel;
        private final String session;
        private int stage;

        Client(LegacyTunnel tunnel, String session) {
            this.tunnel = tunnel;
            this.session = session;
        }

        @Override
        void onMessage(ChannelHandlerContext ctx, String text) {
            String server = Addresses.format((InetSocketAddress) ctx.channel().remoteAddress());
            if (stage == 0 && text.startsWith("VTUN")) {
                stage = 1;
                send(ctx, "HOST: " + session);
                return;
            }
            byte[] challenge = stage == 1 && text.startsWith("OK") ? VtunAuth.decode(text) : null;
            if (challenge != null) {
                stage = 2;
                send(ctx, "CHAL: " + VtunAuth.encode(tunnel.respond(challenge)));
                return;
            }
            if (stage == 2 && text.startsWith("OK")) {
                VtunFlags flags;
                try {
                    flags = VtunFlags.parse(text);
                } catch (IllegalArgumentException e) {
                    tunnel.refusedBy(server, "sent FLAGS Culvert cannot read: " + e.getMessage());
                    done = true;
                    ctx.close();
                    return;
                }
                finish(ctx);
                tunnel.authenticated(ctx, flags, true);
                return;
            }
            done = true;
            if (stage == 2 && text.startsWith("ERR")) {
                tunnel.counters().drop(DropReason.VTUN_AUTH_FAILED);
                tunnel.refusedBy(server, "refused session '" + session + "' (ERR): wrong password in "
                        + "legacy.password-file, or the server has no such session (vtund answers ERR to both)");
            } else {
                tunnel.refusedBy(server, "sent '" + text + "' where the vtund protocol expects "
                        + (stage == 0 ? "its greeting (is it a vtund server?)" : "OK"));
            }
            ctx.close();
        }

        @Override
        void timedOut(ChannelHandlerContext ctx) {
            tunnel.refusedBy(String.valueOf(ctx.channel().remoteAddress()), "did not finish authentication within "
                    + TIMEOUT_SECONDS + " s");
        }
    }

    /**
     * proto udp: after FLAGS both sides bind a UDP socket, write its port as 2 bytes on the TCP connection, read the
     * peer's, then the TCP connection closes (VTUN.md §2.4). Culvert binds a port whose two bytes are equal (5140 =
     * 0x1414, ...), so Debian's vtund (host byte order) and upstream's (network order) read the same number, and
     * reads the peer's 2 bytes both ways, taking the one equal to the peer's TCP port (vtund binds its UDP socket to
     * the port of its TCP socket), else Debian's order.
     */
    static final class PortExchange extends ByteToMessageDecoder {
        /** First byte value tried: 0x1414 = 5140. */
        static final int FIRST_BYTE = 0x14;
        private final LegacyTunnel tunnel;
        private final VtunFlags flags;
        private final boolean client;
        private Channel udp;
        private boolean done;

        PortExchange(LegacyTunnel tunnel, VtunFlags flags, boolean client) {
            this.tunnel = tunnel;
            this.flags = flags;
            this.client = client;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
            bind(ctx, local, FIRST_BYTE);
        }

        private void bind(ChannelHandlerContext ctx, InetSocketAddress local, int b) {
            if (b > 0xff) {
                tunnel.log(System.Logger.Level.ERROR, "no free udp port of the form 0xNNNN on "
                        + Addresses.format(local) + " for the vtund port exchange");
                ctx.close();
                return;
            }
            int port = b << 8 | b;
            ChannelFuture bound = new Bootstrap().group(ctx.channel().eventLoop()).channel(EpollDatagramChannel.class)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            // vtund sends a frame per datagram: GRO hands them over many per read
                            UdpTransport.configureReads(ch, true, VtunFrames.HEADER + VtunFrames.MAX_PAYLOAD);
                        }
                    })
                    .bind(new InetSocketAddress(local.getAddress(), port));
            bound.addListener(f -> {
                if (!f.isSuccess()) {
                    bind(ctx, local, b + 1);
                    return;
                }
                udp = bound.channel();
                if (!ctx.channel().isActive()) {
                    udp.close();
                    return;
                }
                ByteBuf out = ctx.alloc().buffer(2);
                out.writeShort(port);
                ctx.writeAndFlush(out);
                if (actualReadableBytes() >= 2) {
                    channelRead(ctx, Unpooled.EMPTY_BUFFER); // the peer's port came before the bind: decode it now
                }
            });
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (done || udp == null || in.readableBytes() < 2) {
                return;
            }
            done = true;
            int hi = in.readUnsignedByte();
            int lo = in.readUnsignedByte();
            InetSocketAddress tcpPeer = (InetSocketAddress) ctx.channel().remoteAddress();
            int network = hi << 8 | lo;
            int host = lo << 8 | hi;
            int port = network == tcpPeer.getPort() ? network : host;
            InetSocketAddress remote = new InetSocketAddress(tcpPeer.getAddress(), port);
            Channel data = udp;
            udp = null;
            tunnel.startUdp(data, remote, flags, client); // the session first: the TCP close must not look like an end
            ctx.close(); // vtund closes the TCP connection once the ports are known
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            if (udp != null) {
                udp.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (udp != null) {
                udp.close();
                udp = null;
            }
            super.channelInactive(ctx);
        }
    }
}
