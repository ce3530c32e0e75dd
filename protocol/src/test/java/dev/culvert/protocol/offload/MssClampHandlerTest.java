package dev.culvert.protocol.offload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.protocol.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** {@link MssClampHandler} clamps SYNs read from the device and written to it, counts each, passes the rest. */
class MssClampHandlerTest {

    @Test
    void bothDirectionsAreClampedAndCounted() {
        Counters counters = new Counters();
        EmbeddedChannel channel = new EmbeddedChannel(new MssClampHandler(false, 1380, 1360, counters));

        channel.writeInbound(syn(1460));
        channel.writeOutbound(syn(1460));
        channel.writeInbound(syn(1200));
        channel.writeInbound("not a buffer");

        ByteBuf read = channel.readInbound();
        ByteBuf written = channel.readOutbound();
        ByteBuf small = channel.readInbound();
        assertThat(read.getUnsignedShort(20 + 22)).isEqualTo(1380);
        assertThat(written.getUnsignedShort(20 + 22)).isEqualTo(1380);
        assertThat(small.getUnsignedShort(20 + 22)).isEqualTo(1200);
        assertThat((Object) channel.readInbound()).isEqualTo("not a buffer");
        assertThat(counters.get(Counters.Kind.MSS_CLAMPED)).isEqualTo(2);
        read.release();
        written.release();
        small.release();
        channel.finishAndReleaseAll();
    }

    /** An IPv4 SYN with one MSS option (its checksum is not the point here). */
    private static ByteBuf syn(int mss) {
        ByteBuf p = Unpooled.buffer();
        p.writeByte(0x45).writeByte(0).writeShort(44).writeInt(0).writeByte(64).writeByte(6).writeShort(0)
                .writeInt(0xC6120001).writeInt(0xC6120002);
        p.writeShort(49153).writeShort(80).writeInt(1).writeInt(0).writeByte(6 << 4).writeByte(0x02)
                .writeShort(65535).writeShort(0).writeShort(0);
        p.writeByte(2).writeByte(4).writeShort(mss);
        return p;
    }
}
