package dev.culvert.protocol.leak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** The positive control: a buffer dropped without release() is reported, and the report fails. */
class NettyLeakCheckTest {

    @Test
    void aDroppedBufferFailsTheCheckAndAReleasedOneDoesNot() throws InterruptedException {
        // Under the build (surefire's argLine) the check is installed; a run from an IDE without it proves nothing.
        assumeTrue(NettyLeakCheck.installed() || System.getenv("CI") != null, "leak detector not installed");
        assertThat(NettyLeakCheck.installed()).as("CountingLeakDetector installed by the argLine").isTrue();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);

        ByteBuf kept = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        kept.writeLong(1);
        kept.release();
        NettyLeakCheck.requireNoLeak("a released buffer");

        leakOne();
        assertThatThrownBy(() -> NettyLeakCheck.requireNoLeak("a dropped buffer"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("1 Netty resource leak(s)")
                .hasMessageContaining("ByteBuf leaked")
                .hasMessageContaining("NettyLeakCheckTest.leakOne");
        assertThat(CountingLeakDetector.reports()).as("forgotten once failed on").isEmpty();
    }

    private static void leakOne() {
        PooledByteBufAllocator.DEFAULT.directBuffer(64).writeLong(2); // never released
    }
}
