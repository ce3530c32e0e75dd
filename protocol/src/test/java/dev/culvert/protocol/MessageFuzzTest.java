package dev.culvert.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.noise.MacGenerator;
import dev.culvert.protocol.noise.RemoteStatic;
import dev.culvert.protocol.testing.LeakWatch;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.testing.PipelineLink;
import dev.culvert.protocol.wire.CookieReplyMessage;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.MessageType;
import dev.culvert.protocol.wire.PacketRoom;
import dev.culvert.protocol.wire.ResponseMessage;
import dev.culvert.protocol.wire.TransportMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz targets for the four WireGuard messages as an {@link Engine} receives them (whitepaper §5.4):
 * handshake initiation, response, cookie reply and transport data. The contract for every input: the datagram
 * is released; nothing is thrown; it is either one counted drop or it is taken (a handshake answered, a cookie
 * stored, a packet delivered); a {@code malformed} drop only for a message of the wrong length (the engine counts
 * a decoder's exception as {@code malformed}, so any other {@code malformed} means a decoder threw); nothing is
 * sent but the protocol's answer (at most one datagram, never longer than an initiation); no leak at PARANOID.
 *
 * <p>Input layout: byte 0 picks how the message is made. Below 0x80: raw, the rest of the input is the message.
 * From 0x80: a real message of that type made at run time by the peer (keys are random per run, so the corpus
 * holds edits, not messages), with the rest of the input as edits of three bytes (offset u8, XOR value, unused
 * low bits of the next byte). Flags in byte 0 for both: 0x01 write the right type header, 0x02 write the
 * receiver index the engine expects (response, cookie reply, transport), 0x04 recompute mac1 for the receiver
 * (initiation, response), so that the fuzzer gets past the cheap checks to the expensive ones.
 *
 * <p>Under plain JUnit each target replays its committed corpus {@code MessageFuzzTestInputs/<method>/};
 * {@code JAZZER_FUZZ=1} fuzzes it (see {@code scripts/fuzz.sh}).
 */
class MessageFuzzTest {
    /** A little-endian int in a byte array, as the wire has them (whitepaper §5.4). */
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class,
            ByteOrder.LITTLE_ENDIAN);

    static {
        LeakWatch.enable();
    }

    private static final int RAW_LIMIT = 0x80;
    private static final int SEALED = 0xC0;
    private static final int FIX_TYPE = 0x01;
    private static final int FIX_RECEIVER = 0x02;
    private static final int FIX_MAC1 = 0x04;

    /** The responder of initiations (b) and the initiator awaiting a response (a); rebuilt after a message is taken. */
    private HandshakeRig rig;
    private PipelineLink pipes;
    private byte[] realTransport;
    private int transportReceiver;

    @AfterEach
    void closeAndCheckLeaks() {
        if (rig != null) {
            rig.close();
            rig = null;
        }
        if (pipes != null) {
            pipes.close();
            pipes = null;
        }
        LeakWatch.check();
    }

    @AfterAll
    static void checkLeaksAfterGc() {
        LeakWatch.checkAfterGc();
    }

    @FuzzTest(maxDuration = "30s")
    void initiation(byte[] data) {
        HandshakeRig r = rig();
        byte[] msg = message(data, r.initiation, InitiationMessage.LENGTH, MessageType.INITIATION);
        int flags = flags(data);
        if ((flags & FIX_MAC1) != 0 && msg.length == InitiationMessage.LENGTH) {
            r.macsToB.addMacs(msg, InitiationMessage.MAC1, r.link.time.nanoTime());
        }
        Outcome o = receive(r.link, r.link.b, msg);
        o.checkHandshake(msg, MessageType.INITIATION, InitiationMessage.LENGTH);
        if (o.taken()) {
            // Answered with a response: the handshake on b is consumed; start over with fresh keys.
            assertThat(o.sent).as("one response").isEqualTo(1);
            assertThat(o.firstSentLength).isEqualTo(ResponseMessage.LENGTH);
            rig.close();
            rig = null;
        }
    }

    @FuzzTest(maxDuration = "30s")
    void response(byte[] data) {
        HandshakeRig r = rig();
        byte[] msg = message(data, r.response, ResponseMessage.LENGTH, MessageType.RESPONSE);
        int flags = flags(data);
        if ((flags & FIX_RECEIVER) != 0 && msg.length >= ResponseMessage.RECEIVER + 4) {
            System.arraycopy(r.answeredInitiation, InitiationMessage.SENDER, msg, ResponseMessage.RECEIVER, 4);
        }
        if ((flags & FIX_MAC1) != 0 && msg.length == ResponseMessage.LENGTH) {
            r.macsToA.addMacs(msg, ResponseMessage.MAC1, r.answering.time.nanoTime());
        }
        Outcome o = receive(r.answering, r.answering.a, msg);
        o.checkHandshake(msg, MessageType.RESPONSE, ResponseMessage.LENGTH);
        if (o.taken()) {
            assertThat(r.answering.a.peer.hasSession()).as("a response taken makes a session").isTrue();
            rig.close();
            rig = null;
        }
    }

    @FuzzTest(maxDuration = "30s")
    void cookieReply(byte[] data) {
        HandshakeRig r = rig();
        byte[] msg = message(data, r.cookieReply, CookieReplyMessage.LENGTH, MessageType.COOKIE_REPLY);
        if ((flags(data) & FIX_RECEIVER) != 0 && msg.length >= CookieReplyMessage.RECEIVER + 4) {
            System.arraycopy(r.loadedInitiation, InitiationMessage.SENDER, msg, CookieReplyMessage.RECEIVER, 4);
        }
        Outcome o = receive(r.loaded, r.loaded.a, msg);
        o.checkHandshake(msg, MessageType.COOKIE_REPLY, CookieReplyMessage.LENGTH);
        assertThat(o.sent).as("a cookie reply is never answered").isZero();
    }

    /**
     * Transport data through a whole tunnel pipeline on b ({@link PipelineLink}): raw and mutated datagrams reach the
     * engine; byte 0 from 0xC0 instead makes a seals the rest of the input as the plaintext (so that b's pipeline —
     * extension header, allowed IPs — parses fuzzer-chosen bytes after a successful decryption).
     */
    @FuzzTest(maxDuration = "30s")
    void transport(byte[] data) {
        PipelineLink link = pipes();
        int mode = data.length == 0 ? 0 : data[0] & 0xFF;
        Counters peerB = link.b.peer.counters();
        Counters engineB = link.b.transport.engine().counters();
        Counters peerA = link.a.peer.counters();
        long dropsBefore = peerB.totalDrops() + engineB.totalDrops();
        long dropsABefore = peerA.totalDrops() + link.a.transport.engine().counters().totalDrops();
        long malformedBefore = peerB.drops(DropReason.MALFORMED) + engineB.drops(DropReason.MALFORMED);
        ByteBuf datagram = null;
        byte[] msg = null;
        int plainLength = 0;
        if (mode >= SEALED) {
            plainLength = Math.min(data.length - 1, 1420);
            ByteBuf plain = Unpooled.directBuffer(PacketRoom.HEADROOM + plainLength + PacketRoom.TAILROOM);
            plain.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM).writeBytes(data, 1, plainLength);
            link.a.peer.send(plain);
            link.a.transport.flush();
        } else {
            msg = message(data, realTransport, -1, MessageType.TRANSPORT);
            if ((mode & FIX_RECEIVER) != 0 && msg.length >= TransportMessage.RECEIVER + 4) {
                LE_INT.set(msg, TransportMessage.RECEIVER, transportReceiver);
            }
            datagram = Unpooled.directBuffer(msg.length).writeBytes(msg);
            link.b.transport.engine().receive(datagram, MemoryLink.A_ADDR);
            link.b.transport.engine().flushDelivered();
        }
        link.pump();
        if (datagram != null) {
            assertThat(datagram.refCnt()).as("datagram released").isZero();
        }
        int delivered = 0;
        for (ByteBuf p; (p = link.b.toDevice()) != null; ) {
            delivered++;
            assertThat(p.readableBytes()).as("no packet beyond the bound").isLessThanOrEqualTo(PacketRoom.MAX_MESSAGE);
            p.release();
        }
        long drops = peerB.totalDrops() + engineB.totalDrops() - dropsBefore;
        long dropsA = peerA.totalDrops() + link.a.transport.engine().counters().totalDrops() - dropsABefore;
        assertThat(delivered + drops).as("delivered %s, dropped %s", delivered, drops).isLessThanOrEqualTo(1);
        if (msg != null) {
            // Fuzzer bytes never decrypt (a real message is a replay): each is one counted drop.
            assertThat(delivered).isZero();
            assertThat(drops).as("a datagram is a counted drop").isEqualTo(1);
            long malformed = peerB.drops(DropReason.MALFORMED) + engineB.drops(DropReason.MALFORMED) - malformedBefore;
            if (msg.length >= TransportMessage.MIN_LENGTH && MessageType.of(msg) == MessageType.TRANSPORT) {
                assertThat(malformed).as("malformed for a well-formed transport message: a decoder threw").isZero();
            }
        } else if (plainLength > 0) {
            // Sealed by a: delivered by b, or dropped and counted (by b's pipeline, or by a's if it would not send it).
            assertThat(delivered + drops + dropsA).as("a sealed packet is delivered or counted").isEqualTo(1);
        }
        if (!link.b.peer.hasSession()) {
            pipes.close();
            pipes = null;
        }
    }

    /** Not vacuous: the real messages (input 0x80, no edits) are taken, not dropped (taking one resets the rig). */
    @Test
    void realHandshakeMessagesAreTaken() {
        initiation(new byte[] {(byte) 0x80});
        assertThat(rig).as("the real initiation was answered").isNull();
        response(new byte[] {(byte) 0x80});
        assertThat(rig).as("the real response made a session").isNull();
        initiation(new byte[] {(byte) 0x84, 60, 1, 0});
        assertThat(rig).as("a changed initiation is dropped").isNotNull();
    }

    // ------------------------------------------------------------------ fixtures

    /**
     * Three pairs of engines: in the first, a has sent an initiation (captured, not delivered); in the second, b has
     * answered its a's initiation (the response captured, not delivered); in the third, b is under load from the
     * first message, so that its a holds a real cookie reply to its initiation.
     */
    private static final class HandshakeRig {
        final MemoryLink link;
        final MemoryLink loaded;
        final MemoryLink answering;
        final byte[] initiation;
        final byte[] answeredInitiation;
        final byte[] response;
        final byte[] loadedInitiation;
        final byte[] cookieReply;
        final MacGenerator macsToB;
        final MacGenerator macsToA;

        HandshakeRig() {
            loaded = new MemoryLink(null, null, 0, true, 0);
            loaded.a.peer.start();
            Datagram init = loaded.wire.poll();
            loadedInitiation = ByteBufUtil.getBytes(init.data());
            loaded.deliver(init);
            Datagram reply = loaded.wire.poll();
            cookieReply = ByteBufUtil.getBytes(reply.data());
            reply.data().release();
            loaded.wire.forEach(d -> d.data().release());
            loaded.wire.clear();

            link = new MemoryLink();
            link.a.peer.start();
            Datagram first = link.wire.poll();
            initiation = ByteBufUtil.getBytes(first.data());
            first.data().release();
            // The response: a second pair, whose b answers its a's initiation; that a waits for the response, which
            // the fuzzer sends (or a mutation of it). This link's b has seen no initiation yet.
            answering = new MemoryLink();
            answering.a.peer.start();
            Datagram second = answering.wire.poll();
            answeredInitiation = ByteBufUtil.getBytes(second.data());
            answering.deliver(second);
            Datagram answer = answering.wire.poll();
            response = ByteBufUtil.getBytes(answer.data());
            answer.data().release();
            for (MemoryLink l : List.of(link, answering)) {
                l.wire.forEach(d -> d.data().release());
                l.wire.clear();
            }
            macsToB = macs(link.b.engine.publicKey());
            macsToA = macs(answering.a.engine.publicKey());
        }

        void close() {
            link.releaseAll();
            answering.releaseAll();
            loaded.releaseAll();
        }

        private static MacGenerator macs(byte[] publicKey) {
            try {
                LocalStatic any = new LocalStatic(X25519.generatePrivateKey(new SecureRandom()));
                return new MacGenerator(new RemoteStatic(any, publicKey, null));
            } catch (InvalidKeyException e) {
                throw new AssertionError(e);
            }
        }
    }

    private HandshakeRig rig() {
        if (rig == null) {
            rig = new HandshakeRig();
        }
        return rig;
    }

    private PipelineLink pipes() {
        if (pipes == null) {
            pipes = new PipelineLink();
            pipes.establish();
            // One real transport message from a to b, captured on its way (b's engine sees it first, then it is copied).
            ByteBuf packet = Packets.ipv4("198.18.0.1", "198.18.0.2", 100);
            realTransport = sealOnce(pipes, packet);
            transportReceiver = (int) LE_INT.get(realTransport, TransportMessage.RECEIVER);
        }
        return pipes;
    }

    /** Has a seal {@code packet} and returns a copy of the transport message on its way to b (which then gets it). */
    private static byte[] sealOnce(PipelineLink link, ByteBuf packet) {
        link.a.peer.send(packet);
        java.util.List<ByteBuf> pending = link.a.transport.pendingDatagrams();
        assertThat(pending).as("a sealed the packet").hasSize(1);
        byte[] bytes = ByteBufUtil.getBytes(pending.get(0));
        link.a.transport.flush();
        link.pump();
        for (ByteBuf p; (p = link.b.toDevice()) != null; ) {
            p.release();
        }
        return bytes;
    }

    // ------------------------------------------------------------------ the contract

    private static final class Outcome {
        long drops;
        long malformed;
        int sent;
        int firstSentLength;
        int longestSent;
        int released;

        boolean taken() {
            return drops == 0;
        }

        void checkHandshake(byte[] msg, int type, int expectedLength) {
            assertThat(released).as("datagram released").isZero();
            assertThat(drops).as("one counted drop, or taken").isBetween(0L, 1L);
            assertThat(sent).as("at most one answer").isLessThanOrEqualTo(1);
            assertThat(longestSent).as("no answer longer than an initiation").isLessThanOrEqualTo(InitiationMessage.LENGTH);
            boolean wellFormed = msg.length == expectedLength && MessageType.of(msg) == type;
            if (wellFormed) {
                assertThat(malformed).as("malformed for a message of the right length: a decoder threw").isZero();
            }
        }
    }

    private static Outcome receive(MemoryLink link, MemoryLink.Side side, byte[] msg) {
        Counters engine = side.engine.counters();
        Counters peer = side.peer.counters();
        long drops = engine.totalDrops() + peer.totalDrops();
        long malformed = engine.drops(DropReason.MALFORMED) + peer.drops(DropReason.MALFORMED);
        int wire = link.wire.size();
        ByteBuf datagram = Unpooled.directBuffer(msg.length).writeBytes(msg);
        side.engine.receive(datagram, side == link.a ? MemoryLink.B_ADDR : MemoryLink.A_ADDR);
        side.engine.flushDelivered();
        Outcome o = new Outcome();
        o.released = datagram.refCnt();
        o.drops = engine.totalDrops() + peer.totalDrops() - drops;
        o.malformed = engine.drops(DropReason.MALFORMED) + peer.drops(DropReason.MALFORMED) - malformed;
        o.sent = link.wire.size() - wire;
        Datagram d;
        boolean first = true;
        while ((d = link.wire.poll()) != null) {
            int length = d.data().readableBytes();
            if (first) {
                o.firstSentLength = length;
                first = false;
            }
            o.longestSent = Math.max(o.longestSent, length);
            d.data().release();
        }
        side.delivered.forEach(ByteBuf::release);
        side.delivered.clear();
        return o;
    }

    // ------------------------------------------------------------------ input decoding

    private static int flags(byte[] data) {
        return data.length == 0 ? 0 : data[0] & 0x07;
    }

    /**
     * The message an input describes: raw bytes, or the real message {@code real} with the input's edits; the type
     * header written if asked. {@code length} is the message's fixed length (-1 for transport, whose raw form may be
     * any length).
     */
    private static byte[] message(byte[] data, byte[] real, int length, int type) {
        int mode = data.length == 0 ? 0 : data[0] & 0xFF;
        byte[] msg;
        if (mode < RAW_LIMIT) {
            msg = data.length == 0 ? new byte[0] : Arrays.copyOfRange(data, 1, Math.min(data.length, 1 + 2048));
        } else {
            msg = real.clone();
            for (int i = 1; i + 2 < data.length; i += 3) {
                int op = data[i] & 0xFF;
                int value = data[i + 1];
                int how = data[i + 2] & 0x03;
                if (how == 3) {
                    // Truncate or extend (with zeros) to an edge: the message's length plus or minus a little.
                    msg = Arrays.copyOf(msg, Math.max(0, real.length + (byte) value));
                } else if (msg.length > 0) {
                    int at = (op + (how == 2 ? 256 : 0)) % msg.length;
                    msg[at] ^= (byte) (value == 0 ? 1 : value);
                }
            }
        }
        if ((mode & FIX_TYPE) != 0 && msg.length >= 4) {
            LE_INT.set(msg, 0, type);
        }
        return msg;
    }
}
