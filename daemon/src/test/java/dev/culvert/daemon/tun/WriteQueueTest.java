package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class WriteQueueTest {

    @Test
    void boundedByPackets() {
        WriteQueue queue = new WriteQueue(2, 1_000);
        ByteBuf a = bytes(10);
        ByteBuf b = bytes(10);
        ByteBuf c = bytes(10);

        assertThat(queue.offer(a)).isTrue();
        assertThat(queue.offer(b)).isTrue();
        assertThat(queue.offer(c)).isFalse();
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.bytes()).isEqualTo(20);
        c.release();
        queue.releaseAll();
    }

    @Test
    void boundedByBytes() {
        WriteQueue queue = new WriteQueue(100, 25);
        ByteBuf a = bytes(10);
        ByteBuf b = bytes(10);
        ByteBuf c = bytes(10);

        assertThat(queue.offer(a)).isTrue();
        assertThat(queue.offer(b)).isTrue();
        assertThat(queue.offer(c)).isFalse();
        c.release();
        queue.releaseAll();
    }

    @Test
    void isFifoAndTracksBytes() {
        WriteQueue queue = new WriteQueue(10, 1_000);
        ByteBuf a = bytes(3);
        ByteBuf b = bytes(5);
        queue.offer(a);
        queue.offer(b);

        assertThat(queue.peek()).isSameAs(a);
        assertThat(queue.poll()).isSameAs(a);
        assertThat(queue.bytes()).isEqualTo(5);
        assertThat(queue.poll()).isSameAs(b);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.bytes()).isZero();
        a.release();
        b.release();
    }

    @Test
    void releaseAllReleasesEveryQueuedBuffer() {
        WriteQueue queue = new WriteQueue(10, 1_000);
        ByteBuf a = bytes(3);
        ByteBuf b = bytes(5);
        queue.offer(a);
        queue.offer(b);

        assertThat(queue.releaseAll()).isEqualTo(2);
        assertThat(a.refCnt()).isZero();
        assertThat(b.refCnt()).isZero();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void rejectsNonPositiveBounds() {
        assertThatThrownBy(() -> new WriteQueue(0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new WriteQueue(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.directBuffer(n).writeZero(n);
    }
}
