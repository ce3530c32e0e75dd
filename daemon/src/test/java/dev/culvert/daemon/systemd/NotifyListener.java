package dev.culvert.daemon.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A stand-in for systemd: a unix datagram socket that collects what the daemon notifies. */
final class NotifyListener implements AutoCloseable {
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final Channel channel;

    /** @param path a file path, or {@code \0name} for an abstract socket */
    NotifyListener(EventLoopGroup group, String path) {
        channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
                        messages.add(packet.content().toString(StandardCharsets.UTF_8));
                    }
                })
                .bind(new DomainSocketAddress(path)).syncUninterruptibly().channel();
    }

    /** The next message, or an AssertionError after {@code within}. */
    String next(Duration within) throws InterruptedException {
        String message = messages.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (message == null) {
            throw new AssertionError("no sd_notify message within " + within);
        }
        return message;
    }

    /** The next message that is not a watchdog ping. */
    String nextNotWatchdog(Duration within) throws InterruptedException {
        String message;
        do {
            message = next(within);
        } while (message.equals("WATCHDOG=1"));
        return message;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
