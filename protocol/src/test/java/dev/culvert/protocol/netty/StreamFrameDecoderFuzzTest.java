package dev.culvert.protocol.netty;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.protocol.testing.LeakWatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.AfterAll;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz target for {@link StreamFrameDecoder}, the TCP transport's framing: whatever the stream holds and
 * however it is cut into reads, the decoder passes on exactly the messages an independent reading of the stream
 * finds (each at most the bound), raises one {@link CorruptedFrameException} and nothing after it when a length is
 * above the bound, and releases every read buffer and every gathered message (PARANOID leak detection on for the
 * decoder's buffers).
 *
 * <p>Input: byte 0 picks the bound (its low 7 bits: 0 the protocol's 65535, else that times 16), byte 1 the read
 * sizes (a seed for a small generator: 1 to 64 bytes, or everything at once when 0), the rest is the stream.
 */
class StreamFrameDecoderFuzzTest {
    static {
        LeakWatch.enable();
    }

    @AfterAll
    static void checkLeaksAfterGc() {
        LeakWatch.checkAfterGc();
    }

    @FuzzTest(maxDuration = "30s")
    void frames(byte[] data) {
        int maxFrame = data.length == 0 || (data[0] & 0x7F) == 0 ? 0xFFFF : (data[0] & 0x7F) * 16;
        int seed = data.length < 2 ? 0 : data[1] & 0xFF;
        // At most 4 KiB of stream: enough for every decision (bounds are chosen small too), and fast to run.
        byte[] stream = data.length < 2 ? new byte[0] : Arrays.copyOfRange(data, 2, Math.min(data.length, 2 + 4096));

        // The reference: read the stream message by message.
        List<byte[]> expected = new ArrayList<>();
        boolean expectCorrupt = false;
        int at = 0;
        while (stream.length - at >= 2) {
            int length = (stream[at] & 0xFF) << 8 | (stream[at + 1] & 0xFF);
            if (length > maxFrame) {
                expectCorrupt = true;
                break;
            }
            if (stream.length - at - 2 < length) {
                break;
            }
            expected.add(Arrays.copyOfRange(stream, at + 2, at + 2 + length));
            at += 2 + length;
        }

        List<byte[]> got = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(maxFrame), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf m = (ByteBuf) msg;
                try {
                    got.add(ByteBufUtil.getBytes(m));
                } finally {
                    m.release();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        List<ByteBuf> reads = new ArrayList<>();
        int state = seed;
        for (int from = 0; from < stream.length; ) {
            int size;
            if (seed == 0) {
                size = stream.length;
            } else {
                state = state * 1103515245 + 12345;
                size = 1 + ((state >>> 16) & 0x3F);
            }
            size = Math.min(size, stream.length - from);
            // Heap reads (checked by refCnt below): tracking each of them would cost a stack trace per read; the
            // decoder's own buffers (a message split across reads) come from the channel's allocator and are tracked.
            ByteBuf read = Unpooled.buffer(size).writeBytes(stream, from, size);
            reads.add(read);
            channel.writeInbound(read);
            from += size;
        }
        channel.finishAndReleaseAll();

        for (ByteBuf read : reads) {
            assertThat(read.refCnt()).as("read buffer released").isZero();
        }
        assertThat(got).as("messages passed on").hasSize(expected.size());
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i)).as("message %d", i).isEqualTo(expected.get(i));
            assertThat(got.get(i).length).isLessThanOrEqualTo(maxFrame);
        }
        if (expectCorrupt) {
            assertThat(errors).as("one error for a length above the bound").hasSize(1);
            assertThat(errors.get(0)).isInstanceOf(CorruptedFrameException.class);
        } else {
            assertThat(errors).isEmpty();
        }
        LeakWatch.check();
    }
}
