package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class JunkBatteryTest {

    @Test
    void theSameSeedGivesTheSameBattery() {
        List<byte[]> first = JunkBattery.malformed(1);
        List<byte[]> second = JunkBattery.malformed(1);

        assertThat(first).hasSameSizeAs(second);
        for (int i = 0; i < first.size(); i++) {
            assertThat(first.get(i)).containsExactly(second.get(i));
        }
    }

    @Test
    void everyMessageTypeComesHeaderOnlyCutShortAndAtFullLength() {
        List<byte[]> battery = JunkBattery.malformed(7);
        int[][] typeAndLength = {
            {JunkBattery.TYPE_INITIATION, JunkBattery.INITIATION_LENGTH},
            {JunkBattery.TYPE_RESPONSE, JunkBattery.RESPONSE_LENGTH},
            {JunkBattery.TYPE_COOKIE_REPLY, JunkBattery.COOKIE_REPLY_LENGTH},
            {JunkBattery.TYPE_DATA, JunkBattery.MIN_DATA_LENGTH},
        };
        for (int[] expected : typeAndLength) {
            byte type = (byte) expected[0];
            int length = expected[1];
            assertThat(battery).as("type %d", type)
                    .anyMatch(p -> p.length == JunkBattery.TYPE_HEADER_LENGTH && p[0] == type)
                    .anyMatch(p -> p.length == length - 1 && p[0] == type)
                    .anyMatch(p -> p.length == length && p[0] == type);
        }
    }

    @Test
    void forgeriesReplayInitiationsAndFlipBitsInDataMessages() {
        byte[] initiation = new byte[JunkBattery.INITIATION_LENGTH];
        initiation[0] = JunkBattery.TYPE_INITIATION;
        byte[] data = new byte[64];
        data[0] = JunkBattery.TYPE_DATA;
        byte[] response = new byte[JunkBattery.RESPONSE_LENGTH];
        response[0] = JunkBattery.TYPE_RESPONSE;

        List<byte[]> forged = JunkBattery.forgedFrom(List.of(initiation, data, response));

        assertThat(forged).hasSize(4); // the initiation; the data message as is, counter-flipped, tag-flipped
        assertThat(forged.get(0)).containsExactly(initiation);
        assertThat(forged.get(2)[8]).isEqualTo((byte) 1);
        assertThat(forged.get(3)[63]).isEqualTo((byte) 0x80);
    }
}
