package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.protocol.Counters;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.vtun.VtunAuth;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The server side of vtund's authentication (VTUN.md §2.1) as {@link LegacyListener} runs it, without a socket. */
class LegacyAuthTest {

    /** An EmbeddedChannel whose remote address is an InetSocketAddress, as the listener's children's are. */
    private static EmbeddedChannel channel(Counters counters) {
        return new EmbeddedChannel(new LegacyAuth.Server(session -> null, counters, () -> { })) {
            @Override
            protected java.net.SocketAddress remoteAddress0() {
                return new InetSocketAddress("192.0.2.7", 40000);
            }
        };
    }

    private static String next(EmbeddedChannel ch) {
        ByteBuf out = ch.readOutbound();
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        return VtunAuth.text(bytes);
    }

    @Test
    void anUnknownSessionIsRefusedWithErrAndCountedOnTheListener() {
        Counters counters = new Counters();
        EmbeddedChannel ch = channel(counters);
        assertThat(next(ch)).startsWith("VTUN server");

        ch.writeInbound(Unpooled.wrappedBuffer(VtunAuth.message("HOST: nosuch")));
        assertThat(next(ch)).startsWith("OK CHAL: ");
        ch.writeInbound(Unpooled.wrappedBuffer(VtunAuth.message("CHAL: " + VtunAuth.encode(new byte[16]))));

        assertThat(next(ch)).isEqualTo("ERR");
        assertThat(counters.drops(DropReason.VTUN_UNKNOWN_SESSION)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageWhereAHostLineIsDueIsRefusedAndCountedOnTheListener() {
        Counters counters = new Counters();
        EmbeddedChannel ch = channel(counters);
        assertThat(next(ch)).startsWith("VTUN server");

        byte[] junk = new byte[VtunAuth.MESSAGE_SIZE];
        new java.util.Random(3).nextBytes(junk);
        junk[0] = 'x';
        ch.writeInbound(Unpooled.wrappedBuffer(junk));

        assertThat(next(ch)).isEqualTo("ERR");
        assertThat(counters.drops(DropReason.VTUN_AUTH_FAILED)).isEqualTo(1);
        assertThat(counters.drops(DropReason.VTUN_UNKNOWN_SESSION)).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientThatNeverAuthenticatesIsCountedWhenItTimesOut() {
        Counters counters = new Counters();
        LegacyAuth.Server server = new LegacyAuth.Server(session -> null, counters, () -> { });
        EmbeddedChannel ch = new EmbeddedChannel(server);
        server.timedOut(ch.pipeline().firstContext());
        assertThat(counters.drops(DropReason.UNAUTHENTICATED_CONNECTION)).isEqualTo(1);
        ch.finishAndReleaseAll();
    }
}
