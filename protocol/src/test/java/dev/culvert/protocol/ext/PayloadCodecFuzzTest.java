package dev.culvert.protocol.ext;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.protocol.testing.LeakWatch;
import dev.culvert.protocol.wire.ExtensionHeader;
import dev.culvert.protocol.wire.PacketRoom;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.zip.Deflater;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz targets for Culvert's extension header ({@link PayloadCodec#decode}) and both decompressors
 * ({@link ZlibCompression}, {@link Lz4Compression}). The contract: nothing is thrown; a decompressor either
 * produces exactly the declared length (never more: a decompression bomb stops at the bound) or says no and leaves
 * the destination's writer index alone; the codec returns a payload no longer than the caller's bound or null with
 * a verdict saying why; the plaintext is released unless it is the payload returned; no leak at PARANOID.
 *
 * <p>Decompressor input: bytes 0-1 the declared original length (u16 BE, as in the header), byte 2 picks raw
 * (below 0x80: the rest is the compressed stream) or made (the rest is compressed first, then its last few bytes are
 * flipped per byte 2's low bits), so that the fuzzer reaches both the format checks and the bounds. Codec input: byte
 * 0 bit 0 says tap (Ethernet), bits 1-2 pick the bound (65535, 1518, 1420, 64), bit 7 says round trip (the rest is
 * a payload to encode with byte 1's compression and decode again), else the rest is the plaintext to decode (its
 * first byte made the marker: the pipeline only decodes what {@link PayloadCodec#isExtended} says is extended).
 */
class PayloadCodecFuzzTest {
    static {
        LeakWatch.enable();
    }

    private static final int[] BOUNDS = {65_535, 1518, 1420, 64};
    private final ZlibCompression zlib = new ZlibCompression(6);
    private final Lz4Compression lz4 = new Lz4Compression();

    @AfterAll
    static void checkLeaksAfterGc() {
        LeakWatch.checkAfterGc();
    }

    @FuzzTest(maxDuration = "30s")
    void zlib(byte[] data) {
        decompress(zlib, data);
    }

    @FuzzTest(maxDuration = "30s")
    void lz4(byte[] data) {
        decompress(lz4, data);
    }

    @FuzzTest(maxDuration = "30s")
    void extensionHeader(byte[] data) {
        int mode = data.length == 0 ? 0 : data[0] & 0xFF;
        boolean ethernet = (mode & 1) != 0;
        int bound = BOUNDS[(mode >>> 1) & 3];
        if ((mode & 0x80) != 0 && data.length >= 2) {
            roundTrip(ethernet, data[1] & 3, Arrays.copyOfRange(data, 2, Math.min(data.length, 2 + bound)));
            return;
        }
        PayloadCodec codec = new PayloadCodec(ethernet, null, UnpooledByteBufAllocator.DEFAULT);
        int length = Math.max(0, data.length - 1);
        ByteBuf plain = Unpooled.directBuffer(PacketRoom.HEADROOM + length + PacketRoom.TAILROOM);
        plain.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        if (length > 0) {
            plain.writeBytes(data, 1, length);
            // The pipeline decodes only what starts with the marker (PayloadCodec.isExtended); so does this test.
            plain.setByte(PacketRoom.HEADROOM, ExtensionHeader.MARKER);
        }
        byte[] bytes = ByteBufUtil.getBytes(plain);
        ByteBuf payload = codec.decode(plain, bound);
        try {
            if (payload == null) {
                assertThat(plain.refCnt()).as("plaintext released").isZero();
                assertThat(codec.verdict()).isNotNull().isNotEqualTo(PayloadCodec.Verdict.OK);
                return;
            }
            assertThat(codec.verdict()).isEqualTo(PayloadCodec.Verdict.OK);
            byte[] header = Arrays.copyOfRange(bytes, 0, ExtensionHeader.LENGTH);
            int stored = (header[2] & 0xFF) << 8 | (header[3] & 0xFF);
            int original = (header[4] & 0xFF) << 8 | (header[5] & 0xFF);
            int compression = (header[1] & ExtensionHeader.COMPRESSION_MASK) >>> ExtensionHeader.COMPRESSION_SHIFT;
            assertThat(header[0] & 0xFF).isEqualTo(ExtensionHeader.MARKER);
            assertThat(header[1] & ExtensionHeader.RESERVED_MASK).isZero();
            assertThat(payload.readableBytes()).as("payload as declared, within the bound").isEqualTo(original)
                    .isLessThanOrEqualTo(bound);
            assertThat(codec.lastCompression()).isEqualTo(compression);
            assertThat(codec.lastWasEthernet()).isEqualTo((header[1] & ExtensionHeader.KIND_MASK) == 1);
            if (compression == 0) {
                assertThat(payload).as("uncompressed: the plaintext itself, moved past the header").isSameAs(plain);
                assertThat(ByteBufUtil.getBytes(payload))
                        .isEqualTo(Arrays.copyOfRange(bytes, ExtensionHeader.LENGTH, ExtensionHeader.LENGTH + stored));
            } else {
                assertThat(plain.refCnt()).as("compressed: plaintext released").isZero();
            }
        } finally {
            if (payload != null) {
                payload.release();
            }
            LeakWatch.check();
        }
    }

    /** encode then decode gives the payload back, whatever it is. */
    private static void roundTrip(boolean ethernet, int code, byte[] bytes) {
        Compression compression = switch (code) {
            case 1 -> new Lz4Compression();
            case 2 -> new ZlibCompression(1 + (bytes.length % 9));
            default -> null;
        };
        PayloadCodec codec = new PayloadCodec(ethernet, compression, UnpooledByteBufAllocator.DEFAULT);
        ByteBuf payload = Unpooled.directBuffer(PacketRoom.HEADROOM + bytes.length + PacketRoom.TAILROOM);
        payload.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM).writeBytes(bytes);
        ByteBuf sealed = codec.encode(payload);
        assertThat(sealed.readableBytes()).isLessThanOrEqualTo(ExtensionHeader.LENGTH + bytes.length);
        ByteBuf back = codec.decode(sealed, 65_535);
        try {
            assertThat(back).as("decoded (verdict %s)", codec.verdict()).isNotNull();
            assertThat(ByteBufUtil.getBytes(back)).isEqualTo(bytes);
            assertThat(codec.lastWasEthernet()).isEqualTo(ethernet);
        } finally {
            if (back != null) {
                back.release();
            }
            assertThat(payload.refCnt()).isZero();
            LeakWatch.check();
        }
    }

    private static void decompress(Compression c, byte[] data) {
        int original = data.length < 2 ? 0 : (data[0] & 0xFF) << 8 | (data[1] & 0xFF);
        int mode = data.length < 3 ? 0 : data[2] & 0xFF;
        byte[] rest = data.length < 3 ? new byte[0] : Arrays.copyOfRange(data, 3, data.length);
        byte[] stream;
        if (mode < 0x80) {
            stream = rest;
        } else {
            stream = compressed(c, rest);
            for (int i = 0; i < (mode & 0x07) && stream.length > 0; i++) {
                stream[stream.length - 1 - (i * 7 + mode) % stream.length] ^= (byte) (mode | 1);
            }
        }
        ByteBuf src = Unpooled.directBuffer(stream.length + 8);
        src.writerIndex(4).writeBytes(stream);
        // The destination as PayloadCodec allocates it: the headroom, exactly the declared length, the tailroom.
        ByteBuf dst = Unpooled.directBuffer(PacketRoom.HEADROOM + Math.max(original, 1) + PacketRoom.TAILROOM);
        dst.setIndex(PacketRoom.HEADROOM, PacketRoom.HEADROOM);
        int capacity = dst.capacity();
        try {
            boolean ok = c.decompress(src, 4, stream.length, dst, original);
            assertThat(dst.capacity()).as("never grows the destination").isEqualTo(capacity);
            assertThat(src.readerIndex()).isZero();
            if (ok) {
                assertThat(dst.readableBytes()).as("exactly the declared length").isEqualTo(original);
                if (mode >= 0x80 && (mode & 0x07) == 0) {
                    assertThat(ByteBufUtil.getBytes(dst)).isEqualTo(rest);
                }
            } else {
                assertThat(dst.readableBytes()).as("nothing written on failure").isZero();
                if (mode >= 0x80 && (mode & 0x07) == 0) {
                    // An unchanged stream only fails if the declared length is not the real one.
                    assertThat(original).isNotEqualTo(rest.length);
                }
            }
        } finally {
            src.release();
            dst.release();
            LeakWatch.check();
        }
    }

    /** {@code bytes} compressed by c's format (whether or not that is smaller), as a peer would send them. */
    private static byte[] compressed(Compression c, byte[] bytes) {
        if (c instanceof Lz4Compression) {
            return LZ4Factory.safeInstance().fastCompressor().compress(bytes);
        }
        Deflater deflater = new Deflater(6);
        deflater.setInput(bytes);
        deflater.finish();
        byte[] out = new byte[bytes.length + 64];
        int n = deflater.deflate(out);
        deflater.end();
        return Arrays.copyOf(out, n);
    }

    // ------------------------------------------------------------------ decompression bombs

    /** 8 MiB of zeros in zlib: about 8 KiB on the wire, within one stored length; each declared length is refused. */
    @Test
    void zlibBombStopsAtTheBound() {
        byte[] bomb = compressed(zlib, new byte[8 << 20]);
        assertThat(bomb.length).isLessThan(65_535);
        for (int declared : new int[] {0, 1, 1420, 65_535}) {
            decompress(zlib, withDeclared(declared, bomb));
        }
        assertThat(decodeBomb(2, bomb)).isEqualTo(PayloadCodec.Verdict.CORRUPT);
    }

    /** LZ4 tops out near 255:1, so the largest stored length holds about 16 MiB of zeros; each declared length is refused. */
    @Test
    void lz4BombStopsAtTheBound() {
        byte[] bomb = compressed(lz4, new byte[8 << 20]);
        assertThat(bomb.length).isLessThan(65_535);
        for (int declared : new int[] {0, 1, 1420, 65_535}) {
            decompress(lz4, withDeclared(declared, bomb));
        }
        assertThat(decodeBomb(1, bomb)).isEqualTo(PayloadCodec.Verdict.CORRUPT);
    }

    /** The raw-mode input for a declared length and a compressed stream. */
    private static byte[] withDeclared(int declared, byte[] stream) {
        byte[] input = new byte[3 + stream.length];
        input[0] = (byte) (declared >>> 8);
        input[1] = (byte) declared;
        System.arraycopy(stream, 0, input, 3, stream.length);
        return input;
    }

    /** A tun tunnel's decode of an extension header declaring 1400 bytes in front of the bomb. */
    private static PayloadCodec.Verdict decodeBomb(int code, byte[] bomb) {
        PayloadCodec codec = new PayloadCodec(false, null, UnpooledByteBufAllocator.DEFAULT);
        ByteBuf plain = Unpooled.directBuffer(ExtensionHeader.LENGTH + bomb.length);
        plain.writeByte(ExtensionHeader.MARKER).writeByte(code << ExtensionHeader.COMPRESSION_SHIFT)
                .writeShort(bomb.length).writeShort(1400).writeBytes(bomb);
        ByteBuf out = codec.decode(plain, 65_535);
        assertThat(out).isNull();
        assertThat(plain.refCnt()).isZero();
        return codec.verdict();
    }
}
