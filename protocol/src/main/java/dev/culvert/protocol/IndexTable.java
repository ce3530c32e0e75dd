package dev.culvert.protocol;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;

/**
 * Local session indices (whitepaper §5.4.1: random 32-bit values) and what each names: a peer with a
 * handshake in flight, or a keypair. The receive path resolves the receiver index of every message
 * here. Not thread-safe.
 */
final class IndexTable {
    private final Map<Integer, Object> entries = new HashMap<>();
    private final SecureRandom random;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** Reserves a fresh random index for {@code owner}. */
    int allocate(Object owner) {
        while (true) {
            int index = random.nextInt();
            if (entries.putIfAbsent(index, owner) == null) {
                return index;
            }
        }
    }

    /** Points an existing index at a new owner (a handshake's index becomes its keypair's). */
    void replace(int index, Object owner) {
        entries.put(index, owner);
    }

    Object get(int index) {
        return entries.get(index);
    }

    void remove(int index, Object owner) {
        entries.remove(index, owner);
    }

    int size() {
        return entries.size();
    }
}
