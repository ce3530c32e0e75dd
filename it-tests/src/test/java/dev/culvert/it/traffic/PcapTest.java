package dev.culvert.it.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PcapTest {

    @Test
    void readsTheUdpPayloadOfAnEthernetIpv4Frame() {
        byte[] payload = {1, 0, 0, 0, 42};
        byte[] file = pcap(frame(payload), new byte[] {9, 9, 9});

        List<Pcap.Datagram> datagrams = Pcap.udpDatagrams(file);

        assertThat(datagrams).hasSize(1);
        assertThat(datagrams.get(0).payload()).containsExactly(payload);
        assertThat(datagrams.get(0).source()).isEqualTo("192.0.2.1:40000");
        assertThat(datagrams.get(0).destination()).isEqualTo("192.0.2.2:51820");
    }

    @Test
    void aRecordCutShortAtTheEndIsIgnored() {
        byte[] whole = pcap(frame(new byte[] {4}));
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);

        assertThat(Pcap.udpDatagrams(cut)).isEmpty();
    }

    private static byte[] pcap(byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(Pcap.GLOBAL_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(Pcap.MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(262_144).putInt(Pcap.LINKTYPE_ETHERNET);
        out.writeBytes(header.array());
        for (byte[] frame : frames) {
            ByteBuffer record = ByteBuffer.allocate(Pcap.RECORD_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(0).putInt(0).putInt(frame.length).putInt(frame.length);
            out.writeBytes(record.array());
            out.writeBytes(frame);
        }
        return out.toByteArray();
    }

    private static byte[] frame(byte[] payload) {
        ByteBuffer frame = ByteBuffer.allocate(14 + 20 + 8 + payload.length); // big-endian, as on the wire
        frame.put(new byte[12]).putShort((short) Pcap.ETHERTYPE_IPV4);
        frame.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 8 + payload.length)).putInt(0)
                .put((byte) 64).put((byte) Pcap.PROTOCOL_UDP).putShort((short) 0)
                .put(new byte[] {(byte) 192, 0, 2, 1}).put(new byte[] {(byte) 192, 0, 2, 2});
        frame.putShort((short) 40000).putShort((short) 51820).putShort((short) (8 + payload.length)).putShort((short) 0);
        frame.put(payload);
        return frame.array();
    }
}
