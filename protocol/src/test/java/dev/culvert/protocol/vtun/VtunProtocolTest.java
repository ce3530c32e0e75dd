package dev.culvert.protocol.vtun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** vtund's auth messages, FLAGS, frame headers and transforms (VTUN.md §2). */
class VtunProtocolTest {

    private static final byte[] PASSWORD = "Ma&^TU".getBytes(StandardCharsets.US_ASCII);

    @Test
    void messagesAreFiftyBytesNulPaddedAndReadBackToTheirText() {
        byte[] m = VtunAuth.message("HOST: cobra");
        assertThat(m).hasSize(50);
        assertThat(m[11]).isEqualTo((byte) '\n');
        assertThat(m[12]).isZero();
        assertThat(VtunAuth.text(m)).isEqualTo("HOST: cobra");
        assertThatThrownBy(() -> VtunAuth.message("x".repeat(50))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theChallengeIsTwoLettersPerByteAndTheResponseIsBlowfishUnderMd5() {
        byte[] chal = new byte[16];
        for (int i = 0; i < 16; i++) {
            chal[i] = (byte) (i * 17);
        }
        String encoded = VtunAuth.encode(chal);
        assertThat(encoded).startsWith("<aabbccdd").endsWith("pp>").hasSize(34);
        assertThat(VtunAuth.decode("OK CHAL: " + encoded)).isEqualTo(chal);
        assertThat(VtunAuth.decode("OK CHAL: <abc>")).isNull();
        assertThat(VtunAuth.decode("OK CHAL: <" + "z".repeat(32) + ">")).isNull();

        byte[] response = VtunAuth.respond(PASSWORD, chal);
        assertThat(response).hasSize(16).isNotEqualTo(chal);
        assertThat(VtunAuth.verify(PASSWORD, chal, response)).isTrue();
        assertThat(VtunAuth.verify("wrong".getBytes(StandardCharsets.US_ASCII), chal, response)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"<TpK>", "<TpKE1>", "<TpKE9>", "<TpKE10>", "<TpKE14>", "<TpKE>", "<TpC9K>", "<TpL1K>",
            "<UpS32K>", "<TuK>", "<UeL9KE13>"})
    void debianFlagsParseAndFormatTheSame(String flags) {
        VtunFlags parsed = VtunFlags.parse("OK FLAGS: " + flags);
        assertThat(parsed.format()).isEqualTo(flags);
    }

    @Test
    void flagsAreReadInAnyOrderAndBadOnesRefused() {
        VtunFlags f = VtunFlags.parse("OK FLAGS: <KE10uTL1>");
        assertThat(f.udp()).isFalse();
        assertThat(f.type()).isEqualTo('u');
        assertThat(f.keepalive()).isTrue();
        assertThat(f.cipher()).isEqualTo(VtunCipher.AES128CBC);
        assertThat(f.compress()).isEqualTo(VtunFlags.Compress.LZO);
        assertThatThrownBy(() -> VtunFlags.parse("<TuX>")).hasMessageContaining("unknown letter 'X'");
        assertThatThrownBy(() -> VtunFlags.parse("<TuE99>")).hasMessageContaining("unknown cipher E99");
        assertThatThrownBy(() -> VtunFlags.parse("<TuC>")).hasMessageContaining("without a level");
        assertThatThrownBy(() -> VtunFlags.parse("<Tu")).hasMessageContaining("do not end");
        assertThatThrownBy(() -> VtunFlags.parse("ERR")).hasMessageContaining("no <...>");
    }

    @Test
    void frameHeadersAreCheckedAgainstVtundsBound() {
        assertThat(VtunFrames.check(0x0054)).isEqualTo(0x54);
        assertThat(VtunFrames.check(0x2000)).isEqualTo(-VtunFrames.ECHO_REQ);
        assertThat(VtunFrames.check(0x4000)).isEqualTo(-VtunFrames.ECHO_REP);
        assertThat(VtunFrames.check(0x1000)).isEqualTo(-VtunFrames.CONN_CLOSE);
        assertThatThrownBy(() -> VtunFrames.check(0)).isInstanceOf(VtunFrameException.class);
        assertThatThrownBy(() -> VtunFrames.check(2149)).hasMessageContaining("over vtund's 2148");
        assertThatThrownBy(() -> VtunFrames.check(0x2001)).hasMessageContaining("0x2001");
        assertThatThrownBy(() -> VtunFrames.check(0x8000)).hasMessageContaining("0x8000");
    }

    @Test
    void keysAreMd5OfThePasswordOrOfItsHalves() {
        assertThat(VtunCrypto.key(PASSWORD, 16)).isEqualTo(VtunAuth.md5(PASSWORD, 0, 6));
        byte[] k = VtunCrypto.key(PASSWORD, 32);
        assertThat(Arrays.copyOfRange(k, 0, 16)).isEqualTo(VtunAuth.md5(PASSWORD, 0, 3));
        assertThat(Arrays.copyOfRange(k, 16, 32)).isEqualTo(VtunAuth.md5(PASSWORD, 3, 3));
    }

    @ParameterizedTest
    @EnumSource(value = VtunCipher.class, names = {"BLOWFISH128ECB", "OLDBLOWFISH128ECB", "AES128ECB", "AES128CBC",
            "AES128CFB", "AES128OFB", "AES256ECB", "AES256CBC", "AES256CFB", "AES256OFB"})
    void everyOfferedCipherRoundTripsFramesOfEveryLength(VtunCipher cipher) {
        VtunCrypto a = new VtunCrypto(cipher, PASSWORD);
        VtunCrypto b = new VtunCrypto(cipher, PASSWORD);
        Random random = new Random(7);
        for (int len = 1; len < 100; len++) {
            byte[] packet = new byte[len];
            random.nextBytes(packet);
            byte[] sealed = a.seal(packet, 0, len);
            assertThat(sealed.length % cipher.blockSize()).isZero();
            assertThat(b.open(sealed, 0, sealed.length)).as("len %d", len).isEqualTo(packet);
        }
    }

    @Test
    void theFirstChainedFrameCarriesTheIvecHeaderAndLaterOnesDoNot() {
        VtunCrypto a = new VtunCrypto(VtunCipher.AES128CBC, PASSWORD);
        // VTUN.md §2.7: an 25-byte packet is 32 (ivec) + 16 (seq#) + 25 + 7 = 80 bytes
        assertThat(a.seal(new byte[25], 0, 25)).hasSize(80);
        assertThat(a.seal(new byte[25], 0, 25)).hasSize(48);
    }

    @Test
    void aLostChainedFrameIsDroppedAndTheResyncRecovers() {
        VtunCrypto a = new VtunCrypto(VtunCipher.AES256CBC, PASSWORD);
        VtunCrypto b = new VtunCrypto(VtunCipher.AES256CBC, PASSWORD);
        byte[] p = "hello over vtun".getBytes(StandardCharsets.US_ASCII);
        byte[] first = a.seal(p, 0, p.length);
        assertThat(b.open(first, 0, first.length)).isEqualTo(p);
        byte[] back = b.seal(p, 0, p.length);
        assertThat(a.open(back, 0, back.length)).isEqualTo(p);
        a.seal(p, 0, p.length); // lost
        a.seal(p, 0, p.length); // lost: b's CBC state is now two blocks behind
        byte[] garbled = a.seal(p, 0, p.length);
        assertThat(b.open(garbled, 0, garbled.length)).isNull();
        byte[] rsyn = b.seal(p, 0, p.length); // b's next frame asks a to start again
        assertThat(a.open(rsyn, 0, rsyn.length)).isEqualTo(p);
        byte[] again = a.seal(p, 0, p.length); // with a new ivec
        assertThat(b.open(again, 0, again.length)).isEqualTo(p);
    }

    @Test
    void garbageNeverThrowsOutOfOpen() {
        Random random = new Random(3);
        for (VtunCipher cipher : VtunCipher.values()) {
            if (cipher == VtunCipher.NO || !cipher.offered()) {
                continue;
            }
            VtunCrypto b = new VtunCrypto(cipher, PASSWORD);
            for (int i = 0; i < 200; i++) {
                byte[] junk = new byte[random.nextInt(80)];
                random.nextBytes(junk);
                b.open(junk, 0, junk.length);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zlib", "lzo"})
    void compressionRoundTripsAndStopsAtTheBound(String kind) {
        VtunFlags.Compress k = kind.equals("zlib") ? VtunFlags.Compress.ZLIB : VtunFlags.Compress.LZO;
        VtunCompression a = VtunCompression.of(k, 9);
        VtunCompression b = VtunCompression.of(k, 9);
        byte[] packet = "0123456789".repeat(140).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 5; i++) {
            byte[] c = a.compress(packet, 0, packet.length);
            assertThat(c.length).isLessThan(packet.length / 4);
            assertThat(b.decompress(c, 0, c.length, 2048)).isEqualTo(packet);
        }
        VtunCompression d = VtunCompression.of(k, 1);
        byte[] big = new byte[4000];
        byte[] c = VtunCompression.of(k, 1).compress(big, 0, big.length);
        assertThatThrownBy(() -> d.decompress(c, 0, c.length, 2048)).isInstanceOf(VtunFrameException.class);
        if (k == VtunFlags.Compress.ZLIB) {
            byte[] first = a.compress(packet, 0, packet.length);
            assertThat(first[first.length - 4]).isZero(); // Z_SYNC_FLUSH: ends 00 00 ff ff
            assertThat(first[first.length - 1]).isEqualTo((byte) 0xff);
        }
    }

    @Test
    void theLinkComposesCompressionAndEncryption() {
        VtunFlags flags = VtunFlags.parse("<TuL1KE10>");
        VtunLink a = new VtunLink(flags, PASSWORD, 2048);
        VtunLink b = new VtunLink(flags, PASSWORD, 2048);
        byte[] packet = "abcabcabc".repeat(100).getBytes(StandardCharsets.US_ASCII);
        byte[] payload = a.outbound(packet, 0, packet.length);
        assertThat(payload.length).isLessThan(packet.length);
        assertThat(b.inbound(payload, 0, payload.length)).isEqualTo(packet);
    }

    @Test
    void framesSplitAcrossReadsComeOutAsSlicesAndNothingIsLeftHeld() {
        VtunLink plain = new VtunLink(VtunFlags.parse("<TuK>"), PASSWORD, 2048);
        assertThat(plain.isPlain()).isTrue();
        assertThat(new VtunLink(VtunFlags.parse("<TuKE10>"), PASSWORD, 2048).isPlain()).isFalse();

        byte[] packet = new byte[1400];
        new Random(7).nextBytes(packet);
        ByteBuf wire = Unpooled.buffer();
        wire.writeShort(packet.length).writeBytes(packet);
        VtunFrames.writeControl(wire, VtunFrames.ECHO_REQ);
        wire.writeShort(3).writeBytes(new byte[] {1, 2, 3});
        ByteBuf first = wire.readRetainedSlice(700);
        ByteBuf rest = wire.readRetainedSlice(wire.readableBytes());
        wire.release();

        EmbeddedChannel ch = new EmbeddedChannel(new VtunFrameDecoder());
        ch.writeInbound(first);
        assertThat((Object) ch.readInbound()).as("half a frame waits for the rest").isNull();
        ch.writeInbound(rest);
        VtunFrameDecoder.Frame data = ch.readInbound();
        VtunFrameDecoder.Frame echo = ch.readInbound();
        VtunFrameDecoder.Frame small = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(data.payload())).isEqualTo(packet);
        assertThat(echo.control()).isEqualTo(VtunFrames.ECHO_REQ);
        assertThat(echo.payload()).isNull();
        assertThat(ByteBufUtil.getBytes(small.payload())).containsExactly(1, 2, 3);
        assertThat(ch.finish()).isFalse();

        assertThat(echo.release()).as("a control frame holds nothing").isFalse();
        data.release();
        small.release();
        assertThat(data.refCnt()).as("the frames, released").isZero();
        assertThat(small.refCnt()).isZero();
        assertThat(first.refCnt()).as("what was read").isZero();
        assertThat(rest.refCnt()).isZero(); // and what the decoder gathered them in: NettyLeakCheck after the class
    }
}
