package dev.culvert.protocol.offload;

import dev.culvert.protocol.offload.GsoPackets.Spec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * One core segmenting 64 KB TSO super-packets (MSS 1448 / 1428, timestamps) into 1500-byte packets from a pooled
 * direct allocator, segments released after: the device-read cost of tun offloads. Multiply ops/s by 65535 × 8 for
 * bit/s. Not a test: {@code bench/jmh.sh "" -f 1 -wi 3 -w 2s -i 5 -r 2s SegmentationBenchmark}. On a shared machine
 * wall-clock scores swing with the load; per-thread CPU time (ThreadMXBean) gave about 10 µs per 64 KB
 * super-packet on Java 17 (Netty with Unsafe) and 16 µs on Java 25 (Netty's default there: no Unsafe).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SegmentationBenchmark {
    @Param({"tcp4", "tcp6"})
    String kind;

    private final Segmenter segmenter = new Segmenter(new DeviceOffloads(true, true, true, true, true, true), false,
            1500);
    private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf superPacket;
    private int at;
    private Blackhole sink;

    @Setup
    public void setUp(Blackhole blackhole) {
        Spec spec = kind.equals("tcp4") ? Spec.tcp4(65535 - 52, 1448) : Spec.tcp6(65535 - 52, 1428);
        superPacket = GsoPackets.build(spec);
        at = superPacket.readerIndex();
        sink = blackhole;
    }

    @TearDown
    public void tearDown() {
        superPacket.release();
    }

    private void consume(ByteBuf segment) {
        sink.consume(segment.getByte(segment.writerIndex() - 1));
        segment.release();
    }

    @Benchmark
    public boolean segment() {
        superPacket.retain().readerIndex(at); // process() releases it
        return segmenter.process(superPacket, alloc, this::consume);
    }

    /** The Internet checksum alone over the 64 KB packet (without its virtio-net header). */
    @Benchmark
    public int checksum() {
        return Checksums.finish(Checksums.add(superPacket, at + VirtioNetHdr.LENGTH, 65535, 0));
    }
}
