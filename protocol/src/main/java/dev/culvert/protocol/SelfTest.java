package dev.culvert.protocol;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.MacGenerator;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import io.netty.buffer.Unpooled;
import dev.culvert.protocol.noise.RemoteStatic;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.culvert.protocol.wire.PacketRoom;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.ArrayDeque;

/**
 * A power-on self-test run at daemon start: two engines with throwaway keys shake hands over
 * memory and pass packets of several sizes both ways, checking every byte. It proves the crypto
 * stack works on this JVM before any device is touched, and, run for a few thousand packets, gets
 * the JIT to compile the data path so the first real packets are not interpreted (idle latency).
 * Then as many forged initiations (random inside, a valid mac1) go to one engine from one address, so
 * the gate that refuses a handshake flood (mac1, under load, the per-source rate) is compiled too:
 * a flood that meets it interpreted fills the socket's buffer behind it for a second or two (issue 10).
 */
public final class SelfTest {
    private SelfTest() {}

    private record Datagram(ByteBuf data, InetSocketAddress to) {}

    /**
     * @param packets how many packets each way
     * @throws IllegalStateException if anything does not round-trip exactly
     */
    public static void run(ByteBufAllocator alloc, int packets) {
        SecureRandom random = new SecureRandom();
        InetSocketAddress addrA = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1);
        InetSocketAddress addrB = new InetSocketAddress(InetAddress.getLoopbackAddress(), 2);
        ArrayDeque<Datagram> wire = new ArrayDeque<>();
        ArrayDeque<ByteBuf> atA = new ArrayDeque<>();
        ArrayDeque<ByteBuf> atB = new ArrayDeque<>();
        LocalStatic localA = new LocalStatic(X25519.generatePrivateKey(random));
        LocalStatic localB = new LocalStatic(X25519.generatePrivateKey(random));
        Engine a = new Engine(localA, TimeSource.system(), random, alloc, (d, to) -> wire.add(new Datagram(d, to)));
        Engine b = new Engine(localB, TimeSource.system(), random, alloc, (d, to) -> wire.add(new Datagram(d, to)));
        try {
            Peer bAtA = a.addPeer(new RemoteStatic(localA, localB.publicKey(), null),
                    new PeerOptions(addrB, 0, 1500, InboundSink.of(atA::add)));
            Peer aAtB = b.addPeer(new RemoteStatic(localB, localA.publicKey(), null),
                    new PeerOptions(null, 0, 1500, InboundSink.of(atB::add)));
            int[] sizes = {84, 1420, 576, 40, 1500};
            for (int i = 0; i < packets; i++) {
                int size = sizes[i % sizes.length];
                bAtA.send(packet(alloc, size, i));
                pump(wire, a, b, addrA, addrB);
                check(atB, size, i);
                aAtB.send(packet(alloc, size, ~i));
                pump(wire, a, b, addrA, addrB);
                check(atA, size, ~i);
            }
            floodGate(b, new MacGenerator(new RemoteStatic(localA, localB.publicKey(), null)), random, addrA, packets);
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("self-test could not be set up", e);
        } finally {
            wire.forEach(d -> d.data().release());
            atA.forEach(ByteBuf::release);
            atB.forEach(ByteBuf::release);
            a.close();
            b.close();
        }
    }

    /** Sends {@code count} forged initiations to {@code engine} and checks it refused nearly all by rate. */
    private static void floodGate(Engine engine, MacGenerator macs, SecureRandom random, InetSocketAddress from,
                                  int count) {
        long before = engine.counters().drops(DropReason.RATE_LIMITED);
        byte[] msg = new byte[InitiationMessage.LENGTH];
        for (int i = 0; i < count; i++) {
            random.nextBytes(msg);
            msg[0] = MessageType.INITIATION;
            msg[1] = msg[2] = msg[3] = 0;
            macs.addMacs(msg, InitiationMessage.MAC1, 0);
            engine.receive(Unpooled.wrappedBuffer(msg.clone()), from);
        }
        if (count > 2 * Limits.UNDER_LOAD_HANDSHAKES_PER_SECOND
                && engine.counters().drops(DropReason.RATE_LIMITED) - before < count / 2) {
            throw new IllegalStateException("self-test: a flood of forged initiations was not rate-limited");
        }
    }

    private static void pump(ArrayDeque<Datagram> wire, Engine a, Engine b, InetSocketAddress addrA,
                             InetSocketAddress addrB) {
        Datagram d;
        while ((d = wire.poll()) != null) {
            if (d.to().equals(addrB)) {
                b.receive(d.data(), addrA);
            } else {
                a.receive(d.data(), addrB);
            }
        }
    }

    /**
     * An IPv4 packet from 0.0.0.1 to 0.0.0.2 whose payload is a pattern derived from {@code seed}, with
     * the room around it that a device read leaves (so the in-place path is the one tested).
     */
    private static ByteBuf packet(ByteBufAllocator alloc, int size, int seed) {
        ByteBuf p = alloc.directBuffer(PacketRoom.HEADROOM + size + PacketRoom.TAILROOM);
        p.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        p.writeByte(0x45).writeByte(0).writeShort(size).writeInt(0).writeByte(64).writeByte(17).writeShort(0)
                .writeInt(1).writeInt(2);
        for (int i = 20; i < size; i++) {
            p.writeByte(seed * 31 + i);
        }
        return p;
    }

    private static void check(ArrayDeque<ByteBuf> delivered, int size, int seed) {
        ByteBuf got = delivered.poll();
        if (got == null) {
            throw new IllegalStateException("self-test: a " + size + "-byte packet was not delivered");
        }
        try {
            boolean ok = got.readableBytes() >= size && got.getUnsignedShort(got.readerIndex() + 2) == size;
            for (int i = 20; ok && i < size; i++) {
                ok = got.getByte(got.readerIndex() + i) == (byte) (seed * 31 + i);
            }
            if (!ok) {
                throw new IllegalStateException("self-test: a " + size + "-byte packet came back different");
            }
        } finally {
            got.release();
        }
    }
}
