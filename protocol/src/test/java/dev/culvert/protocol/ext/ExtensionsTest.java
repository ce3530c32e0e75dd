package dev.culvert.protocol.ext;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.testing.Packets;
import dev.culvert.protocol.testing.PipelineLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Culvert's extensions through two real tunnel pipelines: tap frames, compression, and what happens
 * when configs differ.
 */
class ExtensionsTest {
    private PipelineLink link;

    @AfterEach
    void release() {
        if (link != null) {
            link.close();
        }
    }

    /** An Ethernet frame: broadcast ARP-ish header and a pattern. */
    static ByteBuf frame(int length, int seed) {
        ByteBuf f = Unpooled.buffer(length + 32);
        f.writeBytes(new byte[] {-1, -1, -1, -1, -1, -1, 2, 0, 0, 0, 0, (byte) seed, 0x08, 0x06});
        for (int i = 14; i < length; i++) {
            f.writeByte(i * seed);
        }
        return f;
    }

    private long sentBytes() {
        return link.a.peer.counters().get(Counters.Kind.TX_BYTES);
    }

    @Test
    void tapFramesCrossByteForByteBothWays() {
        link = new PipelineLink(true, null, true, null);
        link.establish();
        for (int len : new int[] {42, 60, 1000, 1438}) {
            ByteBuf sent = frame(len, len);
            byte[] expected = ByteBufUtil.getBytes(sent);
            link.a.fromDevice(sent);
            link.pump();
            ByteBuf got = link.b.toDevice();
            assertThat(ByteBufUtil.getBytes(got)).isEqualTo(expected);
            got.release();
        }
        link.b.fromDevice(frame(60, 3));
        link.pump();
        ByteBuf back = link.a.toDevice();
        assertThat(back.readableBytes()).isEqualTo(60);
        back.release();
    }

    @Test
    void frameLargerThanMtuPlusEthernetHeaderIsDropped() {
        link = new PipelineLink(true, null, true, null);
        link.establish();
        long before = sentBytes();
        link.a.fromDevice(frame(1420 + 19, 1));
        link.pump();
        assertThat(sentBytes()).isEqualTo(before);
        assertThat(link.a.peer.counters().drops(DropReason.TOO_BIG)).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zlib"})
    void compressiblePayloadTravelsSmallerAndArrivesIntact(String algorithm) {
        Compression c = algorithm.equals("lz4") ? new Lz4Compression() : new ZlibCompression(6);
        link = new PipelineLink(false, c, false, algorithm.equals("lz4") ? new Lz4Compression() : new ZlibCompression(6));
        link.establish();
        ByteBuf packet = Packets.ipv4("198.18.0.1", "198.18.0.2", 1400); // zero payload: very compressible
        byte[] expected = ByteBufUtil.getBytes(packet);
        long before = sentBytes();
        link.a.fromDevice(packet);
        link.pump();
        assertThat(sentBytes() - before).isLessThan(1400 / 4);
        ByteBuf got = link.b.toDevice();
        assertThat(ByteBufUtil.getBytes(got)).isEqualTo(expected);
        got.release();
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4", "zlib"})
    void randomPayloadIsSentUncompressedAndArrivesIntact(String algorithm) {
        Compression c = algorithm.equals("lz4") ? new Lz4Compression() : new ZlibCompression(9);
        link = new PipelineLink(false, c, false, null);
        link.establish();
        ByteBuf packet = Packets.ipv4("198.18.0.1", "198.18.0.2", 20);
        byte[] noise = new byte[1380];
        new Random(7).nextBytes(noise);
        packet.writeBytes(noise).setShort(2, 1400);
        byte[] expected = ByteBufUtil.getBytes(packet);
        long before = sentBytes();
        link.a.fromDevice(packet);
        link.pump();
        // header 6 + 1400 payload, padded to 16, + 32: never larger than that, never "compressed" bigger
        assertThat(sentBytes() - before).isEqualTo(32 + ((6 + 1400 + 15) & -16));
        // b has compression off but understands a's choice
        ByteBuf got = link.b.toDevice();
        assertThat(ByteBufUtil.getBytes(got)).isEqualTo(expected);
        got.release();
    }

    @Test
    void tapTalkingToTunIsDroppedAndCountedNotDeliveredAsGarbage() {
        link = new PipelineLink(true, null, false, null);
        link.establish();
        link.a.fromDevice(frame(100, 1));
        link.pump();
        assertThat((Object) link.b.toDevice()).isNull();
        assertThat(link.b.peer.counters().drops(DropReason.MODE_MISMATCH)).isEqualTo(1);
        // and the other way: b's plain IP packet reaches a tap tunnel
        link.b.fromDevice(Packets.ipv4("198.18.0.2", "198.18.0.1", 60));
        link.pump();
        assertThat((Object) link.a.toDevice()).isNull();
        assertThat(link.a.peer.counters().drops(DropReason.MODE_MISMATCH)).isEqualTo(1);
    }

    @Test
    void tunWithoutCompressionSendsPlainWireGuardPayloads() {
        link = new PipelineLink();
        link.establish();
        long before = sentBytes();
        link.a.fromDevice(Packets.ipv4("198.18.0.1", "198.18.0.2", 64));
        link.pump();
        // 64 bytes pad to 64: no extension header would make it 70 -> 80
        assertThat(sentBytes() - before).isEqualTo(32 + 64);
    }

    // ---- the decoder alone, against hostile plaintexts

    private static ByteBuf extended(int flags, int stored, int original, byte[] body) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0xC1).writeByte(flags).writeShort(stored).writeShort(original).writeBytes(body);
        return b;
    }

    @Test
    void decoderRejectsBombsLiesAndUnknownFlags() {
        PayloadCodec codec = new PayloadCodec(false, null, UnpooledByteBufAllocator.DEFAULT);
        // claims more than the tunnel accepts
        assertThat(codec.decode(extended(1 << 2, 4, 60000, new byte[4]), 1500)).isNull();
        assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.TOO_BIG);
        // stored length beyond the packet
        assertThat(codec.decode(extended(0, 100, 100, new byte[10]), 1500)).isNull();
        assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.MALFORMED);
        // reserved bits set
        assertThat(codec.decode(extended(0x80, 0, 0, new byte[0]), 1500)).isNull();
        assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.UNKNOWN_FLAGS);
        // garbage that is not LZ4
        assertThat(codec.decode(extended(1 << 2, 8, 100, new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}), 1500)).isNull();
        assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.CORRUPT);
        // a zlib stream that inflates to far more than it declares: stopped at the declared size
        ZlibCompression zlib = new ZlibCompression(9);
        ByteBuf big = Unpooled.buffer(60000).writeZero(60000);
        ByteBuf packed = Unpooled.buffer(70000);
        int n = zlib.compress(big, packed, 0);
        assertThat(n).isPositive();
        byte[] body = new byte[n];
        packed.getBytes(0, body);
        assertThat(codec.decode(extended(2 << 2, n, 1000, body), 1500)).isNull();
        assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.CORRUPT);
        big.release();
        packed.release();
    }
}
