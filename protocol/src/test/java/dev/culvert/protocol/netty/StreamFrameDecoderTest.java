package dev.culvert.protocol.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link StreamFrameDecoder}: messages cut out in place, split ones gathered, bad lengths refused. */
class StreamFrameDecoderTest {
    private final List<Throwable> errors = new ArrayList<>();

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new StreamFrameDecoder(1500), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
    }

    /** Three messages of 1, 700 and 1500 bytes, framed, as one stream. */
    private static byte[] stream(List<byte[]> messages) {
        ByteBuf s = Unpooled.buffer();
        for (byte[] m : messages) {
            s.writeShort(m.length).writeBytes(m);
        }
        return ByteBufUtil.getBytes(s);
    }

    private static List<byte[]> messages() {
        List<byte[]> all = new ArrayList<>();
        int[] sizes = {1, 700, 1500};
        for (int i = 0; i < sizes.length; i++) {
            byte[] m = new byte[sizes[i]];
            for (int j = 0; j < m.length; j++) {
                m[j] = (byte) (i * 7 + j);
            }
            all.add(m);
        }
        return all;
    }

    @Test
    void everySplitOfTheStreamYieldsTheSameMessagesAndLeaksNothing() {
        List<byte[]> messages = messages();
        byte[] stream = stream(messages);
        for (int cut1 = 0; cut1 <= stream.length; cut1 += 7) {
            for (int cut2 = cut1; cut2 <= stream.length; cut2 += 331) {
                EmbeddedChannel ch = channel();
                List<ByteBuf> reads = List.of(Unpooled.directBuffer().writeBytes(stream, 0, cut1),
                        Unpooled.directBuffer().writeBytes(stream, cut1, cut2 - cut1),
                        Unpooled.directBuffer().writeBytes(stream, cut2, stream.length - cut2));
                reads.forEach(ch::writeInbound);
                for (byte[] expected : messages) {
                    ByteBuf got = ch.readInbound();
                    assertThat(got).as("cuts %d %d", cut1, cut2).isNotNull();
                    assertThat(ByteBufUtil.getBytes(got)).isEqualTo(expected);
                    got.release();
                }
                assertThat((Object) ch.readInbound()).isNull();
                assertThat(reads).allSatisfy(r -> assertThat(r.refCnt()).isZero());
                assertThat(ch.finish()).isFalse();
            }
        }
        assertThat(errors).isEmpty();
    }


    @Test
    void messagesWithinOneReadAreSlicesOfItAndOneSplitAcrossReadsHasItsOwnBuffer() {
        List<byte[]> messages = messages();
        byte[] stream = stream(messages);
        EmbeddedChannel ch = channel();
        int cut = 2 + 1 + 2 + 700 + 100; // inside the third message
        ByteBuf first = Unpooled.directBuffer().writeBytes(stream, 0, cut);
        ByteBuf second = Unpooled.directBuffer().writeBytes(stream, cut, stream.length - cut);
        ch.writeInbound(first);
        ByteBuf m1 = ch.readInbound();
        ByteBuf m2 = ch.readInbound();
        // Compared by the buffers underneath: under the build's PARANOID leak detection every buffer and slice is
        // wrapped in a leak-aware view.
        assertThat(root(m1)).isNotSameAs(m1).isSameAs(root(first));
        assertThat(root(m2)).isNotSameAs(m2).isSameAs(root(first));
        ch.writeInbound(second);
        ByteBuf m3 = ch.readInbound();
        assertThat(root(m3)).as("a buffer of its own, no view of the read's").isNotSameAs(root(first))
                .isNotSameAs(root(second));
        assertThat(m3.readerIndex()).as("the length field's room before it").isEqualTo(2);
        assertThat(ByteBufUtil.getBytes(m3)).isEqualTo(messages.get(2));
        m1.release();
        m2.release();
        m3.release();
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        ch.finish();
    }

    @Test
    void aZeroLengthFrameIsAnEmptyMessageAndTheStreamGoesOn() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.buffer().writeShort(0).writeShort(1).writeByte(9));
        ByteBuf empty = ch.readInbound();
        assertThat(empty.readableBytes()).isZero();
        empty.release();
        ByteBuf next = ch.readInbound();
        assertThat(ByteBufUtil.getBytes(next)).containsExactly(9);
        next.release();
        assertThat(errors).isEmpty();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void oversizedLengthsAreCorruptionAndWhatFollowsIsDropped() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.buffer().writeShort(1501).writeByte(1));
        assertThat(errors).singleElement().isInstanceOf(CorruptedFrameException.class);
        ByteBuf after = Unpooled.buffer().writeShort(1).writeByte(9);
        ch.writeInbound(after);
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(after.refCnt()).isZero();

        EmbeddedChannel split = channel();
        split.writeInbound(Unpooled.buffer().writeByte(0x07)); // half a length field: 0x07xx > 1500
        split.writeInbound(Unpooled.buffer().writeByte(0xFF));
        assertThat(errors).hasSize(2);
        assertThat(errors.get(1)).hasMessageContaining("exceeds the bound of 1500");
    }

    @Test
    void aPartialMessageIsReleasedWhenTheConnectionCloses() {
        List<ByteBuf> allocated = new ArrayList<>();
        EmbeddedChannel ch = channel();
        ch.config().setAllocator(new io.netty.buffer.AbstractByteBufAllocator(false) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                ByteBuf b = Unpooled.buffer(initialCapacity, maxCapacity);
                allocated.add(b);
                return b;
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                return newHeapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        });
        ch.writeInbound(Unpooled.buffer().writeShort(1000).writeZero(10));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(allocated).singleElement().satisfies(b -> assertThat(b.refCnt()).isOne());
        ch.close();
        assertThat(allocated.get(0).refCnt()).isZero();
    }

    /** The buffer under any slices and leak-aware wrappers. */
    private static ByteBuf root(ByteBuf buf) {
        ByteBuf at = buf;
        while (at.unwrap() != null) {
            at = at.unwrap();
        }
        return at;
    }
}
