package dev.culvert.protocol;

import dev.culvert.crypto.DataCipher;
import dev.culvert.crypto.ReplayWindow;
import dev.culvert.protocol.noise.SessionKeys;

/**
 * One session's transport keys (whitepaper §5.4.6): a cipher per direction, the next send counter,
 * the receive replay window, and the indices that name it on the wire. Owned by one peer, used on
 * one thread.
 */
public final class Keypair {
    final Peer peer;
    final DataCipher sender;
    final DataCipher receiver;
    final ReplayWindow replay = new ReplayWindow();
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long createdNanos;
    long sendCounter;

    Keypair(Peer peer, SessionKeys keys, long nowNanos) {
        this.peer = peer;
        this.sender = DataCipher.forKey(keys.sendKey());
        this.receiver = DataCipher.forKey(keys.receiveKey());
        dev.culvert.crypto.Secrets.wipe(keys.sendKey(), keys.receiveKey());
        this.localIndex = keys.localIndex();
        this.remoteIndex = keys.remoteIndex();
        this.initiator = keys.initiator();
        this.createdNanos = nowNanos;
    }

    /** True while this keypair may still encrypt: younger than REJECT_AFTER_TIME, counter below the limit. */
    boolean canSend(long nowNanos) {
        return nowNanos - createdNanos < Spec.REJECT_AFTER_TIME_NANOS
                && Long.compareUnsigned(sendCounter, Spec.REJECT_AFTER_MESSAGES) < 0;
    }

    /** True while packets under this keypair may still be accepted. */
    boolean canReceive(long nowNanos) {
        return nowNanos - createdNanos < Spec.REJECT_AFTER_TIME_NANOS;
    }

    void destroy() {
        sender.close();
        receiver.close();
    }

    @Override
    public String toString() {
        return "Keypair[local=" + Integer.toUnsignedString(localIndex) + ", initiator=" + initiator + "]";
    }
}
