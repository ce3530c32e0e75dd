package dev.culvert.daemon;

import dev.culvert.daemon.tun.ChildJvm;
import dev.culvert.daemon.tun.Netns;
import dev.culvert.daemon.tun.RootPreconditions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UDP GSO and GRO through the real kernel: the transports run in a child JVM ({@link UdpOffloadMain})
 * inside a network namespace made for each test, so the namespace's own {@code /proc/net/snmp} counts
 * only their datagrams: a GSO send counts once however many datagrams it carries, and so does a
 * receive of a coalesced (GRO) datagram; without GRO the kernel splits it and counts each.
 */
class UdpOffloadNetnsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int COUNT = 64;
    private static final int SIZE = 1000;

    private Netns ns;

    @BeforeAll
    static void requireRoot() {
        RootPreconditions.require("ip");
    }

    @BeforeEach
    void createNamespace() throws Exception {
        ns = Netns.create("cvug-");
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        if (ns != null) {
            ns.close();
        }
    }

    private Map<String, String> burst(boolean senderOffload, boolean receiverOffload) throws Exception {
        ChildJvm child = ns.startJava(UdpOffloadMain.class, "burst", String.valueOf(senderOffload),
                String.valueOf(receiverOffload), String.valueOf(COUNT), String.valueOf(SIZE));
        String line = child.awaitLine(UdpOffloadMain.RESULT, TIMEOUT);
        assertThat(child.awaitExit(TIMEOUT)).as(child.output()).isZero();
        Map<String, String> result = new HashMap<>();
        for (String pair : line.substring(UdpOffloadMain.RESULT.length()).split(" ")) {
            String[] kv = pair.split("=", 2);
            result.put(kv[0], kv[1]);
        }
        return result;
    }

    private static long count(Map<String, String> result, String key) {
        return Long.parseLong(result.get(key));
    }

    @Test
    void aBurstLeavesInAFewSegmentedSendsIsReceivedCoalescedAndArrivesIntactInOrder() throws Exception {
        Map<String, String> r = burst(true, true);

        assertThat(r).containsEntry("arrived", String.valueOf(COUNT)).containsEntry("inOrder", "true")
                .containsEntry("gso", "true").containsEntry("gro", "true");
        assertThat(count(r, "segmentedDatagrams")).as("every datagram of the burst went segmented").isEqualTo(COUNT);
        // ~1040-byte messages: 62 fit in 65000 bytes, so the 64 leave as two sends.
        assertThat(count(r, "segmentedSends")).isBetween(1L, 4L);
        assertThat(count(r, "outDatagrams")).as("the kernel's sends").isEqualTo(count(r, "segmentedSends"));
        assertThat(count(r, "inDatagrams")).as("coalesced receives (GRO)").isEqualTo(count(r, "segmentedSends"));
    }

    @Test
    void aReceiverWithoutGroGetsTheBurstSplitByTheKernel() throws Exception {
        Map<String, String> r = burst(true, false);

        assertThat(r).containsEntry("arrived", String.valueOf(COUNT)).containsEntry("inOrder", "true")
                .containsEntry("gro", "false");
        assertThat(count(r, "outDatagrams")).isLessThan(COUNT);
        assertThat(count(r, "inDatagrams")).isEqualTo(COUNT);
    }

    @Test
    void withOffloadsOffEveryDatagramIsItsOwnSend() throws Exception {
        Map<String, String> r = burst(false, true);

        assertThat(r).containsEntry("arrived", String.valueOf(COUNT)).containsEntry("inOrder", "true")
                .containsEntry("gso", "false").containsEntry("segmentedSends", "0");
        assertThat(count(r, "outDatagrams")).isEqualTo(COUNT);
        assertThat(count(r, "inDatagrams")).as("loopback has no GRO of its own").isEqualTo(COUNT);
    }

    @Test
    void aSegmentedSendAboveThePathMtuIsSentAgainOneByOneAndOnlyThatSizeStopsBeingSegmented() throws Exception {
        // The kernel refuses a UDP_SEGMENT send whose segments exceed the route's MTU with EMSGSIZE: the refused
        // run is sent again one datagram per entry (fragmented by IP), and so is every later one of that size;
        // GSO stays on for smaller datagrams.
        assertThat(ns.ip("tuntap", "add", "dev", "cvug0", "mode", "tun").succeeded()).isTrue();
        assertThat(ns.ip("link", "set", "cvug0", "mtu", "576", "up").succeeded()).isTrue();
        assertThat(ns.ip("addr", "add", "192.0.2.1/24", "dev", "cvug0").succeeded()).isTrue();
        ChildJvm child = ns.startJava(UdpGsoFallbackMain.class, "192.0.2.2");
        String line = child.awaitLine(UdpOffloadMain.RESULT, TIMEOUT);
        assertThat(child.awaitExit(TIMEOUT)).as(child.output()).isZero();

        assertThat(line).as(child.output()).contains("gsoAfterFirst=true", "fallbacks=0", "sizeFallbacks=1",
                "maxSegment=999", "firstOut=10", "secondOut=10");
        assertThat(child.output()).contains("udp gso: datagrams of 1000 bytes exceed the path MTU");
    }
}
