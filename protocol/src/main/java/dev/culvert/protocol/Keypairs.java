package dev.culvert.protocol;

/**
 * One peer's three session slots (whitepaper §5.4.6, and wireguard-go's {@code Keypairs}): the
 * {@code previous} keypair (still accepted while the peer catches up), the {@code current} one that
 * sends, and the {@code next} one a responder holds until the initiator proves it has it by sending
 * with it. Rotation rules:
 * <ul>
 *   <li>an initiator's new session becomes current at once (previous := current, or := an unconfirmed next);</li>
 *   <li>a responder's new session waits in next until the first transport message under it arrives
 *       ({@link #confirmNext}), then moves to current;</li>
 *   <li>a keypair leaving the three slots is removed from the index table and its keys are wiped.</li>
 * </ul>
 * Engine thread only.
 */
final class Keypairs {
    private final IndexTable indices;
    private Keypair previous;
    private Keypair current;
    private Keypair next;

    Keypairs(IndexTable indices) {
        this.indices = indices;
    }

    /** The keypair that sends, or null. */
    Keypair current() {
        return current;
    }

    /** True if {@code keypair} is the responder's unconfirmed next one. */
    boolean isNext(Keypair keypair) {
        return keypair == next;
    }

    /** Installs a freshly derived session (see the rotation rules above). */
    void begin(Keypair keypair) {
        if (keypair.initiator) {
            if (next != null) {
                Keypair oldNext = next;
                next = null;
                delete(previous);
                previous = oldNext;
                delete(current);
            } else {
                delete(previous);
                previous = current;
            }
            current = keypair;
        } else {
            delete(next);
            next = keypair;
            delete(previous);
            previous = null;
        }
    }

    /** The peer sent under next: it has the keys, so next becomes current. */
    void confirmNext() {
        delete(previous);
        previous = current;
        current = next;
        next = null;
    }

    /** Wipes all three (REJECT_AFTER_TIME × 3 without a new session, or the peer is removed). */
    void clear() {
        delete(previous);
        delete(current);
        delete(next);
        previous = current = next = null;
    }

    private void delete(Keypair keypair) {
        if (keypair != null) {
            indices.remove(keypair.localIndex, keypair);
            keypair.destroy();
        }
    }
}
