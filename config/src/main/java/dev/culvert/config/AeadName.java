package dev.culvert.config;

/**
 * The values {@code culvert.aead} may name: {@code auto} (the crypto module's start-up self-test picks the
 * fastest working ChaCha20-Poly1305) or one implementation forced by name. The daemon hands the lower-case
 * name to {@code ChaCha20Poly1305Factory.choose}.
 */
enum AeadName { AUTO, JDK, CONSCRYPT, BC }
