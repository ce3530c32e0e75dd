package dev.culvert.daemon.control;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.culvert.protocol.Counters;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Jazzer fuzz target for one control-socket request line: {@link ControlRequest#parse} (JSON through
 * {@link ControlJson}, or the plain words) and the answer the daemon's handler ({@link ShowRequests#handler}) gives.
 * The contract: parsing gives a known request (show with or without a tunnel, reload without) or an
 * {@link IllegalArgumentException} with a message, nothing else; a request written back as JSON parses to itself;
 * every answer is one line of JSON, an object, with either {@code error} or the status.
 *
 * <p>Input: the line as UTF-8 (line ends removed, as the socket's line reader would).
 */
class ControlRequestFuzzTest {
    private static final Function<String, String> HANDLER = ShowRequests.handler(() -> new ShowRequests.Source() {
        @Override
        public String publicKey() {
            return "4mwUrvbcD7qr9XOzT9EV6kpW1nwJ7s3DsCy2IiN6ylU=";
        }

        @Override
        public int listenPort() {
            return 51820;
        }

        @Override
        public Counters interfaceCounters() {
            return new Counters();
        }

        @Override
        public List<ShowRequests.TunnelSource> tunnels() {
            return List.of();
        }
    }, () -> ReloadOutcome.refused(List.of("culvert.conf: 1: fuzzing")));

    @FuzzTest(maxDuration = "30s")
    void requestLine(byte[] data) {
        String line = new String(data, StandardCharsets.UTF_8).replace("\n", "").replace("\r", "");
        ControlRequest request = null;
        try {
            request = ControlRequest.parse(line);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        if (request != null) {
            assertThat(request.request()).isIn(ControlRequest.SHOW, ControlRequest.RELOAD);
            if (request.request().equals(ControlRequest.RELOAD)) {
                assertThat(request.tunnel()).isNull();
            }
            assertThat(ControlRequest.parse(request.toJson())).as("written back and read again").isEqualTo(request);
        }
        String answer = HANDLER.apply(line);
        assertThat(answer).as("one line").doesNotContain("\n").doesNotContain("\r");
        Map<String, Object> json = ControlJson.read(answer);
        if (request == null) {
            assertThat(json.get("error")).as("an error answer").isInstanceOf(String.class);
        } else if (request.tunnel() != null && request.request().equals(ControlRequest.SHOW)) {
            assertThat(json).containsKey("error"); // no tunnels in this daemon
        } else {
            assertThat(json).isNotEmpty();
        }
    }
}
