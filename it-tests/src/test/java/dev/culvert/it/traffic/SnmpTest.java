package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SnmpTest {

    @Test
    void keysEachCounterByItsGroup() {
        String text = """
                Ip: Forwarding DefaultTTL InReceives InHdrErrors
                Ip: 2 64 345155 7
                Tcp: RtoAlgorithm InSegs RetransSegs InErrs InCsumErrors
                Tcp: 1 123758 118 0 3
                Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors
                Udp: 116248 0 105344 221397 105344 0 0
                """;

        Map<String, Long> counters = Snmp.parse(text);

        assertThat(counters).containsEntry("Ip.InHdrErrors", 7L).containsEntry("Tcp.InCsumErrors", 3L)
                .containsEntry("Tcp.RetransSegs", 118L).containsEntry("Udp.RcvbufErrors", 105_344L).hasSize(16);
    }

    @Test
    void linesThatDoNotPairUpAreAnError() {
        assertThatThrownBy(() -> Snmp.parse("Tcp: InSegs InErrs\nUdp: 1 2\n")).isInstanceOf(AssertionError.class);
    }
}
