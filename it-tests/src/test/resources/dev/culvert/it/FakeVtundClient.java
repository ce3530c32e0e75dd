import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * A vtund client that authenticates as vtund does (VTUN.md §2.1), then sends the raw bytes given in hex: the
 * malformed frames VtundInteropIT throws at a Culvert server. Run as a single-file program inside a test namespace:
 * {@code java FakeVtundClient.java HOST PORT SESSION PASSWORD HEX}. Prints the server's FLAGS, then "closed by the
 * server" when the server closes the connection (within 10 s), else "still open".
 */
public class FakeVtundClient {
    public static void main(String[] args) throws Exception {
        try (Socket s = new Socket(args[0], Integer.parseInt(args[1]))) {
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            read(in);
            send(out, "HOST: " + args[2]);
            String chal = read(in);
            byte[] challenge = decode(chal.substring(chal.indexOf('<') + 1, chal.indexOf('>')));
            byte[] key = MessageDigest.getInstance("MD5").digest(args[3].getBytes(StandardCharsets.US_ASCII));
            Cipher bf = Cipher.getInstance("Blowfish/ECB/NoPadding");
            bf.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "Blowfish"));
            send(out, "CHAL: " + encode(bf.doFinal(challenge)));
            System.out.println(read(in));
            out.write(java.util.HexFormat.of().parseHex(args[4]));
            out.flush();
            InputStream raw = s.getInputStream();
            try {
                while (raw.read() >= 0) {
                    // the server's echo request and CONN_CLOSE
                }
                System.out.println("closed by the server");
            } catch (java.net.SocketTimeoutException e) {
                System.out.println("still open");
            }
        }
    }

    static String read(DataInputStream in) throws Exception {
        byte[] m = new byte[50];
        in.readFully(m);
        int n = 0;
        while (n < 50 && m[n] != 0 && m[n] != '\n') {
            n++;
        }
        return new String(m, 0, n, StandardCharsets.US_ASCII);
    }

    static void send(OutputStream out, String text) throws Exception {
        byte[] m = new byte[50];
        byte[] t = (text + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, m, 0, t.length);
        out.write(m);
        out.flush();
    }

    static String encode(byte[] b) {
        StringBuilder s = new StringBuilder("<");
        for (byte x : b) {
            s.append((char) ('a' + ((x >> 4) & 15))).append((char) ('a' + (x & 15)));
        }
        return s.append('>').toString();
    }

    static byte[] decode(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ((s.charAt(2 * i) - 'a') << 4 | (s.charAt(2 * i + 1) - 'a'));
        }
        return b;
    }
}
