package dev.culvert.daemon.tun;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceMode;
import dev.culvert.protocol.offload.Checksums;
import dev.culvert.protocol.offload.VirtioNetHdr;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny program for {@link TunOffloadNetnsTest}, run inside a network namespace.
 *
 * <ul>
 *   <li>{@code tcp NAME offload|plain}: opens tun channel NAME (with the virtio-net header and offloads, or
 *       plain), gives it {@value #ADDRESS} and MTU {@value #MTU}, prints {@value #OFFLOADS} and what is on, then
 *       connects a TCP socket to {@value #PEER}:{@value #PORT} (routed into the device) and sends a stream.
 *       The channel plays the far end in a few lines: it answers the SYN with a SYN-ACK (MSS 1380, window 65535)
 *       and acknowledges what it reads, each written with an all-zero virtio_net_hdr when the device has one
 *       (the SYN-ACK's in a buffer of its own before the packet's: a composite, written with writev).
 *       Each TCP segment with data that it reads (the first {@value #REPORTED}) is printed as
 *       {@value #PACKET} {@code read=N ipLen=N payload=N vnet=none|flags=F,gso=T,size=S,hdrLen=H,start=C,offset=O}.
 *       Commands on stdin: {@code stats} prints {@value #STATS} with the channel's counters.</li>
 *   <li>{@code rate NAME offload|plain SECONDS}: as {@code tcp}, with window scaling (so the stream is not held to
 *       64 KB in flight), then prints {@value #RATE} with the TCP payload read per second over SECONDS, after
 *       one second of warm-up: a rough figure of the device path (kernel TCP into the tun, Java reads, ACKs).</li>
 *   <li>{@code queues NAME offload|plain}: opens NAME multi-queue, attaches a second queue, registers both and
 *       prints {@value #QUEUES} {@code 2 offloads=...}; {@code close 0} / {@code close 1} close a queue and
 *       print {@value #CLOSED} and its number.</li>
 * </ul>
 * Errors print {@value #ERROR} and the message and exit {@value #EXIT_ERROR}; end of stdin exits.
 */
public final class TunOffloadMain {

    static final String ADDRESS = "198.18.0.1/24";
    static final String PEER = "198.18.0.2";
    static final int PORT = 5201;
    static final int MTU = 1420;
    static final int MSS = MTU - 40;
    static final int HEADROOM = 24;
    static final int TAILROOM = 31;
    static final int REPORTED = 40;

    static final String OFFLOADS = "OFFLOADS ";
    static final String PACKET = "PKT ";
    static final String STATS = "STATS ";
    static final String QUEUES = "QUEUES ";
    static final String RATE = "RATE ";
    static final String CLOSED = "CLOSED ";
    static final String ERROR = "ERROR: ";
    static final int EXIT_ERROR = 2;

    private TunOffloadMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[2].equals("offload") || args[2].equals("plain"))) {
            System.err.println("usage: TunOffloadMain tcp|queues NAME offload|plain | rate NAME offload|plain SECONDS");
            System.exit(64);
        }
        boolean offload = args[2].equals("offload");
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoop loop = group.next();
        try {
            if (args[0].equals("tcp")) {
                tcp(loop, args[1], offload);
            } else if (args[0].equals("rate")) {
                rate(loop, args[1], offload, Integer.parseInt(args[3]));
            } else {
                queues(loop, args[1], offload);
            }
        } catch (TunException e) {
            System.out.println(ERROR + e.getMessage());
            System.exit(EXIT_ERROR);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    private static void tcp(EventLoop loop, String name, boolean offload) throws Exception {
        TunChannel channel = TunChannel.open(name, DeviceMode.TUN, MTU, offload);
        channel.config().setHeadroom(HEADROOM).setTailroom(TAILROOM);
        FarEnd far = new FarEnd(channel.offloads().vnetHeader(), false);
        channel.pipeline().addLast(far);
        loop.register(channel).sync();
        new LinkConfigurator().configure(name, MTU, List.of(Cidr.parse(ADDRESS)), List.of());
        System.out.println(OFFLOADS + channel.offloads().describe());

        Thread sender = new Thread(TunOffloadMain::sendStream, "tcp-sender");
        sender.setDaemon(true);
        sender.start();

        commands(line -> {
            if (line.equals("stats")) {
                System.out.println(STATS + "writeErrors=" + channel.writeErrors() + " oversizedReads="
                        + channel.oversizedReads() + " synAcks=" + far.synAcks.get() + " acks=" + far.acks.get());
            }
        });
        channel.close().sync();
    }

    private static void rate(EventLoop loop, String name, boolean offload, int seconds) throws Exception {
        TunChannel channel = TunChannel.open(name, DeviceMode.TUN, MTU, offload);
        channel.config().setHeadroom(HEADROOM).setTailroom(TAILROOM);
        FarEnd far = new FarEnd(channel.offloads().vnetHeader(), true);
        channel.pipeline().addLast(far);
        loop.register(channel).sync();
        new LinkConfigurator().configure(name, MTU, List.of(Cidr.parse(ADDRESS)), List.of());
        System.out.println(OFFLOADS + channel.offloads().describe());
        Thread sender = new Thread(TunOffloadMain::sendStream, "tcp-sender");
        sender.setDaemon(true);
        sender.start();
        Thread.sleep(1000);
        long bytes0 = far.payloadBytes.get();
        long reads0 = far.reads.get();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long bytes = far.payloadBytes.get() - bytes0;
        long reads = far.reads.get() - reads0;
        double elapsed = (System.nanoTime() - t0) / 1e9;
        System.out.printf(java.util.Locale.ROOT, RATE + "gbps=%.2f reads=%d bytesPerRead=%d seconds=%.1f%n",
                bytes * 8 / elapsed / 1e9, reads, reads == 0 ? 0 : bytes / reads, elapsed);
        channel.close().sync();
    }

    private static void sendStream() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new InetSocketAddress(PEER, PORT), 10_000);
            System.out.println("CONNECTED " + socket.getLocalPort());
            OutputStream out = socket.getOutputStream();
            byte[] chunk = new byte[256 * 1024];
            for (;;) {
                out.write(chunk);
            }
        } catch (Exception e) {
            System.out.println("SENDER " + e);
        }
    }

    private static void queues(EventLoop loop, String name, boolean offload) throws Exception {
        TunChannel first = TunChannel.openMultiQueue(name, DeviceMode.TUN, MTU, offload);
        TunChannel second;
        try {
            second = first.openQueue();
        } catch (TunException e) {
            first.unsafe().closeForcibly();
            throw e;
        }
        loop.register(first).sync();
        loop.register(second).sync();
        TunChannel[] queues = {first, second};
        System.out.println(QUEUES + "2 offloads=" + first.offloads().describe() + " second=" + second.offloads()
                .describe() + " multiQueue=" + (first.multiQueue() && second.multiQueue()));
        commands(line -> {
            if (line.startsWith("close ")) {
                int i = Integer.parseInt(line.substring(6).strip());
                queues[i].close().syncUninterruptibly();
                System.out.println(CLOSED + i);
            }
        });
        first.close().sync();
        second.close().sync();
    }

    private static void commands(java.util.function.Consumer<String> handler) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            handler.accept(line.strip());
        }
    }

    /** The TCP peer at 198.18.0.2:5201, as little of it as the sender needs to keep sending. */
    private static final class FarEnd extends ChannelInboundHandlerAdapter {
        private static final int SYN = 0x02;
        private static final int ACK = 0x10;
        private static final long ISN = 1000;

        final AtomicInteger synAcks = new AtomicInteger();
        final AtomicInteger acks = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong payloadBytes = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        private final boolean vnet;
        private final boolean windowScale;
        private final boolean quiet;
        private int reported;

        /** @param bulk window scaling on (shift 7) and nothing printed per packet */
        FarEnd(boolean vnet, boolean bulk) {
            this.vnet = vnet;
            this.windowScale = bulk;
            this.quiet = bulk;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf p = (ByteBuf) msg;
            try {
                int at = p.readerIndex();
                int ip = at + (vnet ? VirtioNetHdr.LENGTH : 0);
                if (p.writerIndex() - ip < 40 || p.getUnsignedByte(ip) >> 4 != 4 || p.getUnsignedByte(ip + 9) != 6) {
                    return; // not TCP over IPv4
                }
                int ihl = (p.getUnsignedByte(ip) & 0x0F) * 4;
                int ipLen = p.getUnsignedShort(ip + 2);
                int tcp = ip + ihl;
                int flags = p.getUnsignedByte(tcp + 13);
                int tcpLen = (p.getUnsignedByte(tcp + 12) >> 4) * 4;
                int payload = ipLen - ihl - tcpLen;
                long seq = p.getUnsignedInt(tcp + 4);
                if ((flags & (SYN | ACK)) == SYN) {
                    ByteBuf synAck = segment(ctx, p, ip, tcp, ISN, seq + 1, SYN | ACK);
                    if (vnet) { // the header in a buffer of its own: the channel writes both with one writev
                        ByteBuf header = ctx.alloc().directBuffer(VirtioNetHdr.LENGTH).writeBytes(synAck,
                                synAck.readerIndex(), VirtioNetHdr.LENGTH);
                        synAck.skipBytes(VirtioNetHdr.LENGTH);
                        synAck = ctx.alloc().compositeDirectBuffer(2).addComponents(true, header, synAck);
                    }
                    ctx.write(synAck);
                    synAcks.incrementAndGet();
                } else if (payload > 0) {
                    payloadBytes.addAndGet(payload);
                    reads.incrementAndGet();
                    if (!quiet && reported++ < REPORTED) {
                        System.out.println(PACKET + "read=" + p.readableBytes() + " ipLen=" + ipLen + " payload="
                                + payload + " vnet=" + describeHeader(p, at));
                    }
                    ctx.write(segment(ctx, p, ip, tcp, ISN + 1, (seq + payload) & 0xFFFFFFFFL, ACK));
                    acks.incrementAndGet();
                }
            } finally {
                p.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        private String describeHeader(ByteBuf p, int at) {
            if (!vnet) {
                return "none";
            }
            return "flags=" + VirtioNetHdr.flags(p, at) + ",gso=" + VirtioNetHdr.gsoType(p, at) + ",size="
                    + VirtioNetHdr.gsoSize(p, at) + ",hdrLen=" + VirtioNetHdr.hdrLen(p, at) + ",start="
                    + VirtioNetHdr.csumStart(p, at) + ",offset=" + VirtioNetHdr.csumOffset(p, at);
        }

        /** A reply to the segment at {@code ip}/{@code tcp}: addresses and ports swapped; MSS option on a SYN. */
        private ByteBuf segment(ChannelHandlerContext ctx, ByteBuf in, int inIp, int inTcp, long seq, long ack,
                                int flags) {
            int options = (flags & SYN) != 0 ? (windowScale ? 8 : 4) : 0;
            int tcpLen = 20 + options;
            int header = vnet ? VirtioNetHdr.LENGTH : 0;
            ByteBuf out = ctx.alloc().directBuffer(HEADROOM + header + 20 + tcpLen + TAILROOM);
            int ip = HEADROOM + header;
            if (vnet) {
                VirtioNetHdr.setNone(out, HEADROOM); // a plain packet, checksums complete
            }
            out.setZero(ip, 20 + tcpLen);
            out.setByte(ip, 0x45);
            out.setShort(ip + 2, 20 + tcpLen);
            out.setShort(ip + 6, 0x4000); // don't fragment
            out.setByte(ip + 8, 64);
            out.setByte(ip + 9, 6);
            out.setInt(ip + 12, in.getInt(inIp + 16));
            out.setInt(ip + 16, in.getInt(inIp + 12));
            out.setShort(ip + 10, Checksums.ipv4Header(out, ip, 20));
            int tcp = ip + 20;
            out.setShort(tcp, in.getUnsignedShort(inTcp + 2));
            out.setShort(tcp + 2, in.getUnsignedShort(inTcp));
            out.setInt(tcp + 4, (int) seq);
            out.setInt(tcp + 8, (int) ack);
            out.setByte(tcp + 12, (tcpLen / 4) << 4);
            out.setByte(tcp + 13, flags);
            out.setShort(tcp + 14, 65535);
            if (options > 0) {
                out.setByte(tcp + 20, 2); // MSS
                out.setByte(tcp + 21, 4);
                out.setShort(tcp + 22, MSS);
                if (windowScale) {
                    out.setByte(tcp + 24, 1); // NOP
                    out.setByte(tcp + 25, 3); // window scale
                    out.setByte(tcp + 26, 3);
                    out.setByte(tcp + 27, 7); // 65535 << 7: 8 MB
                }
            }
            long sum = Checksums.pseudoHeaderV4(out, ip, 6, tcpLen);
            out.setShort(tcp + 16, Checksums.finish(Checksums.add(out, tcp, tcpLen, sum)));
            out.setIndex(HEADROOM, ip + 20 + tcpLen);
            return out;
        }
    }
}
