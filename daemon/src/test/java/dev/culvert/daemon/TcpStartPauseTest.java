package dev.culvert.daemon;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13 (start order), TCP: a connection dialled while the daemon's start pause holds reads, and completed only
 * after the pause ended, must read. Its reads are off from registration; the resume reaches only the connections
 * already active, so the state is taken again when it becomes active. Over loopback, no root: the listener's accept
 * queue is full, so the dial's SYN is dropped and its retransmission (one RTO, 1 s, later) completes it after the
 * resume.
 */
class TcpStartPauseTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final IoEventLoop loop = (IoEventLoop) group.next();
    private final List<Socket> sockets = new ArrayList<>();
    private TcpTransport tcp;

    @AfterEach
    void close() throws IOException {
        if (tcp != null) {
            tcp.close();
        }
        for (Socket socket : sockets) {
            socket.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aConnectionCompletedAfterTheStartPauseEndedReads() throws Exception {
        LocalStatic identity = new LocalStatic(X25519.generatePrivateKey(new SecureRandom()));
        tcp = new TcpTransport(loop, identity, PooledByteBufAllocator.DEFAULT, ForkJoinPool.commonPool());
        loop.submit(() -> tcp.pauseReads(Platform.STARTING)).sync();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Backlog 1: the accept queue holds two connections; a third SYN is dropped until one is accepted.
            InetSocketAddress at = (InetSocketAddress) server.getLocalSocketAddress();
            sockets.add(new Socket(at.getAddress(), at.getPort()));
            sockets.add(new Socket(at.getAddress(), at.getPort()));
            CountDownLatch connected = new CountDownLatch(1);
            tcp.connect("t", () -> at, connected::countDown);
            await("the dial's SYN sent").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> synSentTo(at.getPort()));

            loop.submit(() -> tcp.resumeReads(Platform.STARTING)).sync();
            sockets.add(server.accept());
            sockets.add(server.accept());
            assertThat(connected.await(10, TimeUnit.SECONDS)).as("the dial connected after the resume").isTrue();
            Socket dialled = server.accept();
            sockets.add(dialled);
            OutputStream out = dialled.getOutputStream();
            out.write(new byte[] {0, 0}); // a zero-length frame: one message, counted malformed when read
            out.flush();

            await("the zero-length frame read and counted").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> tcp.engine().counters().drops(DropReason.MALFORMED) == 1);
        }
    }

    /** Whether a socket of this host is in SYN-SENT (state 02) towards loopback {@code port}, IPv4 or IPv6. */
    private static boolean synSentTo(int port) {
        String remotePort = String.format(Locale.ROOT, ":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 3 && fields[2].endsWith(remotePort) && fields[3].equals("02")) {
                        return true;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return false;
    }
}
