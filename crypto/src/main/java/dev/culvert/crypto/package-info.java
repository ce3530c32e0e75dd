/**
 * WireGuard's cryptographic primitives, byte for byte: BLAKE2s hashing and MACs, the HKDF-style
 * {@link dev.culvert.crypto.Kdf}, X25519, ChaCha20-Poly1305 for handshake fields ({@link dev.culvert.crypto.Aead})
 * and for the data path ({@link dev.culvert.crypto.DataCipher}), XChaCha20-Poly1305 for cookie replies,
 * TAI64N timestamps, the anti-replay window and the base64 key text format.
 *
 * <p>Everything here is stateless and thread-safe except {@link dev.culvert.crypto.DataCipher} and
 * {@link dev.culvert.crypto.ReplayWindow}, which belong to one owner thread. No class in this package
 * logs, and no exception message or {@code toString()} contains key material.
 */
package dev.culvert.crypto;
