package dev.culvert.protocol.vtun;

import java.util.Locale;

/**
 * vtund's {@code encrypt} methods and their FLAGS numbers ({@code vtun.h} VTUN_ENC_*; VTUN.md §2.2, §2.7).
 * {@link #offered()} says which Culvert speaks: Blowfish CBC/CFB/OFB and the 256-bit Blowfish modes are parsed (to
 * name them when a server asks for them) but refused, as Debian's 64-bit vtund corrupts their data (VTUN.md finding 3).
 */
public enum VtunCipher {
    NO(0, null, null, 0, 0),
    BLOWFISH128ECB(1, "Blowfish", "ECB", 16, 8),
    BLOWFISH128CBC(2, "Blowfish", "CBC", 16, 8),
    BLOWFISH128CFB(3, "Blowfish", "CFB", 16, 8),
    BLOWFISH128OFB(4, "Blowfish", "OFB", 16, 8),
    BLOWFISH256ECB(5, "Blowfish", "ECB", 32, 8),
    BLOWFISH256CBC(6, "Blowfish", "CBC", 32, 8),
    BLOWFISH256CFB(7, "Blowfish", "CFB", 32, 8),
    BLOWFISH256OFB(8, "Blowfish", "OFB", 32, 8),
    AES128ECB(9, "AES", "ECB", 16, 16),
    AES128CBC(10, "AES", "CBC", 16, 16),
    AES128CFB(11, "AES", "CFB", 16, 16),
    AES128OFB(12, "AES", "OFB", 16, 16),
    AES256ECB(13, "AES", "ECB", 32, 16),
    AES256CBC(14, "AES", "CBC", 32, 16),
    AES256CFB(15, "AES", "CFB", 32, 16),
    AES256OFB(16, "AES", "OFB", 32, 16),
    /** The bare {@code E} flag: Blowfish-ECB with front padding ({@code lfd_legacy_encrypt.c}). */
    OLDBLOWFISH128ECB(-1, "Blowfish", "ECB", 16, 8);

    private final int number;
    private final String algorithm;
    private final String mode;
    private final int keyBytes;
    private final int blockSize;

    VtunCipher(int number, String algorithm, String mode, int keyBytes, int blockSize) {
        this.number = number;
        this.algorithm = algorithm;
        this.mode = mode;
        this.keyBytes = keyBytes;
        this.blockSize = blockSize;
    }

    /** The FLAGS number after {@code E} (1..16); 0 for none, -1 for the bare {@code E}. */
    public int number() {
        return number;
    }

    /** The JCA algorithm name, or null for {@link #NO}. */
    public String algorithm() {
        return algorithm;
    }

    /** ECB, CBC, CFB or OFB (JCA names); null for {@link #NO}. */
    public String mode() {
        return mode;
    }

    /** Key bytes: 16 (MD5 of the password) or 32 (MD5 of each half). */
    public int keyBytes() {
        return keyBytes;
    }

    /** Cipher block bytes: 8 (Blowfish) or 16 (AES). */
    public int blockSize() {
        return blockSize;
    }

    /** True for CBC/CFB/OFB: the frames carry an {@code ivec} header first and a {@code seq#} block each. */
    public boolean chained() {
        return mode != null && !mode.equals("ECB");
    }

    /** True if Culvert speaks it with vtund: none, blowfish128ecb, oldblowfish128ecb and every AES mode. */
    public boolean offered() {
        return this == NO || this == BLOWFISH128ECB || this == OLDBLOWFISH128ECB || "AES".equals(algorithm);
    }

    /** The config / vtund.conf name, e.g. {@code aes128cbc}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The cipher of a FLAGS number (0 none, -1 bare E); null if unknown. */
    public static VtunCipher ofNumber(int number) {
        for (VtunCipher c : values()) {
            if (c.number == number) {
                return c;
            }
        }
        return null;
    }
}
