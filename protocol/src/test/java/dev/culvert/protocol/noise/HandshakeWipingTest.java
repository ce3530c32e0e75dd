package dev.culvert.protocol.noise;

import static org.assertj.core.api.Assertions.assertThat;

import dev.culvert.crypto.Tai64n;
import dev.culvert.crypto.X25519;
import dev.culvert.protocol.wire.InitiationMessage;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/**
 * A handshake step that replaces the chain key, and a consumed or refused initiation's candidate, leave no
 * copy of the dropped chain key behind: its bytes are zero (SECURITY.md, "Key material").
 */
class HandshakeWipingTest {
    private static final byte[] ZERO = new byte[32];
    private final SecureRandom random = new SecureRandom();
    private final LocalStatic initiatorStatic = new LocalStatic(X25519.generatePrivateKey(random));
    private final LocalStatic responderStatic = new LocalStatic(X25519.generatePrivateKey(random));
    private final Handshake initiator;
    private final Handshake responder;

    HandshakeWipingTest() throws Exception {
        initiator = new Handshake(initiatorStatic, new RemoteStatic(initiatorStatic, responderStatic.publicKey(), null),
                random);
        responder = new Handshake(responderStatic, new RemoteStatic(responderStatic, initiatorStatic.publicKey(), null),
                random);
    }

    @Test
    void aNewInitiationWipesTheChainKeyOfTheOneItReplaces() {
        initiator.createInitiation(1, Tai64n.of(1_000, 0));
        byte[] first = initiator.chainKeyRef();
        assertThat(first).isNotEqualTo(ZERO);

        initiator.createInitiation(2, Tai64n.of(1_001, 0));

        assertThat(first).isEqualTo(ZERO);
        assertThat(initiator.chainKeyRef()).isNotEqualTo(ZERO);
    }

    @Test
    void everyStepWipesTheChainKeyItReplacesAndTheCandidateIsWiped() {
        byte[] msg = initiator.createInitiation(7, Tai64n.of(1_000, 0));
        byte[] initiatorCk = initiator.chainKeyRef();

        Handshake.Candidate candidate = Handshake.decryptInitiation(responderStatic, msg);
        assertThat(candidate).isNotNull();
        assertThat(candidate.chainKey()).isNotEqualTo(ZERO);
        assertThat(responder.consumeInitiation(candidate, msg, 0)).isEqualTo(Handshake.Verdict.ACCEPTED);
        assertThat(candidate.chainKey()).as("candidate chain key").isEqualTo(ZERO);
        assertThat(candidate.hash()).as("candidate hash").isEqualTo(new byte[32]);

        byte[] consumedCk = responder.chainKeyRef();
        byte[] response = responder.createResponse(9);
        assertThat(consumedCk).as("responder chain key after the initiation").isEqualTo(ZERO);

        assertThat(initiator.consumeResponse(response)).isTrue();
        assertThat(initiatorCk).as("initiator chain key after the initiation").isEqualTo(ZERO);

        byte[] finalCk = initiator.chainKeyRef();
        SessionKeys keys = initiator.deriveSession();
        assertThat(finalCk).isEqualTo(ZERO);
        assertThat(keys.sendKey()).isNotEqualTo(ZERO);
    }

    @Test
    void aRefusedInitiationsCandidateIsWipedToo() {
        byte[] msg = initiator.createInitiation(7, Tai64n.of(1_000, 0));
        msg[InitiationMessage.TIMESTAMP] ^= 1; // the timestamp no longer decrypts; the static key still does
        Handshake.Candidate candidate = Handshake.decryptInitiation(responderStatic, msg);
        assertThat(candidate).isNotNull();

        assertThat(responder.consumeInitiation(candidate, msg, 0)).isEqualTo(Handshake.Verdict.DECRYPT_FAILED);

        assertThat(candidate.chainKey()).isEqualTo(ZERO);
        assertThat(responder.stage()).isEqualTo(Handshake.Stage.NONE);
    }

    @Test
    void aForgedResponseLeavesThePendingHandshakeIntact() {
        byte[] msg = initiator.createInitiation(7, Tai64n.of(1_000, 0));
        Handshake.Candidate candidate = Handshake.decryptInitiation(responderStatic, msg);
        responder.consumeInitiation(candidate, msg, 0);
        byte[] response = responder.createResponse(9);
        response[response.length - 40] ^= 1; // inside the encrypted nothing
        byte[] pending = initiator.chainKeyRef().clone();

        assertThat(initiator.consumeResponse(response)).isFalse();

        assertThat(initiator.chainKeyRef()).isEqualTo(pending);
        assertThat(initiator.stage()).isEqualTo(Handshake.Stage.INITIATION_CREATED);
    }
}
