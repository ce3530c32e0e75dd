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
    void readsBothEndsOfAReverseRunWithTheSendersRetransmits() {
        // Shape of iperf 3.12's report of "iperf3 -c ... -R --json" (cut down).
        String json = "{\"start\": {\"test_start\": {\"protocol\": \"TCP\", \"num_streams\": 1, \"reverse\": 1}},"
                + " \"intervals\": [{\"sum\": {\"bytes\": 5}}],"
                + " \"end\": {\"streams\": [], \"sum_sent\": {\"start\": 0, \"end\": 1.0017, \"bytes\": 2549350400,"
                + " \"bits_per_second\": 20359906320.5, \"retransmits\": 6, \"sender\": false},"
                + " \"sum_received\": {\"start\": 0, \"bytes\": 2548629451, \"bits_per_second\": 2.0388709388e10,"
                + " \"sender\": false}}}";

        Iperf.Transfer transfer = Iperf.parseTransfer(json);

        assertThat(transfer.reverse()).isTrue();
        assertThat(transfer.bytesSent()).isEqualTo(2_549_350_400L);
        assertThat(transfer.bytesReceived()).isEqualTo(2_548_629_451L);
        assertThat(transfer.retransmits()).isEqualTo(6);
        assertThat(transfer.bitsPerSecond()).isEqualTo(2.0388709388e10);
    }

    @Test
    void aTransferWithoutTheSendersRetransmitsIsAnError() {
        String json = "{\"end\": {\"sum_sent\": {\"bytes\": 999, \"bits_per_second\": 1.0},"
                + " \"sum_received\": {\"bytes\": 998, \"bits_per_second\": 1.0}}}";

        assertThatThrownBy(() -> Iperf.parseTransfer(json)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("no retransmits");
    }

    @Test
    void aReportWithoutTotalsIsAnError() {
        assertThatThrownBy(() -> Iperf.parse("{\"error\": \"unable to connect\"}"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("unable to connect");
    }
}
