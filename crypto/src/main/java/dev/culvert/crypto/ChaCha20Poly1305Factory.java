package dev.culvert.crypto;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;

/**
 * Chooses the ChaCha20-Poly1305 implementation behind {@link DataCipher}: the JDK's
 * {@code javax.crypto.Cipher} (CPU intrinsics from JDK 20 on), Conscrypt's (BoringSSL through JNI, where its
 * native library loads) or Bouncy Castle's pure-Java one. All produce identical bytes.
 *
 * <p>At start the daemon calls {@link #choose(String)} once: it checks every available implementation
 * against the RFC 8439 section 2.8.2 known answer and against Bouncy Castle's handshake {@link Aead}, times
 * each for a few tens of milliseconds on 1420-byte packets sealed and opened in place, picks the fastest
 * and makes it the process-wide default of {@link DataCipher#forKey(byte[])}. An override
 * ({@code culvert.aead} in the config, or the system property {@value #PROPERTY}) skips the race.
 */
public final class ChaCha20Poly1305Factory {

    /** System property naming the implementation: {@code auto}, {@code jdk}, {@code conscrypt} or {@code bc}. */
    public static final String PROPERTY = "culvert.aead";
    /** The override value that asks for the measured choice. */
    public static final String AUTO = "auto";
    /** Packet size of the start-up race: a full 1420-byte MTU packet, WireGuard's default. */
    public static final int RACE_PACKET = 1420;
    /**
     * Time each implementation is timed for (in {@value #RACE_ROUNDS} interleaved rounds, the best counts),
     * after a warm-up of as long again on {@value #WARM_UP_PACKET}-byte packets.
     */
    public static final Duration RACE_BUDGET = Duration.ofMillis(40);
    private static final int RACE_ROUNDS = 2;
    private static final int WARM_UP_PACKET = 64;

    /** The implementations, with the name the override uses. */
    public enum Implementation {
        /** {@code javax.crypto.Cipher.getInstance("ChaCha20-Poly1305")}. */
        JDK("jdk"),
        /** Conscrypt's {@code ChaCha20/Poly1305/NoPadding} from its own provider instance (BoringSSL, JNI). */
        CONSCRYPT("conscrypt"),
        /** {@code org.bouncycastle.crypto.modes.ChaCha20Poly1305}. */
        BOUNCY_CASTLE("bc");

        private final String propertyValue;

        Implementation(String propertyValue) {
            this.propertyValue = propertyValue;
        }

        /** The override value ({@code culvert.aead}) that selects this implementation. */
        public String propertyValue() {
            return propertyValue;
        }
    }

    /**
     * One implementation's speed in the start-up race.
     *
     * @param implementation which one
     * @param packets        packets sealed and then opened in place (each counts twice in the bytes)
     * @param nanos          time the measured packets took, in nanoseconds
     * @param packetSize     plaintext bytes per packet
     */
    public record Measurement(Implementation implementation, long packets, long nanos, int packetSize) {
        /** AEAD throughput in Gbit/s of plaintext: seal and open bytes together, per core. */
        public double gbitPerSecond() {
            return nanos == 0 ? 0 : 2.0 * packets * packetSize * 8 / nanos;
        }
    }

