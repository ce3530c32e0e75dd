package dev.culvert.daemon;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.InboundSink;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Run inside a test's network namespace by {@link UdpOffloadNetnsTest}: two UDP transports on the
 * namespace's loopback, a handshake, then bursts of equal-size payloads from one to the other. Prints
 * one {@code RESULT} line with what arrived and the namespace's own UDP counters ({@code /proc/net/snmp},
 * which count one datagram per GSO send and one per GRO-coalesced receive), or {@code BENCH} lines.
 *
 * <p>Args: {@code burst <senderOffload> <receiverOffload> <count> <payloadBytes>} or
 * {@code bench <senderOffload> <receiverOffload> <payloadBytes> <seconds>}.
 */
public final class UdpOffloadMain {
    static final String RESULT = "RESULT ";
    static final String BENCH = "BENCH ";
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private UdpOffloadMain() {}

    public static void main(String[] args) throws Exception {
        boolean senderOffload = Boolean.parseBoolean(args[1]);
        boolean receiverOffload = Boolean.parseBoolean(args[2]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
        IoEventLoop txLoop = (IoEventLoop) group.next();
        IoEventLoop rxLoop = (IoEventLoop) group.next();
        SecureRandom random = new SecureRandom();
        LocalStatic txKey = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic rxKey = new LocalStatic(X25519.generatePrivateKey(random));
        InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        UdpTransport tx = UdpTransport.bind(txLoop, lo, txKey, ALLOC, senderOffload);
        UdpTransport rx = UdpTransport.bind(rxLoop, lo, rxKey, ALLOC, receiverOffload);
        LinkedBlockingQueue<ByteBuf> arrived = new LinkedBlockingQueue<>();
        InetSocketAddress rxAddress = rx.localAddress();
        Peer toTx = on(rxLoop, () -> rx.engine().addPeer(new RemoteStatic(rxKey, txKey.publicKey(), null),
                new PeerOptions(null, 0, 1420, InboundSink.of(arrived::add))));
        Peer toRx = on(txLoop, () -> tx.engine().addPeer(new RemoteStatic(txKey, rxKey.publicKey(), null),
                new PeerOptions(rxAddress, 0, 1420, InboundSink.of(ByteBuf::release))));
        on(txLoop, () -> {
            toRx.transportReady();
            tx.flush();
            return null;
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // Both ends: the responder's session is confirmed by the initiator's first message (a keepalive),
        // which must not land inside a measured burst.
        while (!on(txLoop, toRx::hasSession) || !on(rxLoop, toTx::hasSession)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no handshake in 10 s");
            }
            Thread.sleep(10); // polling a condition on another loop; nothing to await on
        }
        if (args[0].equals("burst")) {
            burst(tx, rx, toRx, txLoop, arrived, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        } else {
            bench(tx, rx, toRx, txLoop, arrived, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        }
        tx.close();
        rx.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private static void burst(UdpTransport tx, UdpTransport rx, Peer toRx, IoEventLoop txLoop,
                              LinkedBlockingQueue<ByteBuf> arrived, int count, int size) throws Exception {
        long[] before = udpCounters();
        on(txLoop, () -> {
            for (int i = 0; i < count; i++) {
                toRx.send(payload(size, i));
            }
            tx.flush();
            return null;
        });
        int intact = 0;
        boolean inOrder = true;
        for (int i = 0; i < count; i++) {
            ByteBuf got = arrived.poll(10, TimeUnit.SECONDS);
            if (got == null) {
                break;
            }
            // Each payload is filled with its index, so one out of place shows as a wrong byte.
            byte[] bytes = new byte[size];
            got.getBytes(got.readerIndex(), bytes);
            byte[] expected = new byte[size];
            Arrays.fill(expected, (byte) i);
            if (Arrays.equals(bytes, expected)) {
                intact++;
            } else {
                inOrder = false;
            }
            got.release();
        }
        long[] after = udpCounters();
        System.out.println(RESULT + "arrived=" + intact + " inOrder=" + inOrder
                + " gso=" + on(txLoop, tx::gsoEnabled) + " gro=" + rx.groEnabled()
                + " segmentedSends=" + on(txLoop, tx::segmentedSends)
                + " segmentedDatagrams=" + on(txLoop, tx::segmentedDatagrams)
                + " outDatagrams=" + (after[1] - before[1]) + " inDatagrams=" + (after[0] - before[0]));
    }

    /** Sends bursts of 64 for {@code seconds}, one burst in flight at a time, and reports datagrams per second. */
    private static void bench(UdpTransport tx, UdpTransport rx, Peer toRx, IoEventLoop txLoop,
                              LinkedBlockingQueue<ByteBuf> arrived, int size, int seconds) throws Exception {
        int burst = 64;
        long received = 0;
        long[] before = udpCounters();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            on(txLoop, () -> {
                for (int i = 0; i < burst; i++) {
                    toRx.send(payload(size, i));
                }
                tx.flush();
                return null;
            });
            for (int i = 0; i < burst; i++) {
                ByteBuf got = arrived.poll(1, TimeUnit.SECONDS);
                if (got == null) {
                    break;
                }
                got.release();
                received++;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] after = udpCounters();
        System.out.printf("%sdatagrams/s=%.0f received=%d gso=%s gro=%s kernelOut=%d kernelIn=%d%n", BENCH,
                received / elapsed, received, on(txLoop, tx::gsoEnabled), rx.groEnabled(),
                after[1] - before[1], after[0] - before[0]);
    }

    private static ByteBuf payload(int size, int index) {
        ByteBuf buf = ALLOC.directBuffer(PacketRoom.HEADROOM + size + PacketRoom.TAILROOM);
        buf.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        // An IPv4-looking first byte would do nothing here: the peer has no allowed IPs, the sink takes all.
        for (int i = 0; i < size; i++) {
            buf.writeByte(index);
        }
        return buf;
    }

    /** {@code Udp: InDatagrams ... OutDatagrams} of this network namespace, from /proc/net/snmp. */
    static long[] udpCounters() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:")) {
                List<String> names = Arrays.asList(lines.get(i).split("\\s+"));
                String[] values = lines.get(i + 1).split("\\s+");
                return new long[] {Long.parseLong(values[names.indexOf("InDatagrams")]),
                    Long.parseLong(values[names.indexOf("OutDatagrams")])};
            }
        }
        throw new IllegalStateException("no Udp lines in /proc/net/snmp");
    }

    private static <T> T on(IoEventLoop loop, Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }
}
