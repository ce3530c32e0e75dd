package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.AllowedIps;
import dev.culvert.protocol.PeerOptions;
import dev.culvert.protocol.ext.Lz4Compression;
import dev.culvert.protocol.offload.MssClampHandler;
import dev.culvert.protocol.testing.MemoryLink;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TunnelInitializer#reconfigure}: a reload's swap of the "mss-clamp", "routing" and "extension" handlers on a
 * live pipeline, each in its place, nothing else touched (issue 11 item 8).
 */
class ReconfigureTest {
    private final MemoryLink link = new MemoryLink();
    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final ChannelHandler wireguard = new ChannelInboundHandlerAdapter();

    @AfterEach
    void release() {
        ch.finishAndReleaseAll();
        link.releaseAll();
    }

    private TunnelInitializer.Settings settings(String allowed, boolean lz4, int mss) throws Exception {
        AllowedIps ips = new AllowedIps(List.of(new AllowedIps.Prefix(InetAddress.getByName(allowed), 32)));
        return new TunnelInitializer.Settings("t1", null, ips, false, lz4 ? new Lz4Compression() : null,
                new PeerOptions(null, 0, 1420, null), dev.culvert.protocol.offload.DeviceOffloads.NONE, mss, mss);
    }

    private void assemble(TunnelInitializer.Settings s) {
        ch.pipeline().addLast("routing", new AllowedIpsHandler(s.allowedIps(), 1420, false, link.a.peer.counters()))
                .addLast("extension", new ExtensionCodecHandler(false, null, 1420, link.a.peer.counters(), "t1",
                        ch.alloc()))
                .addLast("wireguard", wireguard);
    }

    @Test
    void mssClampGoesBeforeRoutingAndComesOffAgain() throws Exception {
        assemble(settings("198.18.0.2", false, 0));
        TunnelInitializer.reconfigure(ch, settings("198.18.0.2", false, 1380), link.a.peer,
                EnumSet.of(TunnelInitializer.Part.MSS_CLAMP));
        assertThat(ch.pipeline().names()).startsWith("mss-clamp", "routing", "extension", "wireguard");
        assertThat(ch.pipeline().get("mss-clamp")).isInstanceOf(MssClampHandler.class);
        ChannelHandler first = ch.pipeline().get("mss-clamp");
        TunnelInitializer.reconfigure(ch, settings("198.18.0.2", false, 1300), link.a.peer,
                EnumSet.of(TunnelInitializer.Part.MSS_CLAMP));
        assertThat(ch.pipeline().get("mss-clamp")).isNotSameAs(first);
        TunnelInitializer.reconfigure(ch, settings("198.18.0.2", false, 0), link.a.peer,
                EnumSet.of(TunnelInitializer.Part.MSS_CLAMP));
        assertThat(ch.pipeline().names()).startsWith("routing", "extension", "wireguard");
    }

    @Test
    void onlyThePartsAskedForAreSwapped() throws Exception {
        assemble(settings("198.18.0.2", false, 0));
        ChannelHandler routing = ch.pipeline().get("routing");
        ChannelHandler extension = ch.pipeline().get("extension");
        TunnelInitializer.reconfigure(ch, settings("198.18.0.9", true, 0), link.a.peer,
                EnumSet.of(TunnelInitializer.Part.ROUTING));
        assertThat(ch.pipeline().get("routing")).isNotSameAs(routing);
        assertThat(ch.pipeline().get("extension")).isSameAs(extension);
        assertThat(ch.pipeline().get("wireguard")).isSameAs(wireguard);
        assertThat(ch.pipeline().names()).startsWith("routing", "extension", "wireguard");

        // the new allowed IPs route: 198.18.0.9 passes, 198.18.0.2 is no_route now
        byte[] p = new byte[40];
        p[0] = 0x45;
        p[3] = 40;
        p[16] = (byte) 198;
        p[17] = 18;
        p[19] = 9;
        ch.writeInbound(Unpooled.wrappedBuffer(p));
        io.netty.buffer.ByteBuf routed = ch.readInbound();
        assertThat(routed).isNotNull();
        routed.release();
        p[19] = 2;
        ch.writeInbound(Unpooled.wrappedBuffer(p.clone()));
        assertThat((Object) ch.readInbound()).isNull();

        TunnelInitializer.reconfigure(ch, settings("198.18.0.9", true, 0), link.a.peer,
                EnumSet.of(TunnelInitializer.Part.EXTENSION));
        assertThat(ch.pipeline().get("extension")).isNotSameAs(extension);
    }
}
