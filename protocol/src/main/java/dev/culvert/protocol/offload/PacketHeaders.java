package dev.culvert.protocol.offload;

/**
 * The header sizes, type numbers and field offsets that segmentation ({@link Segmenter}) and coalescing
 * ({@link Coalescer}) both read packets by: Ethernet (IEEE 802.3, 802.1Q), IPv4 (RFC 791), IPv6 (RFC 8200),
 * TCP (RFC 9293) and UDP (RFC 768). Offsets are from the start of the header named; sizes are in bytes.
 */
final class PacketHeaders {
    private PacketHeaders() {}

    static final int ETHERNET_HEADER = 14;
    static final int VLAN_TAG = 4;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_VLAN = 0x8100;
    /** An IPv4 header without options. */
    static final int IPV4_HEADER = 20;
    static final int IPV6_HEADER = 40;
    /** A TCP header without options. */
    static final int TCP_HEADER = 20;
    static final int UDP_HEADER = 8;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    /** Where the checksum sits in a TCP header. */
    static final int TCP_CHECKSUM = 16;
    /** Where the checksum sits in a UDP header. */
    static final int UDP_CHECKSUM = 6;
    static final int TCP_FIN = 0x01;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int TCP_CWR = 0x80;
}
