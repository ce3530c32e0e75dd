package dev.culvert.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds minimal inner packets for tests. */
public final class Packets {
    private Packets() {}

    /** An IPv4 packet of {@code totalLength} bytes (header + zero payload) from src to dst, e.g. "198.18.0.1". */
    public static ByteBuf ipv4(String src, String dst, int totalLength) {
        ByteBuf b = Unpooled.buffer(totalLength + 32);
        b.writeByte(0x45).writeByte(0).writeShort(totalLength).writeShort(1).writeShort(0)
                .writeByte(64).writeByte(17).writeShort(0);
        b.writeBytes(addr(src)).writeBytes(addr(dst));
        b.writeZero(totalLength - 20);
        return b;
    }

    /** An IPv6 packet with {@code payloadLength} bytes of zero payload. */
    public static ByteBuf ipv6(byte[] src, byte[] dst, int payloadLength) {
        ByteBuf b = Unpooled.buffer(40 + payloadLength + 32);
        b.writeInt(0x60000000).writeShort(payloadLength).writeByte(17).writeByte(64);
        b.writeBytes(src).writeBytes(dst).writeZero(payloadLength);
        return b;
    }

    static byte[] addr(String dotted) {
        String[] p = dotted.split("\\.");
        return new byte[] {(byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]),
                (byte) Integer.parseInt(p[2]), (byte) Integer.parseInt(p[3])};
    }
}
