package dev.culvert.protocol.bench;

import dev.culvert.protocol.offload.Coalescer;
import dev.culvert.protocol.offload.DeviceOffloads;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * GRO towards the device ({@link Coalescer}), one core: a burst of {@value #BURST} decrypted 1420-byte TCP
 * segments (IPv4, timestamps, MSS 1368) of {@code flows} interleaved flows, added and flushed into
 * super-packets from a pooled allocator. Score = segments per second. Not a test: run by bench/jmh.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CoalescerBenchmark {
    static final int BURST = 64;
    private static final int MSS = 1368;

    @Param({"1", "4"})
    int flows;

    private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final Coalescer coalescer = new Coalescer(new DeviceOffloads(true, true, true, true, true, true), false);
    private final ByteBuf[] segments = new ByteBuf[BURST];

    @Setup
    public void setUp() {
        int[] seq = new int[flows];
        int[] id = new int[flows];
        for (int i = 0; i < BURST; i++) {
            int f = i % flows;
            ByteBuf b = alloc.directBuffer(24 + 1420 + 31);
            b.writerIndex(24).readerIndex(24);
            b.writeByte(0x45).writeByte(0).writeShort(1420).writeShort(id[f]++).writeShort(0x4000)
                    .writeByte(64).writeByte(6).writeShort(0)
                    .writeInt(0xC6120001).writeInt(0xC6120002);
            b.writeShort(40000 + f).writeShort(5201).writeInt(seq[f]).writeInt(1).writeByte(8 << 4).writeByte(0x10)
                    .writeShort(502).writeShort(0).writeShort(0)
                    .writeInt(0x0101080A).writeInt(1).writeInt(2);
            b.writeZero(MSS);
            seq[f] += MSS;
            segments[i] = b;
        }
    }

    @TearDown
    public void tearDown() {
        for (ByteBuf b : segments) {
            b.release();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public void coalesce(Blackhole bh) {
        for (ByteBuf b : segments) {
            coalescer.add(b.retain()); // kept for the next burst; the coalescer releases its reference
        }
        coalescer.flush(alloc, out -> {
            bh.consume(out.readableBytes());
            out.release();
        });
    }
}
