package dev.culvert.protocol.pipeline;

import dev.culvert.protocol.Limits;
import dev.culvert.protocol.Peer;
import dev.culvert.protocol.transport.Transport;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Keepalive and the other timers of whitepaper §6 for one tunnel: every {@link Limits#TICK_NANOS} on the
 * channel's executor (whose ticker is also the engine's clock, so a test freezes both), the peer's due
 * timers fire and whatever they queued is flushed.
 */
public final class TimersHandler extends ChannelHandlerAdapter {
    private final Peer peer;
    private final Transport transport;
    private ScheduledFuture<?> ticker;

    public TimersHandler(Peer peer, Transport transport) {
        this.peer = peer;
        this.transport = transport;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ticker = ctx.executor().scheduleAtFixedRate(() -> {
            peer.tick();
            transport.flush();
        }, Limits.TICK_NANOS, Limits.TICK_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (ticker != null) {
            ticker.cancel(false);
        }
    }
}
