package dev.culvert.protocol.testing;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;

/** A SecureRandom that hands out scripted byte arrays first (for known-answer tests), then zeros. */
public final class ScriptedRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final transient Deque<byte[]> script = new ArrayDeque<>();

    public ScriptedRandom then(byte[] bytes) {
        script.add(bytes.clone());
        return this;
    }

    @Override
    public void nextBytes(byte[] bytes) {
        byte[] next = script.poll();
        if (next == null) {
            java.util.Arrays.fill(bytes, (byte) 0);
            return;
        }
        if (next.length != bytes.length) {
            throw new IllegalStateException("scripted " + next.length + " bytes, asked for " + bytes.length);
        }
        System.arraycopy(next, 0, bytes, 0, bytes.length);
    }
}
