package dev.culvert.daemon.tun;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class IcmpEchoTest {

    private static final int FROM = 0xC6120001; // 198.18.0.1
    private static final int TO = 0xC6120002;   // 198.18.0.2

    @Test
    void turnsAnEchoRequestIntoAValidReply() {
        ByteBuf packet = echoRequest(5);

        assertThat(IcmpEcho.toEchoReply(packet)).isTrue();

        assertThat(packet.getInt(IcmpEcho.IPV4_SOURCE)).isEqualTo(TO);
        assertThat(packet.getInt(IcmpEcho.IPV4_DESTINATION)).isEqualTo(FROM);
        assertThat((int) packet.getUnsignedByte(20 + IcmpEcho.ICMP_TYPE)).isEqualTo(IcmpEcho.ICMP_ECHO_REPLY);
        assertThat(IcmpEcho.checksum(packet, 0, 20)).as("IPv4 header checksum verifies").isZero();
        assertThat(IcmpEcho.checksum(packet, 20, packet.readableBytes() - 20)).as("ICMP checksum verifies").isZero();
        assertThat(packet.getByte(28 + 4)).as("payload kept").isEqualTo((byte) 4);
        packet.release();
    }

    @Test
    void leavesOtherPacketsAlone() {
        ByteBuf reply = echoRequest(4);
        reply.setByte(20, IcmpEcho.ICMP_ECHO_REPLY);
        ByteBuf udp = echoRequest(4);
        udp.setByte(IcmpEcho.IPV4_PROTOCOL, 17);
        ByteBuf ipv6 = Unpooled.buffer().writeByte(0x60).writeZero(39);
        ByteBuf runt = Unpooled.buffer().writeByte(0x45).writeZero(10);

        assertThat(IcmpEcho.toEchoReply(reply)).isFalse();
        assertThat(IcmpEcho.toEchoReply(udp)).isFalse();
        assertThat(IcmpEcho.toEchoReply(ipv6)).isFalse();
        assertThat(IcmpEcho.toEchoReply(runt)).isFalse();
        for (ByteBuf b : new ByteBuf[] {reply, udp, ipv6, runt}) {
            b.release();
        }
    }

    @Test
    void checksumMatchesTheRfc1071Example() {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, so the checksum is 220d.
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5,
                (byte) 0xf6, (byte) 0xf7});
        assertThat(IcmpEcho.checksum(b, 0, 8)).isEqualTo(0x220d);
    }

    private static ByteBuf echoRequest(int payloadLength) {
        int total = 20 + 8 + payloadLength;
        ByteBuf p = Unpooled.buffer(total);
        p.writeByte(0x45).writeByte(0).writeShort(total).writeShort(0x1234).writeShort(0x4000)
                .writeByte(64).writeByte(IcmpEcho.PROTOCOL_ICMP).writeShort(0).writeInt(FROM).writeInt(TO);
        p.setShort(IcmpEcho.IPV4_CHECKSUM, IcmpEcho.checksum(p, 0, 20));
        p.writeByte(IcmpEcho.ICMP_ECHO_REQUEST).writeByte(0).writeShort(0).writeShort(7).writeShort(1);
        for (int i = 0; i < payloadLength; i++) {
            p.writeByte(i);
        }
        p.setShort(20 + IcmpEcho.ICMP_CHECKSUM, IcmpEcho.checksum(p, 20, 8 + payloadLength));
        return p;
    }
}
