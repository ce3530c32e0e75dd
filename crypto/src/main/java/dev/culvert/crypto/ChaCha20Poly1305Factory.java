package dev.culvert.crypto;

import java.util.Locale;

/**
 * Chooses the ChaCha20-Poly1305 implementation behind {@link DataCipher}: the JDK's
 * {@code javax.crypto.Cipher} (default; CPU intrinsics from JDK 20 on) or Bouncy Castle's pure-Java
 * one. The choice comes from the system property {@value #PROPERTY} ({@code jdk} or {@code bc}), so a
 * JMH run can compare both without a rebuild. Both produce identical bytes.
 */
public final class ChaCha20Poly1305Factory {

    /** System property naming the implementation: {@code jdk} (default) or {@code bc}. */
    public static final String PROPERTY = "culvert.aead";

    /** The available implementations, with the name the system property uses. */
    public enum Implementation {
        /** {@code javax.crypto.Cipher.getInstance("ChaCha20-Poly1305")}. */
        JDK("jdk"),
        /** {@code org.bouncycastle.crypto.modes.ChaCha20Poly1305}. */
        BOUNCY_CASTLE("bc");

        private final String propertyValue;

        Implementation(String propertyValue) {
            this.propertyValue = propertyValue;
        }

        /** The value of {@value ChaCha20Poly1305Factory#PROPERTY} that selects this implementation. */
        public String propertyValue() {
            return propertyValue;
        }
    }

    private ChaCha20Poly1305Factory() {
    }

    /**
     * The implementation the system property selects, {@link Implementation#JDK} if it is unset.
     *
     * @throws IllegalArgumentException if the property has a value other than {@code jdk} or {@code bc}
     */
    public static Implementation configured() {
        String value = System.getProperty(PROPERTY);
        return value == null ? Implementation.JDK : parse(value);
    }

    /** Parses {@code jdk} or {@code bc} (case-insensitive). */
    public static Implementation parse(String value) {
        String name = value.strip().toLowerCase(Locale.ROOT);
        for (Implementation implementation : Implementation.values()) {
            if (implementation.propertyValue.equals(name)) {
                return implementation;
            }
        }
        throw new IllegalArgumentException("unknown ChaCha20-Poly1305 implementation '" + value + "' in -D"
                + PROPERTY + "; expected 'jdk' or 'bc'");
    }

    /** Creates an engine holding its own copy of {@code key}. */
    static ChaCha20Poly1305Engine create(Implementation implementation, byte[] key) {
        switch (implementation) {
            case JDK:
                return new JdkChaCha20Poly1305(key);
            case BOUNCY_CASTLE:
                return new BcChaCha20Poly1305(key);
            default:
                throw new IllegalArgumentException("unhandled implementation " + implementation);
        }
    }
}
