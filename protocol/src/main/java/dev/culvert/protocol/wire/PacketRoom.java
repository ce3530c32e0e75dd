package dev.culvert.protocol.wire;

import dev.culvert.protocol.Spec;

/**
 * How much room one packet buffer needs around the inner packet so that it can travel from the
 * device to the socket (and back) in that one buffer: headers are written into the headroom, padding
 * and the AEAD tag into the tailroom, and the payload is sealed and opened in place.
 * <pre>
 *   | TCP length | transport header | extension header | inner packet (≤ MTU + link header) | padding | tag |
 *   |     2      |        16        |        6         |                                     |  ≤ 15   | 16  |
 *   |&lt;------------- HEADROOM (24) --------------&gt;|                                     |&lt; TAILROOM 31&gt;|
 * </pre>
 */
public final class PacketRoom {
    private PacketRoom() {}

    /** The 2-byte big-endian length that frames each message on a TCP stream. */
    public static final int STREAM_LENGTH_FIELD = 2;
    /** An Ethernet header (14 bytes) with one 802.1Q tag (4): what a tap frame carries beyond the MTU. */
    public static final int LINK_HEADER = 18;
    /** Bytes reserved before an inner packet read from the device. */
    public static final int HEADROOM = STREAM_LENGTH_FIELD + TransportMessage.HEADER_LENGTH + ExtensionHeader.LENGTH;
    /** Bytes reserved after the largest inner packet: padding to 16 and the Poly1305 tag. */
    public static final int TAILROOM = Spec.MESSAGE_PADDING_MULTIPLE - 1 + Spec.AEAD_TAG_LENGTH;

    /**
     * True if {@code buf} is the caller's alone (one reference, writable) with at least {@code bytes} free
     * before its readable bytes: a header can be written there in place instead of copying the packet.
     */
    public static boolean canPrepend(io.netty.buffer.ByteBuf buf, int bytes) {
        return buf.readerIndex() >= bytes && buf.refCnt() == 1 && !buf.isReadOnly();
    }

    /**
     * The largest transport message the protocol carries, in bytes: a UDP payload, or a TCP frame (its
     * length field is a u16). Receive limits are this, never one derived from the local MTU: a peer with a
     * larger MTU (wireguard-go at 1500 or 8920) sends larger messages, whose inner packets are delivered
     * to the local device whole, as WireGuard does (issue 13).
     */
    public static final int MAX_MESSAGE = 65_535;

    /**
     * The largest transport message a tunnel with this device MTU sends: the transport header, the
     * extension header, the MTU plus a link header, padding and tag (without the TCP length).
     */
    public static int maxMessage(int mtu) {
        return TransportMessage.HEADER_LENGTH + ExtensionHeader.LENGTH + mtu + LINK_HEADER + TAILROOM;
    }
}
