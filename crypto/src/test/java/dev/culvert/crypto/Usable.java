package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.culvert.crypto.ChaCha20Poly1305Factory.Implementation;
import java.util.Optional;

/** Tests of an implementation that may lack its native library here: skipped locally, failed under CI=true. */
final class Usable {

    private Usable() {
    }

    static void require(Implementation implementation) {
        Optional<String> reason = ChaCha20Poly1305Factory.unavailableReason(implementation);
        if (reason.isPresent()) {
            if ("true".equals(System.getenv("CI"))) {
                fail(implementation + " is unavailable under CI: " + reason.get());
            }
            assumeTrue(false, reason.get());
        }
    }
}
