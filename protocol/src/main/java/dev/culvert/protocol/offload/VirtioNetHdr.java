package dev.culvert.protocol.offload;

import io.netty.buffer.ByteBuf;

/**
 * The 10-byte header that precedes every packet on a tun/tap device opened with {@code IFF_VNET_HDR}
 * ({@code struct virtio_net_hdr}, {@code <linux/virtio_net.h>}; virtio 1.x spec §5.1.6). Fields are in the
 * host's byte order for a legacy tun header (little-endian on x86-64 and arm64, the only hosts Culvert runs
 * on):
 * <pre>
 *   offset 0  u8   flags        {@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID}
 *          1  u8   gso_type     {@link #GSO_NONE}, {@link #GSO_TCPV4}, {@link #GSO_UDP}, {@link #GSO_TCPV6},
 *                               {@link #GSO_UDP_L4}, or'ed with {@link #GSO_ECN}
 *          2  u16  hdr_len      bytes of headers (L2 on tap + L3 + L4) before the payload to segment
 *          4  u16  gso_size     payload bytes per segment (MSS)
 *          6  u16  csum_start   where checksumming starts, from the start of the packet
 *          8  u16  csum_offset  where to store the checksum, from csum_start
 * </pre>
 * Offsets passed to the accessors are absolute buffer indexes of the header's first byte.
 */
public final class VirtioNetHdr {
    private VirtioNetHdr() {}

    /** Bytes of the header ({@code sizeof(struct virtio_net_hdr)}, the tun default vnet_hdr_sz). */
    public static final int LENGTH = 10;

    /** The checksum from csum_start to the end is to be computed and stored at csum_start + csum_offset. */
    public static final int F_NEEDS_CSUM = 1;
    /** The checksum has been validated (receive side only). */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    /** UFO: IP fragmentation of a UDP datagram; never enabled by Culvert. */
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** USO: UDP segmentation by gso_size, each segment its own datagram (Linux 6.2+). */
    public static final int GSO_UDP_L4 = 5;
    /** The TCP stream had CWR set: set it on the first segment only. */
    public static final int GSO_ECN = 0x80;

    public static int flags(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at);
    }

    public static int gsoType(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at + 1);
    }

    public static int hdrLen(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 2);
    }

    public static int gsoSize(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 4);
    }

    public static int csumStart(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 6);
    }

    public static int csumOffset(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 8);
    }

    /** Writes a whole header at {@code at} (writer index untouched). */
    public static void set(ByteBuf buf, int at, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                           int csumOffset) {
        buf.setByte(at, flags);
        buf.setByte(at + 1, gsoType);
        buf.setShortLE(at + 2, hdrLen);
        buf.setShortLE(at + 4, gsoSize);
        buf.setShortLE(at + 6, csumStart);
        buf.setShortLE(at + 8, csumOffset);
    }

    /** Writes an all-zero header at {@code at}: a plain packet, checksums complete. */
    public static void setNone(ByteBuf buf, int at) {
        buf.setLong(at, 0L);
        buf.setShort(at + 8, 0);
    }
}
