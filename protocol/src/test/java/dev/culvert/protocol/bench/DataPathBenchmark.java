package dev.culvert.protocol.bench;

import dev.culvert.crypto.ChaCha20Poly1305Factory;
import dev.culvert.crypto.DataCipher;
import dev.culvert.protocol.testing.MemoryLink;
import dev.culvert.protocol.testing.MemoryLink.Datagram;
import dev.culvert.protocol.testing.Packets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import javax.crypto.AEADBadTagException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The per-packet costs of the data path, one core: the AEAD alone, copying (JDK, Conscrypt, Bouncy Castle;
 * in place: {@link AeadBenchmark}) and a
 * whole packet through the engine (pad, encrypt, frame; then look up, decrypt, replay-check,
 * filter, deliver). Multiply packets/s by the size to get Gbit/s. Not a test: run by bench/jmh.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DataPathBenchmark {
    @Param({"1420"})
    int size;

    @Param({"JDK", "CONSCRYPT", "BOUNCY_CASTLE"})
    ChaCha20Poly1305Factory.Implementation aead;

    private DataCipher sealer;
    private DataCipher opener;
    private ByteBuffer plaintext;
    private ByteBuffer sealed;
    private ByteBuffer[] ciphertexts;
    private ByteBuffer scratch;
    private long counter;
    private int next;

    @Setup
    public void setUp() throws Exception {
        byte[] key = new byte[32];
        key[0] = 7;
        sealer = DataCipher.forKey(key, aead);
        opener = DataCipher.forKey(key, aead);
        plaintext = ByteBuffer.allocateDirect(size);
        sealed = ByteBuffer.allocateDirect(size + 16);
        scratch = ByteBuffer.allocateDirect(size + 16);
        ciphertexts = new ByteBuffer[1024];
        try (DataCipher once = DataCipher.forKey(key, aead)) {
            for (int i = 0; i < ciphertexts.length; i++) {
                ByteBuffer c = ByteBuffer.allocateDirect(size + 16);
                once.seal(i, plaintext.duplicate(), c);
                c.flip();
                ciphertexts[i] = c;
            }
        }
    }

    @TearDown
    public void tearDown() {
        sealer.close();
        opener.close();
    }

    @Benchmark
    public int seal() {
        plaintext.clear();
        sealed.clear();
        return sealer.seal(counter++, plaintext, sealed);
    }

    @Benchmark
    public int open() throws AEADBadTagException {
        int i = next++ & (ciphertexts.length - 1);
        scratch.clear();
        return opener.open(i, ciphertexts[i].duplicate(), scratch);
    }

    /** A whole packet, device to device, through two engines over memory (JDK AEAD only). */
    @State(Scope.Thread)
    public static class EngineState {
        MemoryLink link;
        byte[] packet;

        @Setup(Level.Trial)
        public void setUp() {
            link = new MemoryLink(null, null, 0, true, Integer.MAX_VALUE, PooledByteBufAllocator.DEFAULT);
            ByteBuf p = Packets.ipv4("198.18.0.1", "198.18.0.2", 1420);
            packet = io.netty.buffer.ByteBufUtil.getBytes(p);
            p.release();
            link.a.peer.start();
            link.pump();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            link.releaseAll();
        }
    }

    @Benchmark
    public int engineRoundTrip(EngineState s) {
        // as the device hands it over: a pooled direct buffer with room for padding
        s.link.a.peer.send(PooledByteBufAllocator.DEFAULT.directBuffer(s.packet.length + 32).writeBytes(s.packet));
        Datagram d = s.link.wire.poll();
        s.link.deliver(d);
        ByteBuf delivered = s.link.b.delivered.remove(0);
        int n = delivered.readableBytes();
        delivered.release();
        return n;
    }
}
