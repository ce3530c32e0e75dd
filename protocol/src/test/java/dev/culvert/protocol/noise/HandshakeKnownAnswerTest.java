package dev.culvert.protocol.noise;

import dev.culvert.crypto.DataCipher;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.testing.ScriptedRandom;
import dev.culvert.protocol.wire.InitiationMessage;
import dev.culvert.protocol.wire.ResponseMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handshake and first transport message, byte for byte, against known-answer data produced by
 * an independent implementation (src/test/resources/kat/gen_handshake_kat.py: Python's hashlib and
 * python3-cryptography, written from the whitepaper), with and without a preshared key.
 */
class HandshakeKnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of();

    static List<Map<String, String>> vectors() throws IOException {
        try (InputStream in = HandshakeKnownAnswerTest.class.getResourceAsStream("/kat/handshake-kat.json")) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<Map<String, String>> out = new ArrayList<>();
            for (String object : json.split("\\}")) {
                Matcher m = Pattern.compile("\"(\\w+)\":\\s*\"?([^\",\\n]*)\"?").matcher(object);
                Map<String, String> v = new LinkedHashMap<>();
                while (m.find()) {
                    v.put(m.group(1), m.group(2).trim());
                }
                if (!v.isEmpty()) {
                    out.add(v);
                }
            }
            return out;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void handshakeAndFirstPacketMatchIndependentImplementation(Map<String, String> v) throws Exception {
        byte[] psk = v.get("presharedKey").isEmpty() ? null : HEX.parseHex(v.get("presharedKey"));
        LocalStatic initiator = new LocalStatic(HEX.parseHex(v.get("initiatorStaticPrivate")));
        LocalStatic responder = new LocalStatic(HEX.parseHex(v.get("responderStaticPrivate")));
        int indexI = (int) Long.parseLong(v.get("initiatorIndex"));
        int indexR = (int) Long.parseLong(v.get("responderIndex"));

        RemoteStatic responderAtI = new RemoteStatic(initiator, responder.publicKey(), psk);
        Handshake hsI = new Handshake(initiator, responderAtI,
                new ScriptedRandom().then(HEX.parseHex(v.get("initiatorEphemeralSeed"))));
        byte[] initiation = hsI.createInitiation(indexI, HEX.parseHex(v.get("timestamp")));
        new MacGenerator(responderAtI).addMacs(initiation, InitiationMessage.MAC1, 0);
        assertThat(HEX.formatHex(initiation)).isEqualTo(v.get("initiation"));
        assertThat(initiation).hasSize(148);

        // The responder: find the initiator by its decrypted static key, then answer.
        assertThat(new CookieChecker(responder, new ScriptedRandom()).checkMac1(initiation, InitiationMessage.MAC1)).isTrue();
        Handshake.Candidate candidate = Handshake.decryptInitiation(responder, initiation);
        assertThat(candidate).isNotNull();
        assertThat(candidate.remoteStatic()).isEqualTo(initiator.publicKey());
        RemoteStatic initiatorAtR = new RemoteStatic(responder, candidate.remoteStatic(), psk);
        Handshake hsR = new Handshake(responder, initiatorAtR,
                new ScriptedRandom().then(HEX.parseHex(v.get("responderEphemeralSeed"))));
        assertThat(hsR.consumeInitiation(candidate, initiation, 0)).isEqualTo(Handshake.Verdict.ACCEPTED);
        byte[] response = hsR.createResponse(indexR);
        new MacGenerator(initiatorAtR).addMacs(response, ResponseMessage.MAC1, 0);
        assertThat(HEX.formatHex(response)).isEqualTo(v.get("response"));
        assertThat(response).hasSize(92);

        assertThat(hsI.consumeResponse(response)).isTrue();
        SessionKeys keysI = hsI.deriveSession();
        SessionKeys keysR = hsR.deriveSession();
        assertThat(HEX.formatHex(keysI.sendKey())).isEqualTo(v.get("initiatorSendKey"));
        assertThat(HEX.formatHex(keysI.receiveKey())).isEqualTo(v.get("initiatorReceiveKey"));
        assertThat(keysR.receiveKey()).isEqualTo(keysI.sendKey());
        assertThat(keysR.sendKey()).isEqualTo(keysI.receiveKey());
        assertThat(keysI.remoteIndex()).isEqualTo(indexR);
        assertThat(keysR.remoteIndex()).isEqualTo(indexI);

        // The first transport message: header, counter 0, padded plaintext, tag.
        byte[] packet = HEX.parseHex(v.get("packet"));
        byte[] expected = HEX.parseHex(v.get("transport"));
        byte[] padded = java.util.Arrays.copyOf(packet, (packet.length + 15) & -16);
        ByteBuffer out = ByteBuffer.allocate(padded.length + 16);
        try (DataCipher cipher = DataCipher.forKey(keysI.sendKey())) {
            cipher.seal(0, ByteBuffer.wrap(padded), out);
        }
        assertThat(HEX.formatHex(out.array())).isEqualTo(HEX.formatHex(expected, 16, expected.length));
        assertThat(X25519.publicKey(HEX.parseHex(v.get("initiatorStaticPrivate")))).isEqualTo(initiator.publicKey());
    }
}
