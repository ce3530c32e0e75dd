package dev.culvert.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.crypto.Cipher;

/**
 * Whether Conscrypt can be used in this process, and its private {@link Provider} instance. Conscrypt's
 * uber jar carries BoringSSL natives for linux-x86_64, osx-x86_64 and windows only; on any other platform,
 * or when the library fails to load (no writable temp directory, an old glibc, the jar missing), it is
 * reported unavailable with the reason instead of failing the process. Loaded once, on first use.
 */
final class ConscryptSupport {

    /** Conscrypt's name for the RFC 8439 AEAD. */
    static final String TRANSFORMATION = "ChaCha20/Poly1305/NoPadding";

    private static final Provider PROVIDER;
    private static final String UNAVAILABLE_REASON;

    static {
        Provider provider = null;
        String reason = null;
        try {
            org.conscrypt.Conscrypt.checkAvailability();
            provider = org.conscrypt.Conscrypt.newProvider();
            Cipher.getInstance(TRANSFORMATION, provider);
        } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
            provider = null;
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            reason = "Conscrypt is not usable on " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + ": " + root;
        }
        PROVIDER = provider;
        UNAVAILABLE_REASON = reason;
    }

    private ConscryptSupport() {
    }

    /** Null if Conscrypt works here, else why not (one line, for a log). */
    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** A new ChaCha20-Poly1305 Cipher from Conscrypt's provider instance. */
    static Cipher newCipher() {
        if (PROVIDER == null) {
            throw new IllegalStateException(UNAVAILABLE_REASON);
        }
        try {
            return Cipher.getInstance(TRANSFORMATION, PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Conscrypt has no " + TRANSFORMATION, e);
        }
    }
}
