package dev.culvert.daemon.tun;

import io.netty.buffer.ByteBuf;

/**
 * Turns an IPv4 ICMP echo request into its echo reply, in place: swap the addresses, type 0,
 * fresh checksums. Test support for the real-device tests, which play the far end of a ping.
 *
 * <p>Offsets from RFC 791 section 3.1 (IPv4 header) and RFC 792 (echo / echo reply).
 */
final class IcmpEcho {

    static final int IPV4_MIN_HEADER = 20;
    static final int IPV4_VERSION_IHL = 0;
    static final int IPV4_TOTAL_LENGTH = 2;
    static final int IPV4_TTL = 8;
    static final int IPV4_PROTOCOL = 9;
    static final int IPV4_CHECKSUM = 10;
    static final int IPV4_SOURCE = 12;
    static final int IPV4_DESTINATION = 16;
    static final int PROTOCOL_ICMP = 1;

    static final int ICMP_HEADER = 8;
    static final int ICMP_TYPE = 0;
    static final int ICMP_CODE = 1;
    static final int ICMP_CHECKSUM = 2;
    static final int ICMP_ECHO_REPLY = 0;
    static final int ICMP_ECHO_REQUEST = 8;

    static final int REPLY_TTL = 64;

    private IcmpEcho() {
    }

    /** If {@code p} (readable bytes) is an IPv4 ICMP echo request, rewrites it into the reply and returns true. */
    static boolean toEchoReply(ByteBuf p) {
        int ip = p.readerIndex();
        int available = p.readableBytes();
        if (available < IPV4_MIN_HEADER) {
            return false;
        }
        int versionIhl = p.getUnsignedByte(ip + IPV4_VERSION_IHL);
        int headerLength = (versionIhl & 0x0f) * 4;
        int totalLength = p.getUnsignedShort(ip + IPV4_TOTAL_LENGTH);
        if (versionIhl >> 4 != 4 || headerLength < IPV4_MIN_HEADER || totalLength > available
                || totalLength < headerLength + ICMP_HEADER
                || p.getUnsignedByte(ip + IPV4_PROTOCOL) != PROTOCOL_ICMP) {
            return false;
        }
        int icmp = ip + headerLength;
        if (p.getUnsignedByte(icmp + ICMP_TYPE) != ICMP_ECHO_REQUEST || p.getUnsignedByte(icmp + ICMP_CODE) != 0) {
            return false;
        }
        int source = p.getInt(ip + IPV4_SOURCE);
        p.setInt(ip + IPV4_SOURCE, p.getInt(ip + IPV4_DESTINATION));
        p.setInt(ip + IPV4_DESTINATION, source);
        p.setByte(ip + IPV4_TTL, REPLY_TTL);
        p.setShort(ip + IPV4_CHECKSUM, 0);
        p.setShort(ip + IPV4_CHECKSUM, checksum(p, ip, headerLength));

        p.setByte(icmp + ICMP_TYPE, ICMP_ECHO_REPLY);
        p.setShort(icmp + ICMP_CHECKSUM, 0);
        p.setShort(icmp + ICMP_CHECKSUM, checksum(p, icmp, totalLength - headerLength));
        return true;
    }

    /** The Internet checksum (RFC 1071) of {@code length} bytes at {@code offset}. */
    static int checksum(ByteBuf p, int offset, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += p.getUnsignedShort(offset + i);
        }
        if (i < length) {
            sum += p.getUnsignedByte(offset + i) << 8;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) ~sum & 0xffff;
    }
}
