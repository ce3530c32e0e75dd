package dev.culvert.protocol.vtun;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * vtund's data encryption, one direction each way with the same key (VTUN.md §2.7; vtund {@code lfd_encrypt.c},
 * {@code lfd_legacy_encrypt.c}). JDK ciphers only (SunJCE's AES and Blowfish). Not thread-safe: one owner thread.
 *
 * <ul>
 *   <li>Key: 16 bytes MD5(password); 32 bytes MD5(first half) ‖ MD5(second half).</li>
 *   <li>ECB modes: {@code ECB(P ‖ pad)}, {@code n = bs − len mod bs} pad bytes of value n (n = bs: bs−1 random
 *       bytes then bs); each frame stands alone.</li>
 *   <li>oldblowfish128ecb ({@code E}): front padding {@code [p][p−1 zeros][data]}, p = 8 − len mod 8.</li>
 *   <li>CBC/CFB/OFB: the first frame of a direction starts with {@code ECB("ivec" ‖ IV ‖ random)} (2 blocks); every
 *       frame is {@code MODE("seq#" ‖ BE32(seq) ‖ zeros ‖ P ‖ pad)}, the cipher state running on across frames. A
 *       frame that does not decrypt to a tag is dropped and the next one sent carries {@code rsyn}, on which the
 *       peer starts its direction again with a new {@code ivec}.</li>
 * </ul>
 * Nothing here authenticates anything (VTUN.md §3): a forged frame decrypts to garbage the device may take.
 */
public final class VtunCrypto {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] IVEC = "ivec".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ = "seq#".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RSYN = "rsyn".getBytes(StandardCharsets.US_ASCII);

    private enum EncState { INIT, SEQUENCE, REQ_INIT }

    private final VtunCipher cipher;
    private final int bs;
    private final SecretKeySpec key;
    private final Cipher ecbEncrypt;
    private final Cipher ecbDecrypt;
    private Cipher modeEncrypt;
    private Cipher modeDecrypt;
    private EncState encState = EncState.INIT;
    private boolean decSynced;
    private int sequence = RANDOM.nextInt();

    /**
     * @param cipher   an {@link VtunCipher#offered() offered} cipher other than {@link VtunCipher#NO}
     * @param password the session's passwd bytes (not kept: only the derived key is)
     * @throws IllegalArgumentException for {@link VtunCipher#NO} or a cipher not offered
     */
    public VtunCrypto(VtunCipher cipher, byte[] password) {
        if (cipher == VtunCipher.NO || !cipher.offered()) {
            throw new IllegalArgumentException(cipher.configName() + " is not an offered vtund cipher");
        }
        this.cipher = cipher;
        this.bs = cipher.blockSize();
        byte[] k = key(password, cipher.keyBytes());
        this.key = new SecretKeySpec(k, cipher.algorithm());
        Arrays.fill(k, (byte) 0);
        this.ecbEncrypt = init(cipher.algorithm() + "/ECB/NoPadding", Cipher.ENCRYPT_MODE, null);
        this.ecbDecrypt = init(cipher.algorithm() + "/ECB/NoPadding", Cipher.DECRYPT_MODE, null);
    }

    /** vtund's key: MD5(pw) for 16 bytes, MD5(pw[0:n/2]) ‖ MD5(pw[n/2:]) for 32 ({@code lfd_encrypt.c:prep_key}). */
    static byte[] key(byte[] password, int bytes) {
        if (bytes == 16) {
            return VtunAuth.md5(password, 0, password.length);
        }
        int half = password.length / 2;
        byte[] out = new byte[32];
        byte[] a = VtunAuth.md5(password, 0, half);
        byte[] b = VtunAuth.md5(password, half, password.length - half);
        System.arraycopy(a, 0, out, 0, 16);
        System.arraycopy(b, 0, out, 16, 16);
        return out;
    }

    /** The most bytes {@link #seal} adds to a packet: an ivec header, a tag block and a padding block. */
    public int overhead() {
        return 4 * bs;
    }

    /**
     * Encrypts one packet into a frame payload.
     *
     * @return the payload (length a multiple of the block size)
     */
    public byte[] seal(byte[] in, int offset, int length) {
        if (cipher == VtunCipher.OLDBLOWFISH128ECB) {
            int pad = 8 - (length & 7);
            byte[] plain = new byte[length + pad];
            plain[0] = (byte) pad;
            System.arraycopy(in, offset, plain, pad, length);
            return update(ecbEncrypt, plain);
        }
        if (!cipher.chained()) {
            return update(ecbEncrypt, padded(in, offset, length, 0));
        }
        byte[] header = new byte[0];
        if (encState == EncState.INIT) {
            byte[] iv = new byte[bs];
            RANDOM.nextBytes(iv);
            byte[] block = new byte[2 * bs];
            RANDOM.nextBytes(block);
            System.arraycopy(IVEC, 0, block, 0, 4);
            System.arraycopy(iv, 0, block, 4, bs);
            modeEncrypt = init(transformation(), Cipher.ENCRYPT_MODE, iv);
            header = update(ecbEncrypt, block);
            encState = EncState.SEQUENCE;
        }
        byte[] plain = padded(in, offset, length, bs);
        System.arraycopy(encState == EncState.REQ_INIT ? RSYN : SEQ, 0, plain, 0, 4);
        int seq = sequence++;
        plain[4] = (byte) (seq >>> 24);
        plain[5] = (byte) (seq >>> 16);
        plain[6] = (byte) (seq >>> 8);
        plain[7] = (byte) seq;
        encState = EncState.SEQUENCE;
        byte[] body = update(modeEncrypt, plain);
        byte[] out = new byte[header.length + body.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    /**
     * Decrypts one frame payload.
     *
     * @return the packet, or null if the frame does not decrypt (bad length or padding, no {@code ivec}, no tag: a
     *         drop, {@link dev.culvert.protocol.DropReason#VTUN_BAD_CIPHERTEXT}); never throws for bad input
     */
    public byte[] open(byte[] in, int offset, int length) {
        if (length <= 0 || length % bs != 0) {
            requestResync();
            return null;
        }
        if (cipher == VtunCipher.OLDBLOWFISH128ECB) {
            byte[] plain = update(ecbDecrypt, Arrays.copyOfRange(in, offset, offset + length));
            int pad = plain[0] & 0xff;
            return pad < 1 || pad > 8 ? null : Arrays.copyOfRange(plain, pad, plain.length);
        }
        if (!cipher.chained()) {
            return unpad(update(ecbDecrypt, Arrays.copyOfRange(in, offset, offset + length)), 0);
        }
        if (!decSynced) {
            if (length < 2 * bs) {
                requestResync();
                return null;
            }
            byte[] block = update(ecbDecrypt, Arrays.copyOfRange(in, offset, offset + 2 * bs));
            if (!startsWith(block, IVEC)) {
                requestResync();
                return null;
            }
            modeDecrypt = init(transformation(), Cipher.DECRYPT_MODE, Arrays.copyOfRange(block, 4, 4 + bs));
            decSynced = true;
            offset += 2 * bs;
            length -= 2 * bs;
            if (length == 0) {
                return null;
            }
        }
        byte[] plain = update(modeDecrypt, Arrays.copyOfRange(in, offset, offset + length));
        if (startsWith(plain, RSYN)) {
            encState = EncState.INIT; // the peer lost our stream: start it again with a new ivec
        } else if (!startsWith(plain, SEQ)) {
            decSynced = false;
            requestResync();
            return null;
        }
        return unpad(plain, bs);
    }

    private void requestResync() {
        if (cipher.chained() && encState != EncState.INIT) {
            encState = EncState.REQ_INIT;
        }
    }

    private String transformation() {
        return cipher.algorithm() + "/" + cipher.mode() + "/NoPadding";
    }

    /** {@code skip} zero bytes, the data, then vtund's tail padding to a whole block. */
    private byte[] padded(byte[] in, int offset, int length, int skip) {
        int pad = bs - (length % bs);
        byte[] plain = new byte[skip + length + pad];
        System.arraycopy(in, offset, plain, skip, length);
        if (pad == bs) {
            byte[] random = new byte[bs - 1];
            RANDOM.nextBytes(random);
            System.arraycopy(random, 0, plain, skip + length, bs - 1);
            plain[plain.length - 1] = (byte) bs;
        } else {
            Arrays.fill(plain, skip + length, plain.length, (byte) pad);
        }
        return plain;
    }

    private byte[] unpad(byte[] plain, int skip) {
        int pad = plain[plain.length - 1] & 0xff;
        if (pad < 1 || pad > bs || plain.length - pad < skip) {
            return null;
        }
        return Arrays.copyOfRange(plain, skip, plain.length - pad);
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        return data.length >= prefix.length && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
    }

    private Cipher init(String transformation, int mode, byte[] iv) {
        try {
            Cipher c = Cipher.getInstance(transformation);
            if (iv == null) {
                c.init(mode, key);
            } else {
                c.init(mode, key, new IvParameterSpec(iv));
            }
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " is missing from this JDK", e);
        }
    }

    private static byte[] update(Cipher c, byte[] data) {
        byte[] out = c.update(data);
        return out == null ? new byte[0] : out;
    }
}