    /**
     * What {@link #choose} picked and why.
     *
     * @param chosen       the implementation now behind {@link DataCipher#forKey(byte[])}
     * @param forced       true if an override named it (no race among the others)
     * @param measurements the raced (or, when forced, the one checked) implementations, fastest first
     * @param unavailable  implementations left out, with the reason (no native library, failed self-check)
     */
    public record Choice(Implementation chosen, boolean forced, List<Measurement> measurements,
                         Map<Implementation, String> unavailable) {
        public Choice {
            Objects.requireNonNull(chosen, "chosen");
            measurements = List.copyOf(measurements);
            Map<Implementation, String> copy = new EnumMap<>(Implementation.class);
            copy.putAll(unavailable);
            unavailable = Collections.unmodifiableMap(copy);
        }

        /**
         * One log line's worth, e.g. {@code conscrypt (5.2 Gbit/s); jdk 1.3, bc 1.1} or
         * {@code jdk (forced by culvert.aead; 1.3 Gbit/s)}, plus {@code ; unavailable: conscrypt (reason)}.
         */
        public String describe() {
            StringBuilder line = new StringBuilder(chosen.propertyValue()).append(" (");
            if (forced) {
                line.append("forced by ").append(PROPERTY).append("; ");
            }
            List<String> others = new ArrayList<>();
            for (Measurement m : measurements) {
                if (m.implementation() == chosen) {
                    line.append(String.format(Locale.ROOT, "%.1f Gbit/s", m.gbitPerSecond()));
                } else {
                    others.add(String.format(Locale.ROOT, "%s %.1f", m.implementation().propertyValue(),
                            m.gbitPerSecond()));
                }
            }
            line.append(')');
            if (!others.isEmpty()) {
                line.append("; ").append(String.join(", ", others));
            }
            if (!unavailable.isEmpty()) {
                List<String> reasons = new ArrayList<>();
                unavailable.forEach((impl, why) -> reasons.add(impl.propertyValue() + " (" + why + ")"));
                line.append("; unavailable: ").append(String.join(", ", reasons));
            }
            return line.toString();
        }
    }

