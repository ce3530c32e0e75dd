package dev.culvert.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.daemon.tun.MemoryTunChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.TimeUnit;

/** Packets for twin-site tests: what a site's memory device is given, and what came out of the other one. */
final class TwinPackets {
    private TwinPackets() {}

    /**
     * An IPv4/UDP-numbered packet of {@code length} bytes (20-byte header, no checksum: the tunnel does not look)
     * from 198.18.0.{@code src} to 198.18.{@code dst >> 8}.{@code dst & 255}, its payload bytes derived from {@code seed}.
     */
    static byte[] ipv4(int src, int dst, int length, int seed) {
        byte[] p = new byte[length];
        p[0] = 0x45;
        p[2] = (byte) (length >> 8);
        p[3] = (byte) length;
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(new byte[] {(byte) 198, 18, 0, (byte) src}, 0, p, 12, 4);
        System.arraycopy(new byte[] {(byte) 198, 18, (byte) (dst >> 8), (byte) dst}, 0, p, 16, 4);
        for (int i = 20; i < length; i++) {
            p[i] = (byte) (seed + i);
        }
        return p;
    }

    /** The next packet written to {@code device} (fails after 10 s without one), its buffer released. */
    static byte[] take(MemoryTunChannel device) throws InterruptedException {
        ByteBuf got = device.written().poll(10, TimeUnit.SECONDS);
        assertThat(got).as("a packet written to %s", device.name()).isNotNull();
        try {
            return ByteBufUtil.getBytes(got);
        } finally {
            got.release();
        }
    }
}
