package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.culvert.config.Cidr;
import dev.culvert.config.DeviceConfig;
import dev.culvert.config.DeviceMode;
import dev.culvert.config.Endpoint;
import dev.culvert.config.PeerConfig;
import dev.culvert.config.TransportKind;
import dev.culvert.config.TunnelConfig;
import io.netty.channel.DefaultEventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 13: an endpoint name is looked up when asked, and a changed answer is reported once, on the loop. */
class EndpointNamesTest {
    private static final String KEY = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final Map<String, InetAddress> dns = new ConcurrentHashMap<>();
    private final List<String> changes = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private EndpointNames names(String endpoint) {
        TunnelConfig config = new TunnelConfig("t1", new DeviceConfig("cv0", DeviceMode.TUN, 1420, Optional.empty(),
                List.of()), new PeerConfig(KEY, Optional.empty(), Optional.of(Endpoint.parse(endpoint)),
                List.of(Cidr.parse("198.18.0.2/32"))), TransportKind.UDP, Duration.ZERO);
        HostResolver resolver = host -> {
            InetAddress address = dns.get(host);
            if (address == null) {
                throw new UnknownHostException(host);
            }
            return address;
        };
        EndpointNames names = new EndpointNames(config, resolver, Runnable::run, loop);
        names.onChange((was, fresh, forDialling) -> {
            assertThat(loop.inEventLoop()).as("reported on the loop").isTrue();
            changes.add(was + " -> " + fresh + (forDialling ? " (dial)" : ""));
        });
        return names;
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    @Test
    void aNameThatResolvesLateIsReportedOnceWhenItDoes() throws Exception {
        EndpointNames names = names("server.culvert.test:51820");
        assertThat(names.first()).isNull();
        names.retryUntilResolved();
        dns.put("server.culvert.test", ip("192.0.2.1"));
        await().atMost(15, TimeUnit.SECONDS).until(() -> !changes.isEmpty());
        names.lookUpAgain();
        loop.submit(() -> { }).sync();
        assertThat(changes).containsExactly("null -> /192.0.2.1:51820");
        names.close();
    }

    @Test
    void aChangedAnswerIsReportedWithThePreviousOneAndAnUnchangedOneIsNot() throws Exception {
        dns.put("server.culvert.test", ip("192.0.2.7"));
        EndpointNames names = names("server.culvert.test:51820");
        assertThat(names.first()).isEqualTo(new InetSocketAddress(ip("192.0.2.7"), 51820));
        names.lookUpAgain();
        loop.submit(() -> { }).sync();
        assertThat(changes).isEmpty();
        dns.put("server.culvert.test", ip("192.0.2.1"));
        assertThat(names.lookUpForDialling()).isEqualTo(new InetSocketAddress(ip("192.0.2.1"), 51820));
        names.lookUpAgain();
        loop.submit(() -> { }).sync();
        assertThat(changes).containsExactly("/192.0.2.7:51820 -> /192.0.2.1:51820 (dial)");
    }

    @Test
    void aLiteralIsParsedNeverLookedUpAndNeverReported() throws Exception {
        EndpointNames names = names("192.0.2.9:51820");
        assertThat(names.first()).isEqualTo(new InetSocketAddress(ip("192.0.2.9"), 51820));
        names.lookUpAgain();
        names.lookUpForDialling();
        loop.submit(() -> { }).sync();
        assertThat(changes).isEmpty();
    }

    @Test
    void afterCloseAnswersAreIgnored() throws Exception {
        dns.put("server.culvert.test", ip("192.0.2.7"));
        EndpointNames names = names("server.culvert.test:51820");
        names.first();
        names.close();
        dns.put("server.culvert.test", ip("192.0.2.1"));
        names.lookUpAgain();
        loop.submit(() -> { }).sync();
        assertThat(changes).isEmpty();
    }
}
