package dev.culvert.it.harness;

import dev.culvert.config.DeviceMode;
import dev.culvert.daemon.tun.TunChannel;
import dev.culvert.daemon.tun.TunException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A user-space stand-in for {@code tc qdisc ... netem delay D J} on kernels built without {@code sch_netem}
 * ({@link Impairment#delay}): a tun device that gives back every packet written to it after D ± J milliseconds,
 * drawn uniformly per packet, so packets sent closer together than the jitter overtake each other, as netem's
 * jitter without a rate does. At most {@value #LIMIT} packets are held (netem's default {@code limit}); more are
 * dropped and counted. The device is Culvert's own {@link TunChannel} on a Netty epoll loop; the loop's timer holds
 * the packets. Routing packets through it is {@link Impairment}'s job.
 *
 * <p>{@code java -cp CP dev.culvert.it.harness.DelayLine DEV DELAY_MS JITTER_MS}, run inside a test's namespace
 * ({@code ip netns exec}). Prints {@value #READY} and the device name once the device exists (down, no address);
 * on SIGTERM prints what it did ({@value #SUMMARY} {@code held N, reordered N, dropped N}: reordered counts
 * packets given back after one that was read later) and closes the device, which deletes it. Exit 2 when
 * the device cannot be made, 64 on bad arguments.
 */
public final class DelayLine {

    static final String READY = "READY";
    static final String SUMMARY = "DELAYED";
    /** Packets held at once, as netem's default queue limit. */
    static final int LIMIT = 1000;
    private static final int MTU = 1500;

    private DelayLine() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            System.err.println("usage: DelayLine DEV DELAY_MS JITTER_MS");
            System.exit(64);
        }
        String name = args[0];
        long delayMicros = Long.parseLong(args[1]) * 1000;
        long jitterMicros = Long.parseLong(args[2]) * 1000;
        if (jitterMicros > delayMicros || jitterMicros < 0) {
            System.err.println("DelayLine: the jitter must be between 0 and the delay");
            System.exit(64);
        }
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Holder holder = new Holder(delayMicros, jitterMicros);
        TunChannel channel;
        try {
            channel = TunChannel.open(name, DeviceMode.TUN, MTU);
            channel.pipeline().addLast(holder);
            EventLoop loop = group.next();
            loop.register(channel).sync();
        } catch (TunException e) {
            System.err.println("DelayLine: " + e.getMessage());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            System.exit(2);
            return;
        }
        TunChannel open = channel;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println(SUMMARY + " held " + holder.held + ", reordered " + holder.reordered + ", dropped "
                    + holder.dropped);
            open.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }, "delay-line-shutdown"));
        System.out.println(READY + " " + name);
        channel.closeFuture().sync();
    }

    /** Holds each packet read for its own delay, then writes it back; all on the channel's loop. */
    private static final class Holder extends ChannelInboundHandlerAdapter {
        private final long delayMicros;
        private final long jitterMicros;
        private final SplittableRandom random = new SplittableRandom();
        private int holding;
        private final AtomicLong held = new AtomicLong();
        private final AtomicLong dropped = new AtomicLong();
        private final AtomicLong reordered = new AtomicLong();
        private long readCount;
        private long lastWritten;

        Holder(long delayMicros, long jitterMicros) {
            this.delayMicros = delayMicros;
            this.jitterMicros = jitterMicros;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf packet = (ByteBuf) msg;
            if (holding >= LIMIT) {
                packet.release();
                dropped.incrementAndGet();
                return;
            }
            holding++;
            held.incrementAndGet();
            long number = ++readCount;
            long wait = delayMicros - jitterMicros + random.nextLong(2 * jitterMicros + 1);
            ctx.executor().schedule(() -> {
                holding--;
                if (number < lastWritten) {
                    reordered.incrementAndGet();
                }
                lastWritten = Math.max(lastWritten, number);
                ctx.writeAndFlush(packet, ctx.voidPromise());
            }, wait, TimeUnit.MICROSECONDS);
        }
    }
}
