/**
 * vtund 3.0.4's wire protocol, for {@code transport = vtun-legacy}: the 50-byte authentication messages and the
 * Blowfish challenge, the FLAGS string, 2-byte framed data with echo keepalive, the cipher framings and the LZO/zlib
 * transforms. The reference is {@code ../shared/docs/VTUN.md} §2 (from vtund's {@code auth.c}, {@code linkfd.c},
 * {@code lfd_encrypt.c}, {@code lfd_legacy_encrypt.c}, {@code lfd_zlib.c}, {@code lfd_lzo.c},
 * {@code generic/tcp_proto.c}); Debian 12's vtund is the interop peer. Insecure by design (VTUN.md §3): no MAC,
 * no replay protection, one static key from MD5 of the password.
 */
package dev.culvert.protocol.vtun;
