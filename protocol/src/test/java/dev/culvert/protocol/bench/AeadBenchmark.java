package dev.culvert.protocol.bench;

import dev.culvert.crypto.ChaCha20Poly1305Factory;
import dev.culvert.crypto.DataCipher;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The data path's AEAD alone, in place on a direct buffer as the data path calls it
 * ({@link DataCipher#sealInPlace}, {@link DataCipher#openInPlace}), per implementation and packet size. One
 * core; Gbit/s = ops/s x size x 8 / 1e9. Run with {@code -prof gc} for bytes per packet. Not a test: run by
 * bench/jmh.sh, e.g. {@code bench/jmh.sh /usr/lib/jvm/temurin-25-jdk-amd64 -prof gc AeadBenchmark}. A
 * parameter value whose implementation is unavailable on the platform (Conscrypt without a native build)
 * fails its setup; the others still run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AeadBenchmark {
    @Param({"64", "1420"})
    int size;

    @Param({"JDK", "CONSCRYPT", "BOUNCY_CASTLE"})
    ChaCha20Poly1305Factory.Implementation aead;

    private static final int RING = 256;

    private DataCipher sealer;
    private DataCipher opener;
    /** The packet buffer sealed in place, over and over (its content becomes ciphertext of ciphertext...). */
    private ByteBuffer packet;
    /** RING sealed packets; each open first copies one into {@link #work} (the copy is part of the figure). */
    private ByteBuffer sealed;
    private ByteBuffer work;
    private long counter;
    private int next;

    @Setup
    public void setUp(BenchmarkParams params) throws Exception {
        ChaCha20Poly1305Factory.unavailableReason(aead).ifPresent(why -> {
            throw new IllegalStateException(why);
        });
        byte[] key = new byte[32];
        key[0] = 7;
        sealer = DataCipher.forKey(key, aead);
        opener = DataCipher.forKey(key, aead);
        byte[] plaintext = new byte[size];
        new SplittableRandom(size).nextBytes(plaintext);
        packet = ByteBuffer.allocateDirect(size + 16);
        packet.put(plaintext).flip();
        int stride = size + 16;
        sealed = ByteBuffer.allocateDirect(RING * stride);
        work = ByteBuffer.allocateDirect(stride);
        try (DataCipher once = DataCipher.forKey(key, aead)) {
            for (int i = 0; i < RING; i++) {
                sealed.clear().position(i * stride).limit(i * stride + size);
                sealed.put(i * stride, plaintext);
                once.sealInPlace(i, sealed);
            }
        }
        sealed.clear();
    }

    @TearDown
    public void tearDown() {
        sealer.close();
        opener.close();
    }

    @Benchmark
    public int sealInPlace() {
        packet.limit(size).position(0);
        return sealer.sealInPlace(counter++, packet);
    }

    @Benchmark
    public int openInPlace() throws AEADBadTagException {
        int i = next++ & (RING - 1);
        int stride = size + 16;
        work.clear();
        work.put(0, sealed, i * stride, stride);
        work.limit(stride);
        return opener.openInPlace(i, work);
    }
}
