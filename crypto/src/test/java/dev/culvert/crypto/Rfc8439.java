package dev.culvert.crypto;

import static dev.culvert.crypto.Hex.bytes;
import static java.nio.charset.StandardCharsets.US_ASCII;

/** The AEAD test vector of RFC 8439 section 2.8.2 (shared with draft-irtf-cfrg-xchacha-03 A.3.1's inputs). */
final class Rfc8439 {

    static final byte[] PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
            + "for the future, sunscreen would be it.").getBytes(US_ASCII);
    static final byte[] AAD = bytes("50515253c0c1c2c3c4c5c6c7");
    static final byte[] KEY = bytes("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    static final byte[] NONCE = bytes("070000004041424344454647");
    static final byte[] CIPHERTEXT = bytes(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116");
    static final byte[] TAG = bytes("1ae10b594f09e26a7e902ecbd0600691");

    private Rfc8439() {
    }

    static byte[] ciphertextAndTag() {
        return Blake2sTest.concat(CIPHERTEXT, TAG);
    }
}
