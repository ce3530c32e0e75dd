package dev.culvert.it.traffic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the UDP-over-IPv4 datagrams out of a classic pcap file of an Ethernet interface
 * (what {@code tcpdump -i veth -w FILE} writes). Anything else in the file is skipped.
 *
 * <pre>
 * file:    magic(4) version(2+2) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
 * record:  ts_sec(4) ts_frac(4) incl_len(4) orig_len(4) data[incl_len]
 * data:    Ethernet(14) | IPv4(IHL*4) | UDP(8) | payload
 * </pre>
 */
public final class Pcap {

    static final int MAGIC_MICROS = 0xa1b2c3d4;
    static final int MAGIC_NANOS = 0xa1b23c4d;
    static final int GLOBAL_HEADER_LENGTH = 24;
    static final int LINKTYPE_OFFSET = 20;
    static final int RECORD_HEADER_LENGTH = 16;
    static final int LINKTYPE_ETHERNET = 1;
    static final int ETHERNET_HEADER_LENGTH = 14;
    static final int ETHERTYPE_OFFSET = 12;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int IPV4_PROTOCOL_OFFSET = 9;
    static final int IPV4_SOURCE_OFFSET = 12;
    static final int IPV4_DESTINATION_OFFSET = 16;
    static final int PROTOCOL_UDP = 17;
    static final int UDP_HEADER_LENGTH = 8;

    private Pcap() {
    }

    /**
     * One captured UDP datagram.
     *
     * @param source      {@code ip:port} it came from
     * @param destination {@code ip:port} it went to
     * @param payload     the UDP payload as captured
     */
    public record Datagram(String source, String destination, byte[] payload) {
    }

    /** The UDP datagrams of a pcap file's contents, in capture order. */
    public static List<Datagram> udpDatagrams(byte[] file) {
        if (file.length < GLOBAL_HEADER_LENGTH) {
            throw new IllegalArgumentException("not a pcap file: only " + file.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int magic = buffer.getInt(0);
        if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
            buffer.order(ByteOrder.BIG_ENDIAN);
            magic = buffer.getInt(0);
            if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
                throw new IllegalArgumentException("not a pcap file: magic " + Integer.toHexString(magic));
            }
        }
        int linktype = buffer.getInt(LINKTYPE_OFFSET);
        if (linktype != LINKTYPE_ETHERNET) {
            throw new IllegalArgumentException("pcap link type " + linktype + " is not Ethernet");
        }
        List<Datagram> datagrams = new ArrayList<>();
        int offset = GLOBAL_HEADER_LENGTH;
        while (offset + RECORD_HEADER_LENGTH <= file.length) {
            int captured = buffer.getInt(offset + 8);
            int start = offset + RECORD_HEADER_LENGTH;
            if (captured < 0 || start + captured > file.length) {
                break; // a record cut short by a killed capture
            }
            Datagram datagram = udp(Arrays.copyOfRange(file, start, start + captured));
            if (datagram != null) {
                datagrams.add(datagram);
            }
            offset = start + captured;
        }
        return datagrams;
    }

    private static Datagram udp(byte[] frame) {
        ByteBuffer eth = ByteBuffer.wrap(frame); // network order
        if (frame.length < ETHERNET_HEADER_LENGTH + 20 || (eth.getShort(ETHERTYPE_OFFSET) & 0xffff) != ETHERTYPE_IPV4) {
            return null;
        }
        int ip = ETHERNET_HEADER_LENGTH;
        int headerLength = (frame[ip] & 0x0f) * 4;
        if ((frame[ip + IPV4_PROTOCOL_OFFSET] & 0xff) != PROTOCOL_UDP) {
            return null;
        }
        int udp = ip + headerLength;
        if (frame.length < udp + UDP_HEADER_LENGTH) {
            return null;
        }
        int udpLength = eth.getShort(udp + 4) & 0xffff;
        int end = Math.min(frame.length, udp + udpLength);
        String source = address(frame, ip + IPV4_SOURCE_OFFSET) + ":" + (eth.getShort(udp) & 0xffff);
        String destination = address(frame, ip + IPV4_DESTINATION_OFFSET) + ":" + (eth.getShort(udp + 2) & 0xffff);
        return new Datagram(source, destination, Arrays.copyOfRange(frame, udp + UDP_HEADER_LENGTH, end));
    }

    private static String address(byte[] frame, int offset) {
        return (frame[offset] & 0xff) + "." + (frame[offset + 1] & 0xff) + "."
                + (frame[offset + 2] & 0xff) + "." + (frame[offset + 3] & 0xff);
    }
}
