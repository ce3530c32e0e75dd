package dev.culvert.daemon.tun;

import java.nio.charset.StandardCharsets;

/**
 * Checks interface names the way the kernel does ({@code dev_valid_name}), so that a bad name is
 * reported with a precise message before any system call, and so that the kernel never picks the
 * name itself (no {@code %d} templates): the device gets exactly the name that was asked for.
 */
final class InterfaceNames {

    /** IFNAMSIZ, including the terminating NUL. */
    static final int IFNAMSIZ = 16;
    static final int MAX_NAME_BYTES = IFNAMSIZ - 1;

    private InterfaceNames() {
    }

    /** Returns {@code name} if valid, or throws a {@link TunException} that says why not. */
    static String check(String name) throws TunException {
        if (name == null || name.isEmpty()) {
            throw new TunException("invalid device name '': a device name is required");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new TunException("invalid device name '" + name + "': longer than "
                    + MAX_NAME_BYTES + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new TunException("invalid device name '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c == '%' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new TunException("invalid device name '" + name
                        + "': must not contain '/', ':', '%', whitespace or control characters");
            }
        }
        return name;
    }
}
