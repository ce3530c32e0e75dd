package dev.culvert.it.harness;

/**
 * Two namespaces, site A and site B, joined by one veth "underlay" on 192.0.2.0/24 (RFC 5737),
 * with the tunnel addresses that most tests use (198.18.0.0/30, RFC 2544).
 *
 * <pre>
 *  cvit-a-xxxxxx                               cvit-b-xxxxxx
 *  [tunnel 198.18.0.1/30]                      [tunnel 198.18.0.2/30]
 *  [underlay 192.0.2.1/24] ===== veth ===== [underlay 192.0.2.2/24]
 * </pre>
 */
public final class TwoSites implements AutoCloseable {

    public static final String UNDERLAY_A = "192.0.2.1";
    public static final String UNDERLAY_B = "192.0.2.2";
    public static final int UNDERLAY_PREFIX = 24;
    public static final int PORT = 51820;
    /** {@code 192.0.2.1:51820}. */
    public static final String LISTEN_A = UNDERLAY_A + ":" + PORT;
    /** {@code 192.0.2.2:51820}. */
    public static final String LISTEN_B = UNDERLAY_B + ":" + PORT;
    public static final String TUNNEL_A = "198.18.0.1/30";
    public static final String TUNNEL_B = "198.18.0.2/30";
    public static final String TUNNEL_IP_A = "198.18.0.1";
    public static final String TUNNEL_IP_B = "198.18.0.2";

    private final Netns a;
    private final Netns b;
    private final String underlayDevice;

    private TwoSites(Netns a, Netns b, String underlayDevice) {
        this.a = a;
        this.b = b;
        this.underlayDevice = underlayDevice;
    }

    /** Creates both namespaces and the veth between them. */
    public static TwoSites create() {
        Netns a = Netns.create("a");
        try {
            Netns b = Netns.create("b");
            try {
                String dev = a.veth(b, UNDERLAY_A + "/" + UNDERLAY_PREFIX, UNDERLAY_B + "/" + UNDERLAY_PREFIX);
                return new TwoSites(a, b, dev);
            } catch (RuntimeException | AssertionError e) {
                b.close();
                throw e;
            }
        } catch (RuntimeException | AssertionError e) {
            a.close();
            throw e;
        }
    }

    /** Site A's namespace. */
    public Netns a() {
        return a;
    }

    /** Site B's namespace. */
    public Netns b() {
        return b;
    }

    /** The veth's name, the same in both namespaces. */
    public String underlayDevice() {
        return underlayDevice;
    }

    /** Deletes both namespaces, ending everything still running in them. */
    @Override
    public void close() {
        try {
            b.close();
        } finally {
            a.close();
        }
    }
}
