package dev.culvert.daemon.tun;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceMode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
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
 * A tiny program for the real-device tests, run inside a network namespace by
 * {@link LinuxTunDeviceNetnsTest} as {@code ip netns exec NS java -cp ... TunEchoMain ...}.
 *
 * <ul>
 *   <li>{@code serve NAME}: opens tun device NAME on an epoll loop, gives it {@value #ADDRESS} and
 *       MTU {@value #MTU}, and answers every ICMP echo request it reads (so a ping of any other
 *       address of that subnet succeeds only if reading and writing through Netty epoll work).
 *       Prints {@value #READY} when serving. Commands on stdin: {@code close} (closes the device,
 *       prints {@value #CLOSED}), {@code stats}; end of stdin exits. Prints {@value #DEVICE_CLOSED}
 *       whenever the device closes, and closes it on SIGTERM.</li>
 *   <li>{@code probe NAME tun|tap}: opens the device, prints {@value #OPENED} and exits 0, or
 *       prints {@value #ERROR} and the message and exits {@value #EXIT_TUN_ERROR}.</li>
 * </ul>
 */
public final class TunEchoMain {

    static final String ADDRESS = "198.18.0.1/24";
    static final String PEER = "198.18.0.2";
    static final int MTU = 1420;

    static final String READY = "READY";
    static final String CLOSED = "CLOSED";
    static final String DEVICE_CLOSED = "DEVICE-CLOSED";
    static final String OPENED = "OPENED";
    static final String ERROR = "ERROR: ";
    static final int EXIT_TUN_ERROR = 2;
    static final int EXIT_USAGE = 64;

    private TunEchoMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("serve")) {
            serve(args[1]);
        } else if (args.length == 3 && args[0].equals("probe")) {
            probe(args[1], DeviceMode.valueOf(args[2].toUpperCase(Locale.ROOT)));
        } else {
            System.err.println("usage: TunEchoMain serve NAME | probe NAME tun|tap");
            System.exit(EXIT_USAGE);
        }
    }

    private static void probe(String name, DeviceMode mode) {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        int status = 0;
        try (LinuxTunDevice device = LinuxTunDevice.open(name, mode, MTU, (IoEventLoop) group.next(),
                PooledByteBufAllocator.DEFAULT)) {
            System.out.println(OPENED + " " + device.name() + " " + device.mode());
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
        IoEventLoop loop = (IoEventLoop) group.next();
        LinuxTunDevice device;
        try {
            device = LinuxTunDevice.open(name, DeviceMode.TUN, MTU, loop, PooledByteBufAllocator.DEFAULT);
            new LinkConfigurator().configure(name, MTU, List.of(Cidr.parse(ADDRESS)), List.of());
        } catch (TunException e) {
            System.out.println(ERROR + e.getMessage());
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            System.exit(EXIT_TUN_ERROR);
            return;
        }
        device.closeFuture().addListener(f -> System.out.println(DEVICE_CLOSED));
        EchoResponder responder = new EchoResponder(device);
        loop.submit(() -> device.start(responder)).sync();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            device.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }, "tun-echo-shutdown"));
        System.out.println(READY + " " + name);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            switch (line.strip()) {
                case "close":
                    device.close();
                    System.out.println(CLOSED);
                    break;
                case "stats":
                    System.out.println("STATS replies=" + responder.replies.get() + " ignored="
                            + responder.ignored.get() + " drops=" + device.drops()
                            + " writeErrors=" + device.writeErrors());
                    break;
                default:
                    System.out.println(ERROR + "unknown command '" + line + "'");
            }
        }
        System.exit(0); // stdin closed: the test that started us is gone
    }

    /** Answers echo requests by writing the reply back to the device; drops everything else. */
    private static final class EchoResponder implements TunPacketSink {
        final AtomicLong replies = new AtomicLong();
        final AtomicLong ignored = new AtomicLong();
        private final TunDevice device;

        EchoResponder(TunDevice device) {
            this.device = device;
        }

        @Override
        public void onPacket(ByteBuf packet) {
            if (IcmpEcho.toEchoReply(packet)) {
                replies.incrementAndGet();
                device.write(packet);
            } else {
                ignored.incrementAndGet();
                packet.release();
            }
        }
    }
}
