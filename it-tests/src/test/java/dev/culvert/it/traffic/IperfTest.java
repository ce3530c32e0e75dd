package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IperfTest {

    @Test
    void readsTheReceiverTotalsFromTheJsonReport() {
        String json = "{\"end\": {\"sum_sent\": {\"bytes\": 999, \"bits_per_second\": 1.0},"
                + " \"sum_received\": {\"start\": 0, \"bytes\": 123456, \"bits_per_second\": 3.5e8, \"sender\": true}}}";

        Iperf.Result result = Iperf.parse(json);

        assertThat(result.bytesReceived()).isEqualTo(123_456L);
        assertThat(result.bitsPerSecond()).isEqualTo(3.5e8);
    }

    @Test
    void aReportWithoutTotalsIsAnError() {
        assertThatThrownBy(() -> Iperf.parse("{\"error\": \"unable to connect\"}"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("unable to connect");
    }
}
