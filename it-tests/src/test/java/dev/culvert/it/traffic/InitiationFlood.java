package dev.culvert.it.traffic;

import dev.culvert.crypto.Blake2s;
import dev.culvert.crypto.Keys;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A handshake-initiation flood (issue 10) for {@code FloodIT} and {@code bench/flood.sh}: WireGuard initiations
 * (whitepaper §5.4.2, 148 bytes) whose every field is random except the type word and a valid mac1 for the target's
 * public key (§5.4.4: so they pass the cheap check and would reach the expensive one), mac2 all zeros, sent at a
 * steady rate from one or more local addresses. Needs only culvert-crypto and Bouncy Castle on the class path, so
 * the bench compiles this file against a distribution's jars.
 *
 * <p>{@code java -cp CP dev.culvert.it.traffic.InitiationFlood TARGET_IP:PORT PUBLIC_KEY RATE SECONDS [SOURCE_IP ...]}:
 * RATE is initiations per second in total; each SOURCE_IP gets a socket (default: one, any address). Prints
 * "flooding ..." when it starts and what it sent when done. Only ever run inside a test's own namespaces.
 */
public final class InitiationFlood {
    private static final int LENGTH = 148;
    private static final int MAC1 = 116;

    private InitiationFlood() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: InitiationFlood TARGET_IP:PORT PUBLIC_KEY RATE SECONDS [SOURCE_IP ...]");
            System.exit(64);
        }
        int colon = args[0].lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[0].substring(0, colon)),
                Integer.parseInt(args[0].substring(colon + 1)));
        byte[] targetKey = Keys.parse(args[1]);
        long rate = Long.parseLong(args[2]);
        double seconds = Double.parseDouble(args[3]);

        SecureRandom random = new SecureRandom();
        byte[] mac1Key = Blake2s.hash("mac1----".getBytes(StandardCharsets.US_ASCII), targetKey);
        List<ByteBuffer> messages = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            byte[] msg = new byte[LENGTH];
            random.nextBytes(msg);
            msg[0] = 1; // handshake initiation, three reserved zero bytes
            msg[1] = msg[2] = msg[3] = 0;
            System.arraycopy(Blake2s.mac(mac1Key, Arrays.copyOf(msg, MAC1)), 0, msg, MAC1, 16);
            Arrays.fill(msg, MAC1 + 16, LENGTH, (byte) 0);
            messages.add(ByteBuffer.wrap(msg));
        }
        List<DatagramChannel> sockets = new ArrayList<>();
        for (int i = 4; i < Math.max(args.length, 5); i++) {
            DatagramChannel ch = DatagramChannel.open();
            ch.bind(i < args.length ? new InetSocketAddress(InetAddress.getByName(args[i]), 0) : null);
            ch.connect(target);
            sockets.add(ch);
        }

        System.out.println("flooding " + target + " at " + rate + "/s for " + seconds + " s");
        System.out.flush();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long sent = 0;
        long errors = 0;
        int m = 0;
        int s = 0;
        for (long now = start; now < end; now = System.nanoTime()) {
            long due = (now - start) * rate / 1_000_000_000L;
            if (sent >= due) {
                LockSupport.parkNanos(Math.max(50_000L, (sent - due + 1) * 1_000_000_000L / rate));
                continue;
            }
            for (long n = Math.min(due - sent, 256); n > 0; n--) {
                ByteBuffer msg = messages.get(m++ & 4095);
                msg.clear();
                try {
                    sockets.get(s++ % sockets.size()).write(msg);
                } catch (java.io.IOException e) {
                    errors++; // ICMP port unreachable and the like: keep going
                }
                sent++;
            }
        }
        double took = (System.nanoTime() - start) / 1e9;
        System.out.printf("flood: sent %d initiations in %.2f s (%.0f/s) from %d source(s), %d send errors%n",
                sent, took, sent / took, sockets.size(), errors);
    }
}
