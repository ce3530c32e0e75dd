#!/usr/bin/env python3
"""Known-answer data for Culvert's WireGuard handshake, from an independent implementation.

Written from the WireGuard whitepaper (section 5.4) on Python's standard library (hashlib.blake2s,
hmac) and python3-cryptography (X25519, ChaCha20-Poly1305) -- nothing here shares code with the
Java engine. Run: python3 gen_handshake_kat.py > handshake-kat.json
"""
import hashlib, hmac, json, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

RAW = serialization.Encoding.Raw

def HASH(*parts): return hashlib.blake2s(b"".join(parts)).digest()
def MAC(key, data): return hashlib.blake2s(data, key=key, digest_size=16).digest()
def HMAC(key, data): return hmac.new(key, data, hashlib.blake2s).digest()
def KDF(n, key, data):
    t0 = HMAC(key, data); out = []; prev = b""
    for i in range(1, n + 1):
        prev = HMAC(t0, prev + bytes([i])); out.append(prev)
    return out
def clamp(k):
    k = bytearray(k); k[0] &= 248; k[31] &= 127; k[31] |= 64; return bytes(k)
def pub(priv): return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
def DH(priv, pubkey): return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pubkey))
def AEAD(key, counter, pt, ad): return ChaCha20Poly1305(key).encrypt(b"\0" * 4 + struct.pack("<Q", counter), pt, ad)

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"

def vector(name, psk):
    s_i = clamp(bytes(range(1, 33)));            s_r = clamp(bytes(range(101, 133)))
    e_i_seed = bytes(range(201, 233));           e_r_seed = bytes((i * 7) & 0xFF for i in range(32))
    e_i = clamp(e_i_seed);                        e_r = clamp(e_r_seed)
    S_i, S_r, E_i, E_r = pub(s_i), pub(s_r), pub(e_i), pub(e_r)
    timestamp = bytes.fromhex("400000006553f100" "0d000000")
    idx_i, idx_r = 0x11223344, 0x8899AABB
    q = psk if psk else b"\0" * 32

    # initiation (whitepaper 5.4.2)
    C = HASH(CONSTRUCTION); H = HASH(C, IDENTIFIER); H = HASH(H, S_r)
    C = KDF(1, C, E_i)[0]; H = HASH(H, E_i)
    C, k = KDF(2, C, DH(e_i, S_r)); enc_static = AEAD(k, 0, S_i, H); H = HASH(H, enc_static)
    C, k = KDF(2, C, DH(s_i, S_r)); enc_ts = AEAD(k, 0, timestamp, H); H = HASH(H, enc_ts)
    init = struct.pack("<I", 1) + struct.pack("<I", idx_i) + E_i + enc_static + enc_ts
    init += MAC(HASH(b"mac1----", S_r), init) + b"\0" * 16
    # response (5.4.3)
    resp = struct.pack("<I", 2) + struct.pack("<I", idx_r) + struct.pack("<I", idx_i) + E_r
    C = KDF(1, C, E_r)[0]; H = HASH(H, E_r)
    C = KDF(1, C, DH(e_r, E_i))[0]; C = KDF(1, C, DH(e_r, S_i))[0]
    C, t, k = KDF(3, C, q); H = HASH(H, t)
    enc_empty = AEAD(k, 0, b"", H); H = HASH(H, enc_empty)
    resp += enc_empty
    resp += MAC(HASH(b"mac1----", S_i), resp) + b"\0" * 16
    # transport keys (5.4.5) and one data message from the initiator (5.4.6)
    t_send_i, t_recv_i = KDF(2, C, b"")
    packet = bytes.fromhex("4500001c0001000040017bd0c6120001c612000208003a8a0000bbbb")  # 28-byte ICMP echo
    padded = packet + b"\0" * (-len(packet) % 16)
    data = struct.pack("<I", 4) + struct.pack("<I", idx_r) + struct.pack("<Q", 0) + AEAD(t_send_i, 0, padded, b"")
    h = lambda b: b.hex()
    return {"name": name, "initiatorStaticPrivate": h(s_i), "responderStaticPrivate": h(s_r),
            "initiatorEphemeralSeed": h(e_i_seed), "responderEphemeralSeed": h(e_r_seed),
            "presharedKey": h(psk) if psk else "", "timestamp": h(timestamp),
            "initiatorIndex": idx_i, "responderIndex": idx_r,
            "initiation": h(init), "response": h(resp),
            "initiatorSendKey": h(t_send_i), "initiatorReceiveKey": h(t_recv_i),
            "packet": h(packet), "transport": h(data)}

print(json.dumps([vector("no-psk", None), vector("psk", bytes(range(50, 82)))], indent=1))