    private static final HexFormat HEX = HexFormat.of();
    // RFC 8439 section 2.8.2: key, nonce, AAD, plaintext, ciphertext || tag.
    private static final byte[] KAT_KEY = HEX.parseHex(
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] KAT_NONCE = HEX.parseHex("070000004041424344454647");
    private static final byte[] KAT_AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] KAT_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you "
            + "only one tip for the future, sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] KAT_SEALED = HEX.parseHex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116"
            + "1ae10b594f09e26a7e902ecbd0600691");

    /** Set by {@link #choose}; null until then. */
    private static volatile Implementation chosen;
    /** Tests only: implementations to treat as unavailable, with the reason to report. */
    static final Map<Implementation, String> SIMULATED_UNAVAILABLE =
            Collections.synchronizedMap(new EnumMap<>(Implementation.class));

    private ChaCha20Poly1305Factory() {
    }

    /**
     * The process-wide implementation of {@link DataCipher#forKey(byte[])}: the one {@link #choose} picked;
     * before any choice, the one the system property {@value #PROPERTY} names, else {@link Implementation#JDK}.
     *
     * @throws IllegalArgumentException if the property has a value other than jdk, conscrypt or bc
     */
    public static Implementation configured() {
        Implementation picked = chosen;
        if (picked != null) {
            return picked;
        }
        String value = System.getProperty(PROPERTY);
        return value == null || isAuto(value) ? Implementation.JDK : parse(value);
    }

    /** Parses {@code jdk}, {@code conscrypt} or {@code bc} (case-insensitive, surrounding blanks ignored). */
    public static Implementation parse(String value) {
        String name = value.strip().toLowerCase(Locale.ROOT);
        for (Implementation implementation : Implementation.values()) {
            if (implementation.propertyValue.equals(name)) {
                return implementation;
            }
        }
        throw new IllegalArgumentException("unknown ChaCha20-Poly1305 implementation '" + value + "' in "
                + PROPERTY + "; expected auto, jdk, conscrypt or bc");
    }

    /** Whether {@code implementation} can be used in this process (Conscrypt needs its native library). */
    public static boolean isAvailable(Implementation implementation) {
        return unavailableReason(implementation).isEmpty();
    }

    /** Why {@code implementation} cannot be used here, or empty if it can. */
    public static Optional<String> unavailableReason(Implementation implementation) {
        String simulated = SIMULATED_UNAVAILABLE.get(implementation);
        if (simulated != null) {
            return Optional.of(simulated);
        }
        if (implementation == Implementation.CONSCRYPT) {
            return Optional.ofNullable(ConscryptSupport.unavailableReason());
        }
        return Optional.empty();
    }

    /**
     * Checks and races the implementations and makes the winner the process-wide default; call once at start.
     *
     * <p>The override is {@code auto} (or null/blank), {@code jdk}, {@code conscrypt} or {@code bc}. When it
     * is auto, a {@value #PROPERTY} system property other than auto still forces its implementation (the old
     * flag keeps working). A forced implementation is checked against the known answer and timed alone.
     * With auto, every available implementation is checked (RFC 8439 section 2.8.2 known answer, in place
     * on a direct buffer; a 1420-byte packet on heap and direct buffers byte-identical to {@link Aead});
     * those that fail are reported unavailable, the rest are warmed up and timed for {@link #RACE_BUDGET}
     * each and the fastest wins. Takes about 0.3 s.
     *
     * @throws IllegalArgumentException if the override (or property) names no implementation
     * @throws IllegalStateException    if the forced implementation is unavailable here or fails its
     *                                  self-check, or if no implementation passes
     */
    public static Choice choose(String override) {
        return choose(override, RACE_BUDGET);
    }

    /** {@link #choose(String)} with another race budget (tests). */
    static Choice choose(String override, Duration budget) {
        String value = override == null || override.isBlank() || isAuto(override)
                ? System.getProperty(PROPERTY) : override;
        Map<Implementation, String> unavailable = new EnumMap<>(Implementation.class);
        if (value != null && !value.isBlank() && !isAuto(value)) {
            Implementation forced = parse(value);
            Optional<String> reason = unavailableReason(forced);
            if (reason.isPresent()) {
                throw new IllegalStateException(PROPERTY + " = " + forced.propertyValue()
                        + " names an implementation that is unavailable here: " + reason.get());
            }
            String failure = selfCheck(forced);
            if (failure != null) {
                throw new IllegalStateException(PROPERTY + " = " + forced.propertyValue()
                        + " failed its self-check: " + failure);
            }
            race(forced, budget, WARM_UP_PACKET);
            Measurement measured = race(forced, budget, RACE_PACKET);
            chosen = forced;
            return new Choice(forced, true, List.of(measured), unavailable);
        }
        List<Implementation> candidates = new ArrayList<>();
        for (Implementation implementation : Implementation.values()) {
            Optional<String> reason = unavailableReason(implementation);
            String failure = reason.isPresent() ? null : selfCheck(implementation);
            if (reason.isPresent()) {
                unavailable.put(implementation, reason.get());
            } else if (failure != null) {
                unavailable.put(implementation, "failed its self-check: " + failure);
            } else {
                candidates.add(implementation);
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalStateException("no ChaCha20-Poly1305 implementation passed its self-check: " + unavailable);
        }
        for (Implementation implementation : candidates) {
            // Warm-up on small packets: many calls soon, so the JIT compiles (and on Java 20+ intrinsifies)
            // the Java implementations before they are timed; Conscrypt's native code needs none.
            race(implementation, budget, WARM_UP_PACKET);
        }
        Map<Implementation, Measurement> best = new EnumMap<>(Implementation.class);
        for (int round = 0; round < RACE_ROUNDS; round++) {               // interleaved, best of each
            for (Implementation implementation : candidates) {
                Measurement m = race(implementation, budget.dividedBy(RACE_ROUNDS), RACE_PACKET);
                best.merge(implementation, m, (a, b) -> a.gbitPerSecond() >= b.gbitPerSecond() ? a : b);
            }
        }
        List<Measurement> measurements = new ArrayList<>(best.values());
        measurements.sort((a, b) -> Double.compare(b.gbitPerSecond(), a.gbitPerSecond()));
        Implementation winner = measurements.get(0).implementation();
        chosen = winner;
        return new Choice(winner, false, measurements, unavailable);
    }

    /** Forgets the choice (tests). */
    static void resetChoice() {
        chosen = null;
    }

    private static boolean isAuto(String value) {
        return value.strip().equalsIgnoreCase(AUTO);
    }

    /** Null if {@code implementation} passes the known answer and the cross-check, else what went wrong. */
    static String selfCheck(Implementation implementation) {
        try (DataCipher cipher = DataCipher.forKey(KAT_KEY, implementation)) {
            ByteBuffer direct = ByteBuffer.allocateDirect(KAT_SEALED.length);
            direct.put(KAT_PLAINTEXT).flip();
            cipher.sealInPlaceWithNonce(KAT_NONCE, KAT_AAD, direct);
            if (!Arrays.equals(bytes(direct), KAT_SEALED)) {
                return "RFC 8439 section 2.8.2 known answer differs";
            }
            cipher.openInPlaceWithNonce(KAT_NONCE, KAT_AAD, direct);
            if (!Arrays.equals(bytes(direct), KAT_PLAINTEXT)) {
                return "RFC 8439 section 2.8.2 known answer does not open to its plaintext";
            }
            byte[] packet = new byte[RACE_PACKET];
            new SplittableRandom(8439).nextBytes(packet);
            long counter = 0x0123_4567_89ab_cdefL;
            ByteBuffer heap = ByteBuffer.allocate(RACE_PACKET + Aead.TAG_LENGTH + 3).position(3);
            ByteBuffer offHeap = ByteBuffer.allocateDirect(RACE_PACKET + Aead.TAG_LENGTH + 3).position(3);
            for (ByteBuffer buf : new ByteBuffer[] {heap, offHeap}) {
                buf.put(packet).flip().position(3);
                byte[] reference = Aead.seal(KAT_KEY, counter, packet, new byte[0]);
                cipher.sealInPlace(counter, buf);
                if (!Arrays.equals(bytes(buf), reference)) {
                    return "a " + RACE_PACKET + "-byte packet sealed differently from Bouncy Castle's ("
                            + (buf.isDirect() ? "direct" : "heap") + " buffer)";
                }
                cipher.openInPlace(counter++, buf);
                if (!Arrays.equals(bytes(buf), packet)) {
                    return "a sealed " + RACE_PACKET + "-byte packet did not open to its plaintext";
                }
                buf.clear().position(3);
            }
            return null;
        } catch (AEADBadTagException | RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    private static byte[] bytes(ByteBuffer buf) {
        byte[] out = new byte[buf.remaining()];
        buf.duplicate().get(out);
        return out;
    }

    /** Seals and opens packets of {@code size} bytes in place on a direct buffer for {@code budget}. */
    private static Measurement race(Implementation implementation, Duration budget, int size) {
        byte[] key = new byte[Aead.KEY_LENGTH];
        key[0] = 1;
        ByteBuffer buf = ByteBuffer.allocateDirect(size + Aead.TAG_LENGTH);
        buf.limit(size);
        long budgetNanos = budget.toNanos();
        long packets = 0;
        long start = System.nanoTime();
        long elapsed;
        try (DataCipher sealer = DataCipher.forKey(key, implementation);
             DataCipher opener = DataCipher.forKey(key, implementation)) {
            do {
                for (int i = 0; i < 8; i++, packets++) {
                    sealer.sealInPlace(packets, buf);
                    opener.openInPlace(packets, buf);
                }
                elapsed = System.nanoTime() - start;
            } while (elapsed < budgetNanos);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException(implementation.propertyValue() + " could not open what it sealed", e);
        }
        return new Measurement(implementation, packets, elapsed, size);
    }

    /** Creates an engine holding its own copy of {@code key}. */
    static ChaCha20Poly1305Engine create(Implementation implementation, byte[] key) {
        switch (implementation) {
            case JDK:
                return new JdkChaCha20Poly1305(key);
            case CONSCRYPT:
                return new ConscryptChaCha20Poly1305(key);
            case BOUNCY_CASTLE:
                return new BcChaCha20Poly1305(key);
            default:
                throw new IllegalArgumentException("unhandled implementation " + implementation);
        }
    }
}
