package dev.culvert.daemon.tun;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny program for {@link TunChannelNetnsTest}, run inside a network namespace as
 * {@code ip netns exec NS java -cp ... TunChannelEchoMain ...}.
 *
 * <ul>
 *   <li>{@code serve NAME}: opens tun channel NAME (HEADROOM {@value #HEADROOM}, TAILROOM
 *       {@value #TAILROOM}) on an epoll loop, gives it {@value #ADDRESS} and MTU {@value #MTU}, and
 *       answers every ICMP echo request it reads by writing the reply back, flushing once per burst.
 *       Prints {@value #READY} when serving. Commands on stdin: {@code close} (closes the channel, prints
 *       {@value #CLOSED}), {@code stats}; end of stdin exits. Prints {@value #CHANNEL_CLOSED} whenever
 *       the channel closes, and closes it on SIGTERM.</li>
 *   <li>{@code probe NAME tun|tap [adopt]}: opens (with {@code adopt}: adopts an existing persistent device)
 *       and registers the channel, prints {@value #OPENED}, closes it and exits 0, or prints {@value #ERROR} and the message and exits {@value #EXIT_TUN_ERROR}.</li>
 * </ul>
 */
public final class TunChannelEchoMain {

    static final String ADDRESS = "198.18.0.1/24";
    static final String PEER = "198.18.0.2";
    static final int MTU = 1420;
    static final int HEADROOM = 32;
    static final int TAILROOM = 16;

    static final String READY = "READY";
    static final String CLOSED = "CLOSED";
    static final String CHANNEL_CLOSED = "CHANNEL-CLOSED";
    static final String OPENED = "OPENED";
    static final String STATS = "STATS";
    static final String ERROR = "ERROR: ";
    static final int EXIT_TUN_ERROR = 2;
    static final int EXIT_USAGE = 64;

    private TunChannelEchoMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("serve")) {
            serve(args[1]);
        } else if ((args.length == 3 || args.length == 4 && args[3].equals("adopt")) && args[0].equals("probe")) {
            probe(args[1], DeviceMode.valueOf(args[2].toUpperCase(Locale.ROOT)), args.length == 4);
        } else {
            System.err.println("usage: TunChannelEchoMain serve NAME | probe NAME tun|tap [adopt]");
            System.exit(EXIT_USAGE);
        }
    }

    private static void probe(String name, DeviceMode mode, boolean adopt) throws InterruptedException {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        int status = 0;
        try {
            TunChannel channel = adopt ? TunChannel.adopt(name, mode, MTU, false) : TunChannel.open(name, mode, MTU);
            loop(group).register(channel).sync();
            System.out.println(OPENED + " " + channel.name() + " " + channel.mode());
            channel.close().sync();
        } catch (TunException e) {
            System.out.println(ERROR + e.getMessage());
            status = EXIT_TUN_ERROR;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        System.exit(status);
    }

    private static void serve(String name) throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        TunChannel channel;
        EchoHandler echo = new EchoHandler();
        try {
            channel = TunChannel.open(name, DeviceMode.TUN, MTU);
            channel.config().setHeadroom(HEADROOM).setTailroom(TAILROOM);
            channel.pipeline().addLast(echo);
            loop(group).register(channel).sync();
            new LinkConfigurator().configure(name, MTU, List.of(Cidr.parse(ADDRESS)), List.of());
        } catch (TunException e) {
            System.out.println(ERROR + e.getMessage());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            System.exit(EXIT_TUN_ERROR);
            return;
        }
        channel.closeFuture().addListener(f -> System.out.println(CHANNEL_CLOSED));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }, "tun-echo-shutdown"));
        System.out.println(READY + " " + name);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.strip()) {
                case "close":
                    channel.close().sync();
                    System.out.println(CLOSED);
                    break;
                case "stats":
                    System.out.println(STATS + " replies=" + echo.replies.get() + " ignored=" + echo.ignored.get()
                            + " misplaced=" + echo.misplaced.get() + " bursts=" + echo.bursts.get()
                            + " writeErrors=" + channel.writeErrors() + " oversizedReads=" + channel.oversizedReads());
                    break;
                default:
                    System.out.println(ERROR + "unknown command '" + line + "'");
            }
        }
        System.exit(0); // stdin closed: the test that started us is gone
    }

    /** The next loop as an {@link EventLoop}: {@code IoEventLoopGroup} deprecates {@code register(Channel)}. */
    private static EventLoop loop(MultiThreadIoEventLoopGroup group) {
        return group.next();
    }

    /** Answers echo requests in place (the reply leaves in the read buffer); drops everything else. */
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {
        final AtomicLong replies = new AtomicLong();
        final AtomicLong ignored = new AtomicLong();
        final AtomicLong misplaced = new AtomicLong();
        final AtomicLong bursts = new AtomicLong();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf packet = (ByteBuf) msg;
            if (packet.readerIndex() != HEADROOM || packet.capacity() - packet.writerIndex() < TAILROOM) {
                misplaced.incrementAndGet();
            }
            if (IcmpEcho.toEchoReply(packet)) {
                replies.incrementAndGet();
                ctx.write(packet, ctx.voidPromise());
            } else {
                ignored.incrementAndGet();
                packet.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            bursts.incrementAndGet();
            ctx.flush();
        }
    }
}
