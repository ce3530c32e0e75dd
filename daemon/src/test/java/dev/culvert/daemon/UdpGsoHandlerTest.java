package dev.culvert.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which datagrams {@link UdpGsoHandler} joins into one segmented send, and its fallback on EIO/EINVAL. */
class UdpGsoHandlerTest {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 51820);
    private static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 51820);

    private final UdpGsoHandler gso = new UdpGsoHandler();

    /** Netty's {@code Errors} (the errno values a refused send carries) needs the epoll native library loaded. */
    @org.junit.jupiter.api.BeforeAll
    static void loadNative() {
        io.netty.channel.epoll.Epoll.ensureAvailability();
    }
    private final List<ByteBuf> written = new ArrayList<>();
    private final List<Throwable> errors = new ArrayList<>();
    private int seed;

    @AfterEach
    void releaseAll() {
        written.forEach(b -> {
            if (b.refCnt() > 0) {
                b.release(b.refCnt());
            }
        });
    }

    private DatagramPacket packet(int length, InetSocketAddress to) {
        ByteBuf buf = Unpooled.directBuffer(length);
        for (int i = 0; i < length; i++) {
            buf.writeByte(seed * 31 + i);
        }
        seed++;
        written.add(buf);
        return new DatagramPacket(buf, to);
    }

    private EmbeddedChannel channel(ChannelOutboundHandlerAdapter socket) {
        EmbeddedChannel ch = new EmbeddedChannel();
        if (socket != null) {
            ch.pipeline().addLast(socket);
        }
        ch.pipeline().addLast(gso, new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        return ch;
    }

    /** Writes each with the void promise, as the engine does, then flushes once. */
    private static List<Object> burst(EmbeddedChannel ch, List<DatagramPacket> packets) {
        for (DatagramPacket p : packets) {
            ch.write(p, ch.voidPromise());
        }
        ch.flush();
        List<Object> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            out.add(o);
        }
        return out;
    }

    private static byte[] bytesOf(List<DatagramPacket> packets) {
        ByteBuf all = Unpooled.buffer();
        packets.forEach(p -> all.writeBytes(p.content(), p.content().readerIndex(), p.content().readableBytes()));
        return ByteBufUtil.getBytes(all);
    }

    @Test
    void equalDatagramsToOnePeerLeaveAsOneSegmentedSendWithTheShorterLastAndNoCopy() {
        EmbeddedChannel ch = channel(null);
        List<DatagramPacket> in = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            in.add(packet(1200, A));
        }
        in.add(packet(300, A));
        byte[] expected = bytesOf(in);
        List<ByteBuf> originals = in.stream().map(DatagramPacket::content).toList();

        List<Object> out = burst(ch, in);

        assertThat(out).hasSize(1);
        SegmentedDatagramPacket seg = (SegmentedDatagramPacket) out.get(0);
        assertThat(seg.segmentSize()).isEqualTo(1200);
        assertThat(seg.recipient()).isEqualTo(A);
        assertThat(ByteBufUtil.getBytes(seg.content())).isEqualTo(expected);
        CompositeByteBuf composite = (CompositeByteBuf) seg.content();
        assertThat(composite.numComponents()).isEqualTo(6);
        for (int i = 0; i < 6; i++) {
            assertThat(composite.internalComponent(i).unwrap() == originals.get(i)
                    || composite.internalComponent(i) == originals.get(i)).as("component %d is the datagram's own buffer", i)
                    .isTrue();
        }
        assertThat(gso.segmentedSends()).isEqualTo(1);
        assertThat(gso.segmentedDatagrams()).isEqualTo(6);
        seg.release();
        assertThat(originals).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        ch.finishAndReleaseAll();
    }

    @Test
    void aRunEndsAtAnotherPeerALongerDatagramAfterAShorterOneAndALoneDatagramGoesAsItCame() {
        EmbeddedChannel ch = channel(null);
        DatagramPacket a1 = packet(1000, A);
        DatagramPacket a2 = packet(1000, A);
        DatagramPacket b1 = packet(1000, B);
        DatagramPacket a3 = packet(800, A);
        DatagramPacket a4 = packet(600, A);
        DatagramPacket a5 = packet(900, A);

        List<Object> out = burst(ch, List.of(a1, a2, b1, a3, a4, a5));

        assertThat(out).hasSize(4);
        assertThat(out.get(0)).isInstanceOf(SegmentedDatagramPacket.class);
        assertThat(((SegmentedDatagramPacket) out.get(0)).content().readableBytes()).isEqualTo(2000);
        assertThat(out.get(1)).isSameAs(b1);
        // 800 then a shorter 600 is a run whose last is short; the 900 after it starts alone.
        assertThat(out.get(2)).isInstanceOf(SegmentedDatagramPacket.class);
        assertThat(((SegmentedDatagramPacket) out.get(2)).segmentSize()).isEqualTo(800);
        assertThat(((SegmentedDatagramPacket) out.get(2)).content().readableBytes()).isEqualTo(1400);
        assertThat(out.get(3)).isSameAs(a5);
        out.forEach(o -> ((DatagramPacket) o).release());
        ch.finishAndReleaseAll();
    }

    @Test
    void aRunHoldsAtMost64SegmentsAnd65000Bytes() {
        EmbeddedChannel ch = channel(null);
        List<DatagramPacket> small = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            small.add(packet(100, A));
        }
        List<Object> out = burst(ch, small);
        assertThat(out).hasSize(2);
        assertThat(((DatagramPacket) out.get(0)).content().readableBytes()).isEqualTo(64 * 100);
        assertThat(((DatagramPacket) out.get(1)).content().readableBytes()).isEqualTo(6 * 100);
        out.forEach(o -> ((DatagramPacket) o).release());

        List<DatagramPacket> big = new ArrayList<>();
        for (int i = 0; i < 47; i++) {
            big.add(packet(1400, A));
        }
        out = burst(ch, big);
        assertThat(out).hasSize(2);
        assertThat(((DatagramPacket) out.get(0)).content().readableBytes()).isEqualTo(46 * 1400);
        assertThat(out.get(1)).isSameAs(big.get(46));
        out.forEach(o -> ((DatagramPacket) o).release());
        ch.finishAndReleaseAll();
    }

    @Test
    void aWriteWithItsOwnPromisePassesUnbatchedInOrder() {
        EmbeddedChannel ch = channel(null);
        DatagramPacket a1 = packet(500, A);
        DatagramPacket a2 = packet(500, A);
        DatagramPacket own = packet(500, A);
        ch.write(a1, ch.voidPromise());
        ch.write(a2, ch.voidPromise());
        ChannelPromise promise = ch.newPromise();
        ch.write(own, promise);
        ch.flush();
        Object first = ch.readOutbound();
        Object second = ch.readOutbound();
        assertThat(first).isInstanceOf(SegmentedDatagramPacket.class);
        assertThat(second).isSameAs(own);
        assertThat((Object) ch.readOutbound()).isNull();
        ((DatagramPacket) first).release();
        own.release();
        ch.finishAndReleaseAll();
    }

    /** The socket refuses segmented sends the way the kernel does when the egress device cannot segment. */
    private static ChannelOutboundHandlerAdapter refusingSegmentation(int errno) {
        return refusingSegmentationAbove(0, errno);
    }

    /** The socket refuses segmented sends whose segments are larger than {@code mtu} bytes (the path MTU). */
    private static ChannelOutboundHandlerAdapter refusingSegmentationAbove(int mtu, int errno) {
        return new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof SegmentedDatagramPacket seg && seg.segmentSize() > mtu) {
                    seg.release();
                    promise.setFailure(new Errors.NativeIoException("sendmmsg", -errno));
                } else {
                    ctx.write(msg, promise);
                }
            }
        };
    }

    @Test
    void eioSwitchesGsoOffOnceAndTheRefusedRunAndLaterBurstsGoOneByOneWithNothingLost() {
        EmbeddedChannel ch = channel(refusingSegmentation(5));
        List<DatagramPacket> first = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            first.add(packet(1300, A));
        }
        byte[] expected = bytesOf(first);
        List<ByteBuf> buffers = first.stream().map(DatagramPacket::content).toList();

        List<Object> resent = burst(ch, first);

        assertThat(gso.enabled()).isFalse();
        assertThat(gso.fallbacks()).isEqualTo(1);
        assertThat(errors).isEmpty();
        assertThat(resent).hasSize(10).allSatisfy(o -> assertThat(o).isNotInstanceOf(SegmentedDatagramPacket.class));
        assertThat(bytesOf(resent.stream().map(o -> (DatagramPacket) o).toList())).isEqualTo(expected);
        assertThat(resent).allSatisfy(o -> assertThat(((DatagramPacket) o).recipient()).isEqualTo(A));
        assertThat(buffers).allSatisfy(b -> assertThat(b.refCnt()).as("only the resent packet's reference").isOne());
        resent.forEach(o -> ((DatagramPacket) o).release());

        List<DatagramPacket> second = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            second.add(packet(1300, A));
        }
        List<Object> out = burst(ch, second);
        assertThat(out).containsExactlyElementsOf(second);
        assertThat(gso.fallbacks()).isEqualTo(1);
        out.forEach(o -> ((DatagramPacket) o).release());
        ch.finishAndReleaseAll();
    }

    @Test
    void einvalFallsBackTooButAnyOtherErrorIsASocketErrorAndGsoStaysOn() {
        DatagramPacket p1 = packet(1000, A);
        DatagramPacket p2 = packet(1000, A);
        EmbeddedChannel unreachable = channel(refusingSegmentation(101)); // ENETUNREACH
        assertThat(burst(unreachable, List.of(p1, p2))).isEmpty();
        assertThat(gso.enabled()).isTrue();
        assertThat(errors).hasSize(1);
        assertThat(p1.content().refCnt()).isZero();
        assertThat(p2.content().refCnt()).isZero();
        unreachable.finishAndReleaseAll();

        UdpGsoHandler other = new UdpGsoHandler();
        EmbeddedChannel ch = new EmbeddedChannel(refusingSegmentation(22), other);
        List<Object> out = burst(ch, List.of(packet(1000, B), packet(1000, B)));
        assertThat(other.enabled()).isFalse();
        assertThat(out).hasSize(2);
        out.forEach(o -> ((DatagramPacket) o).release());
        ch.finishAndReleaseAll();
    }

    /**
     * EMSGSIZE (segments above the path MTU: a tap at 1500 over a 1500-byte underlay) costs only datagrams that
     * large: the refused run is re-sent one by one, as are later ones of that size; smaller runs stay segmented.
     */
    @Test
    void emsgsizeSendsOnlyThatSizeAndLargerOneByOneSmallerRunsStaySegmented() {
        EmbeddedChannel ch = channel(refusingSegmentationAbove(1200, 90));
        List<DatagramPacket> large = List.of(packet(1300, A), packet(1300, A), packet(1300, A));
        byte[] expected = bytesOf(large);

        List<Object> resent = burst(ch, large);

        assertThat(gso.enabled()).isTrue();
        assertThat(gso.fallbacks()).isZero();
        assertThat(gso.sizeFallbacks()).isEqualTo(1);
        assertThat(gso.maxSegment()).isEqualTo(1299);
        assertThat(errors).isEmpty();
        assertThat(resent).hasSize(3).allSatisfy(o -> assertThat(o).isNotInstanceOf(SegmentedDatagramPacket.class));
        assertThat(bytesOf(resent.stream().map(o -> (DatagramPacket) o).toList())).isEqualTo(expected);
        resent.forEach(o -> ((DatagramPacket) o).release());

        List<DatagramPacket> sameSize = List.of(packet(1300, A), packet(1300, A));
        List<Object> out = burst(ch, sameSize);
        assertThat(out).containsExactlyElementsOf(sameSize);
        out.forEach(o -> ((DatagramPacket) o).release());

        List<Object> small = burst(ch, List.of(packet(1000, A), packet(1000, A), packet(1000, A)));
        assertThat(small).hasSize(1).allSatisfy(o -> assertThat(o).isInstanceOf(SegmentedDatagramPacket.class));
        assertThat(gso.sizeFallbacks()).isEqualTo(1);
        small.forEach(o -> ((SegmentedDatagramPacket) o).release());
        ch.finishAndReleaseAll();
    }
}
