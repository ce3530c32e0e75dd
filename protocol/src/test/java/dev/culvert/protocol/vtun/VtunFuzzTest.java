package dev.culvert.protocol.vtun;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Jazzer fuzz targets for the vtun-legacy decoders (issue 12): the TCP frame decoder, the LZO and zlib decompressors
 * and the whole inbound transform ({@link VtunLink#inbound}). The contract: nothing but {@link VtunFrameException}
 * is thrown (the session closes); what comes out is never larger than the bound; the decoder never holds more than
 * one frame's bytes.
 *
 * <p>Frames input: the bytes of a TCP stream, fed in two parts (byte 0 says where to cut). Decompressor input: the
 * frame payload. Link input: byte 0 picks the cipher (low nibble, 0 none, else the offered ciphers in order) and the
 * compressor (bits 4-5: none, lzo, zlib); the rest is a frame payload.
 */
class VtunFuzzTest {
    private static final int BOUND = VtunFrames.FRAME_SIZE;
    private static final byte[] PASSWORD = "Ma&^TU".getBytes(StandardCharsets.US_ASCII);
    private static final VtunCipher[] CIPHERS = {VtunCipher.NO, VtunCipher.BLOWFISH128ECB, VtunCipher.OLDBLOWFISH128ECB,
        VtunCipher.AES128ECB, VtunCipher.AES128CBC, VtunCipher.AES128CFB, VtunCipher.AES128OFB, VtunCipher.AES256ECB,
        VtunCipher.AES256CBC, VtunCipher.AES256CFB, VtunCipher.AES256OFB};

    @FuzzTest(maxDuration = "30s")
    void frames(byte[] data) {
        EmbeddedChannel ch = new EmbeddedChannel(new VtunFrameDecoder());
        int cut = data.length == 0 ? 0 : Math.min(data.length, data[0] & 0xff);
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(data, 0, cut)));
            ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(data, cut, data.length)));
        } catch (DecoderException e) {
            assertThat(e.getCause() == null ? e : e.getCause()).isInstanceOf(VtunFrameException.class);
        }
        Object frame;
        while ((frame = ch.readInbound()) != null) {
            VtunFrameDecoder.Frame f = (VtunFrameDecoder.Frame) frame;
            if (f.control() == 0) {
                assertThat(f.payload().readableBytes()).isBetween(1, VtunFrames.MAX_PAYLOAD);
                f.release();
            } else {
                assertThat(f.payload()).isNull();
                assertThat(f.control()).isIn(VtunFrames.CONN_CLOSE, VtunFrames.ECHO_REQ, VtunFrames.ECHO_REP);
            }
        }
        ch.finishAndReleaseAll(); // a broken decoder discarded the rest: nothing is thrown again at the close
    }

    @FuzzTest(maxDuration = "30s")
    void lzo(byte[] data) {
        decompress(new VtunCompression.Lzo(), data);
    }

    @FuzzTest(maxDuration = "30s")
    void zlib(byte[] data) {
        decompress(new VtunCompression.Zlib(1), data);
    }

    @FuzzTest(maxDuration = "30s")
    void link(byte[] data) {
        if (data.length == 0) {
            return;
        }
        VtunCipher cipher = CIPHERS[(data[0] & 0x0f) % CIPHERS.length];
        VtunFlags.Compress compress = VtunFlags.Compress.values()[((data[0] >> 4) & 3) % 3];
        VtunFlags flags = new VtunFlags(false, 'u', compress, compress == VtunFlags.Compress.NO ? 0 : 1, false,
                cipher, 0);
        try (VtunLink link = new VtunLink(flags, PASSWORD, BOUND)) {
            byte[] packet = link.inbound(data, 1, data.length - 1);
            if (packet != null) {
                assertThat(packet.length).isLessThanOrEqualTo(BOUND);
            }
        } catch (VtunFrameException expected) {
            // the session closes: fine
        }
    }

    private static void decompress(VtunCompression c, byte[] data) {
        try {
            byte[] out = c.decompress(data, 0, data.length, BOUND);
            assertThat(out.length).isLessThanOrEqualTo(BOUND);
        } catch (VtunFrameException expected) {
            // malformed or over the bound: the session closes
        } finally {
            c.close();
        }
    }
}
