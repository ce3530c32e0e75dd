package dev.culvert.crypto;

import java.util.HexFormat;

/** Test helper: hex strings with optional whitespace, as RFCs print them. */
final class Hex {

    private Hex() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s+", ""));
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
