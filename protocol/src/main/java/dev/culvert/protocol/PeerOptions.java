package dev.culvert.protocol;

import java.net.InetSocketAddress;

/**
 * How one peer is configured in the engine. What the payload is (IP packet or Ethernet frame,
 * compressed or not) and which inner addresses it may carry are the tunnel pipeline's business
 * ({@code protocol.pipeline}), not the engine's.
 *
 * @param endpoint where to send until the peer's address is learned; null on a server that waits
 * @param persistentKeepaliveNanos 0 = off
 * @param mtu the tunnel device's MTU in bytes: padding (whitepaper §5.4.6) stops here
 * @param sink where decrypted payloads go (the tunnel pipeline)
 * @param persist keep retrying the handshake forever (jittered exponential backoff) instead of giving up
 *                after REKEY_ATTEMPT_TIME, as WireGuard does
 * @param beforeRetry run (on the engine's thread) before every handshake retry and before the re-handshake
 *                    of a peer silent for KEEPALIVE + REKEY_TIMEOUT, e.g. to re-resolve the endpoint's host
 *                    name; null for nothing
 */
public record PeerOptions(InetSocketAddress endpoint, long persistentKeepaliveNanos, int mtu, InboundSink sink,
                          boolean persist, Runnable beforeRetry) {

    /** WireGuard's behaviour: give up after 90 s of unanswered handshakes. */
    public PeerOptions(InetSocketAddress endpoint, long persistentKeepaliveNanos, int mtu, InboundSink sink) {
        this(endpoint, persistentKeepaliveNanos, mtu, sink, false, null);
    }

    /** The same options with another sink. */
    public PeerOptions withSink(InboundSink newSink) {
        return new PeerOptions(endpoint, persistentKeepaliveNanos, mtu, newSink, persist, beforeRetry);
    }
}
