package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.noise.LocalStatic;
import dev.culvert.protocol.transport.Transport;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Transport.Connection#redial} on the TCP dialler (issue 13, names that move): when the endpoint's name
 * resolves elsewhere, the connection to the old address — which might hang on a host that no longer answers — is
 * dropped and the new address dialled at once, exactly one connection at a time. Two plain listeners on loopback
 * stand for the server's old and new address.
 */
class TcpRedialTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final ExecutorService resolver = Executors.newSingleThreadExecutor();
    private TcpTransport tcp;

    @AfterEach
    void stop() {
        if (tcp != null) {
            tcp.close();
        }
        resolver.shutdownNow();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void redialDropsTheOldConnectionAndDialsTheNewAnswerAtOnce() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket old = new ServerSocket(0, 8, loopback); ServerSocket moved = new ServerSocket(0, 8, loopback)) {
            old.setSoTimeout(10_000);
            moved.setSoTimeout(10_000);
            AtomicReference<InetSocketAddress> answer = new AtomicReference<>(
                    new InetSocketAddress(loopback, old.getLocalPort()));
            AtomicInteger lookUps = new AtomicInteger();
            AtomicInteger ready = new AtomicInteger();
            tcp = new TcpTransport((IoEventLoop) group.next(), new LocalStatic(X25519.generatePrivateKey(new SecureRandom())),
                    UnpooledByteBufAllocator.DEFAULT, resolver);
            Transport.Connection connection = tcp.connect("t1", () -> {
                lookUps.incrementAndGet();
                return answer.get();
            }, ready::incrementAndGet);

            try (Socket first = old.accept()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> ready.get() == 1);
                answer.set(new InetSocketAddress(loopback, moved.getLocalPort()));
                int before = lookUps.get();
                connection.redial();
                try (Socket second = moved.accept()) { // at once: the backoff (0.5 s on) would also get here, later
                    first.setSoTimeout(5_000);
                    assertThat(first.getInputStream().read()).as("the old connection, closed").isEqualTo(-1);
                    await().atMost(Duration.ofSeconds(5)).until(() -> ready.get() == 2);
                    assertThat(lookUps.get() - before).as("one fresh look-up").isEqualTo(1);
                    // the dropped connection's close schedules no second dial
                    old.setSoTimeout(1_500);
                    moved.setSoTimeout(1_500);
                    assertThat(acceptsWithin(old)).as("no dial back to the old address").isFalse();
                    assertThat(acceptsWithin(moved)).as("no second connection to the new address").isFalse();
                    assertThat(second.isClosed()).isFalse();
                }
            }
        }
    }

    /**
     * A server that takes every connection and closes it unanswered (a full admission queue, a key it does not know)
     * is redialled ever later: 0.5-0.75 s, then 1-1.5 s, then 2-3 s. Before, every connect started the backoff over
     * and such a server was dialled twice a second for ever (found by the new-user test).
     */
    @Test
    void aServerThatClosesUnansweredIsDialledEverLater() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket refusing = new ServerSocket(0, 8, loopback)) {
            refusing.setSoTimeout(10_000);
            tcp = new TcpTransport((IoEventLoop) group.next(), new LocalStatic(X25519.generatePrivateKey(new SecureRandom())),
                    UnpooledByteBufAllocator.DEFAULT, resolver);
            tcp.connect("t1", () -> new InetSocketAddress(loopback, refusing.getLocalPort()), () -> { });
            long[] accepted = new long[4];
            for (int i = 0; i < accepted.length; i++) {
                refusing.accept().close();
                accepted[i] = System.nanoTime();
            }
            long thirdGapMillis = (accepted[3] - accepted[2]) / 1_000_000;
            long firstGapMillis = (accepted[1] - accepted[0]) / 1_000_000;
            assertThat(firstGapMillis).as("the first redial's wait").isGreaterThanOrEqualTo(450);
            assertThat(thirdGapMillis).as("the third redial's wait (the backoff grew twice)").isGreaterThanOrEqualTo(1_900);
        }
    }

    private static boolean acceptsWithin(ServerSocket listener) throws IOException {
        try (Socket extra = listener.accept()) {
            return extra != null;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        }
    }
}
