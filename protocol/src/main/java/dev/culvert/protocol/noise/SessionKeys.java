package dev.culvert.protocol.noise;

/**
 * The outcome of a handshake: one key per direction and the two indices that name the session.
 * Handed straight to a {@code Keypair}, which takes ownership of the key arrays.
 */
public record SessionKeys(byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex, boolean initiator) {
    @Override
    public String toString() {
        return "SessionKeys[local=" + Integer.toUnsignedString(localIndex) + ", remote="
                + Integer.toUnsignedString(remoteIndex) + ", initiator=" + initiator + "]";
    }
}
