package dev.culvert.protocol.offload;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.offload.GroPackets.Spec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link CoalescingHandler} in a channel: writes held until flush, order kept, nothing leaked on close. */
class CoalescingHandlerTest {
    private static final DeviceOffloads ALL = new DeviceOffloads(true, true, true, true, true, true);

    private final Counters counters = new Counters();
    private final EmbeddedChannel ch = new EmbeddedChannel(new CoalescingHandler(ALL, false, counters));

    @AfterEach
    void finish() {
        ch.finishAndReleaseAll();
    }

    private List<ByteBuf> writeFlow(int segments) {
        List<ByteBuf> written = new ArrayList<>();
        Spec s = new Spec();
        for (int i = 0; i < segments; i++) {
            ByteBuf b = s.buf();
            written.add(b);
            ch.write(b, ch.voidPromise()); // as WireGuardHandler delivers: void promise, not flushed
            s = s.next();
        }
        return written;
    }

    @Test
    void writesAreHeldUntilFlushAndLeaveAsOneSuperPacket() {
        List<ByteBuf> written = writeFlow(4);
        ch.runPendingTasks();
        assertThat(ch.outboundMessages()).isEmpty();

        ch.flush();

        assertThat(ch.outboundMessages()).hasSize(1);
        ByteBuf out = ch.readOutbound();
        assertThat(VirtioNetHdr.gsoType(out, out.readerIndex())).isEqualTo(VirtioNetHdr.GSO_TCPV4);
        assertThat(GroPackets.segment(out, 0)).hasSize(4);
        out.release();
        assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void aWriteWithItsOwnPromiseGoesAfterTheHeldPackets() {
        writeFlow(2);
        ByteBuf icmp = new Spec().with(s -> s.protocol = 1).buf();
        ChannelPromise promise = ch.newPromise();
        ch.write(icmp, promise);
        ch.flush();

        assertThat(promise.isSuccess()).isTrue();
        ByteBuf merged = ch.readOutbound();
        ByteBuf single = ch.readOutbound();
        assertThat(VirtioNetHdr.gsoType(merged, merged.readerIndex())).isEqualTo(VirtioNetHdr.GSO_TCPV4);
        assertThat(single).isSameAs(icmp);
        assertThat(single.getLong(single.readerIndex())).isZero();
        merged.release();
        single.release();
    }

    @Test
    void otherMessagesPassAfterTheHeldPackets() {
        writeFlow(1);
        ch.writeAndFlush("not a packet");

        ByteBuf first = ch.readOutbound();
        assertThat(first).isNotNull();
        first.release();
        assertThat((Object) ch.readOutbound()).isEqualTo("not a packet");
    }

    @Test
    void closingReleasesAndCountsHeldPackets() {
        List<ByteBuf> written = writeFlow(3);
        ch.close();

        assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(counters.drops(DropReason.DEVICE_ERROR)).isEqualTo(3);
    }

    @Test
    void removingTheHandlerReleasesHeldPackets() {
        List<ByteBuf> written = writeFlow(2);
        ch.pipeline().remove(CoalescingHandler.class);

        assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(counters.drops(DropReason.DEVICE_ERROR)).isEqualTo(2);
    }

    @Test
    void aDeviceWithoutTheVirtioNetHeaderIsRefused() {
        assertThatThrownBy(() -> new CoalescingHandler(DeviceOffloads.NONE, false, counters))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
