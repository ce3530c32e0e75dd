package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.crypto.X25519;
import dev.culvert.protocol.DropReason;
import dev.culvert.protocol.noise.LocalStatic;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SECURITY.md's TCP listener item: a connection that never authenticates is closed after the timeout, and no
 * source can hold more than {@link TcpAdmission#MAX_PENDING_PER_SOURCE} unauthenticated connections open. Before,
 * both stayed open for ever.
 */
class TcpAdmissionTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final List<Socket> sockets = new ArrayList<>();
    private TcpTransport tcp;

    @BeforeAll
    static void epoll() {
        Epoll.ensureAvailability();
    }

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (tcp != null) {
            tcp.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private InetSocketAddress listen(Duration authTimeout) throws IOException {
        tcp = new TcpTransport((IoEventLoop) group.next(), new LocalStatic(X25519.generatePrivateKey(new SecureRandom())),
                PooledByteBufAllocator.DEFAULT, ForkJoinPool.commonPool(), authTimeout.toNanos());
        tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return tcp.localAddress();
    }

    private Socket connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket(to.getAddress(), to.getPort());
        sockets.add(s);
        return s;
    }

    /** True once the server closed {@code s} (end of stream); false while it keeps it open. */
    private static boolean closedByServer(Socket s, Duration wait) throws IOException {
        s.setSoTimeout((int) wait.toMillis());
        InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    private long refused() {
        return tcp.engine().counters().drops(DropReason.UNAUTHENTICATED_CONNECTION);
    }

    @Test
    void aConnectionThatNeverAuthenticatesIsClosedAfterTheTimeout() throws Exception {
        Socket idle = connect(listen(Duration.ofSeconds(1)));
        Socket talking = connect(tcp.localAddress());
        talking.getOutputStream().write(new byte[] {0, 4, 1, 0, 0, 0}); // a framed garbage message: not authenticated

        await().atMost(Duration.ofSeconds(10)).until(() -> closedByServer(idle, Duration.ofMillis(200)));
        await().atMost(Duration.ofSeconds(10)).until(() -> closedByServer(talking, Duration.ofMillis(200)));
        await().atMost(Duration.ofSeconds(5)).until(() -> refused() == 2);
    }

    @Test
    void oneSourceHoldsAtMostItsShareOfUnauthenticatedConnections() throws Exception {
        InetSocketAddress at = listen(Duration.ofMinutes(5));
        List<Socket> admitted = new ArrayList<>();
        for (int i = 0; i < TcpAdmission.MAX_PENDING_PER_SOURCE; i++) {
            admitted.add(connect(at));
        }
        Socket oneTooMany = connect(at);

        assertThat(closedByServer(oneTooMany, Duration.ofSeconds(5))).as("the connection over the limit").isTrue();
        for (Socket s : admitted) {
            assertThat(closedByServer(s, Duration.ofMillis(100))).as("an admitted connection").isFalse();
        }
        assertThat(refused()).isEqualTo(1);

        admitted.get(0).close(); // one leaves: a slot is free again
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            Socket again = connect(at);
            return !closedByServer(again, Duration.ofMillis(300));
        });
    }

    /**
     * When {@link TcpAdmission#MAX_PENDING} wait, a new connection takes the longest-waiting one's place: connections
     * held open from many addresses no longer keep a peer out (found by the new-user test: 8 idle connections from
     * each of 32 addresses, reopened as they were closed, refused a restarted peer for as long as they lasted).
     */
    @Test
    void aNewConnectionTakesTheLongestWaitingOnesPlaceWhenAllPlacesAreTaken() throws Exception {
        InetSocketAddress at = listen(Duration.ofMinutes(5));
        List<Socket> holders = new ArrayList<>();
        int sources = TcpAdmission.MAX_PENDING / TcpAdmission.MAX_PENDING_PER_SOURCE;
        for (int source = 0; source < sources; source++) {
            InetAddress from = InetAddress.getByName("127.0.1." + (source + 1)); // all of 127/8 is loopback
            for (int i = 0; i < TcpAdmission.MAX_PENDING_PER_SOURCE; i++) {
                Socket s = new Socket(at.getAddress(), at.getPort(), from, 0);
                sockets.add(s);
                holders.add(s);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> tcp.pendingAdmissions() == TcpAdmission.MAX_PENDING);
        assertThat(refused()).isZero();

        Socket newcomer = new Socket(at.getAddress(), at.getPort(), InetAddress.getByName("127.0.2.1"), 0);
        sockets.add(newcomer);

        assertThat(closedByServer(holders.get(0), Duration.ofSeconds(5))).as("the longest-waiting connection").isTrue();
        assertThat(closedByServer(newcomer, Duration.ofMillis(300))).as("the newcomer").isFalse();
        assertThat(closedByServer(holders.get(1), Duration.ofMillis(100))).as("the next-longest waiting").isFalse();
        assertThat(refused()).isEqualTo(1);
    }

}
