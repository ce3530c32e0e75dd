package dev.culvert.protocol.wire;

/**
 * Culvert's extension header: the first bytes of a transport message's plaintext when a tunnel
 * carries Ethernet frames or compresses. It lives inside the AEAD, so it is authenticated like the
 * packet, and it cannot be mistaken for WireGuard's payload: an IP packet starts with 0x4_ or 0x6_.
 * A tun tunnel without compression never sends it and stays WireGuard-compatible.
 * <pre>
 *  0      1       2            4              6
 *  +------+-------+------------+--------------+-------------------------------+----------+
 *  | 0xC1 | flags | stored len | original len | payload (stored len bytes)    | padding  |
 *  |      |       | u16 BE     | u16 BE       | compressed or not             | to 16    |
 *  +------+-------+------------+--------------+-------------------------------+----------+
 *  flags: bits 0-1 kind (0 IP packet, 1 Ethernet frame), bits 2-3 compression (0 none, 1 LZ4,
 *  2 zlib), bits 4-7 zero (a receiver drops what it does not understand).
 * </pre>
 */
public final class ExtensionHeader {
    private ExtensionHeader() {}

    public static final int MARKER = 0xC1;
    public static final int FLAGS = 1;
    public static final int STORED_LENGTH = 2;
    public static final int ORIGINAL_LENGTH = 4;
    public static final int LENGTH = 6;

    public static final int KIND_MASK = 0x03;
    public static final int KIND_IP = 0;
    public static final int KIND_ETHERNET = 1;
    public static final int COMPRESSION_SHIFT = 2;
    public static final int COMPRESSION_MASK = 0x0C;
    public static final int RESERVED_MASK = 0xF0;
}
