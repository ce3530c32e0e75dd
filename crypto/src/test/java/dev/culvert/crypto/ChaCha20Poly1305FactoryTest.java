package dev.culvert.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.culvert.crypto.ChaCha20Poly1305Factory.Choice;
import dev.culvert.crypto.ChaCha20Poly1305Factory.Implementation;
import dev.culvert.crypto.ChaCha20Poly1305Factory.Measurement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChaCha20Poly1305FactoryTest {

    private static final Duration QUICK = Duration.ofMillis(6);

    @AfterEach
    void clearPropertyAndChoice() {
        System.clearProperty(ChaCha20Poly1305Factory.PROPERTY);
        ChaCha20Poly1305Factory.SIMULATED_UNAVAILABLE.clear();
        ChaCha20Poly1305Factory.resetChoice();
    }

    @Test
    void defaultsToJdkBeforeAnyChoice() {
        assertThat(ChaCha20Poly1305Factory.configured()).isEqualTo(Implementation.JDK);
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(Implementation.JDK);
        }
    }

    @Test
    void propertySelectsBouncyCastle() {
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "bc");
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(Implementation.BOUNCY_CASTLE);
        }
    }

    @Test
    void parseIsCaseInsensitiveAndNamesTheBadValue() {
        assertThat(ChaCha20Poly1305Factory.parse(" JDK ")).isEqualTo(Implementation.JDK);
        assertThat(ChaCha20Poly1305Factory.parse("Bc")).isEqualTo(Implementation.BOUNCY_CASTLE);
        assertThat(ChaCha20Poly1305Factory.parse("conscrypt")).isEqualTo(Implementation.CONSCRYPT);
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "openssl");
        assertThatThrownBy(ChaCha20Poly1305Factory::configured)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openssl").hasMessageContaining(ChaCha20Poly1305Factory.PROPERTY);
        assertThatThrownBy(() -> ChaCha20Poly1305Factory.choose("rot13", QUICK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rot13")
                .hasMessageContaining("auto, jdk, conscrypt or bc");
    }

    @Test
    void conscryptLoadsOnLinuxX86_64() {
        boolean linuxX64 = System.getProperty("os.name").equals("Linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
        if (linuxX64) {
            assertThat(ChaCha20Poly1305Factory.unavailableReason(Implementation.CONSCRYPT)).isEmpty();
        }
    }

    @Test
    void autoChecksAndRacesEveryAvailableImplementationAndTheWinnerBecomesTheDefault() {
        Choice choice = ChaCha20Poly1305Factory.choose("auto", QUICK);

        assertThat(choice.forced()).isFalse();
        List<Implementation> raced = choice.measurements().stream().map(Measurement::implementation).toList();
        for (Implementation impl : Implementation.values()) {
            assertThat(raced.contains(impl)).as("%s raced", impl).isEqualTo(ChaCha20Poly1305Factory.isAvailable(impl));
        }
        assertThat(choice.measurements()).allSatisfy(m -> {
            assertThat(m.packets()).isPositive();
            assertThat(m.gbitPerSecond()).isPositive();
        });
        Measurement fastest = choice.measurements().get(0);
        assertThat(choice.chosen()).isEqualTo(fastest.implementation());
        assertThat(choice.measurements()).allSatisfy(m ->
                assertThat(m.gbitPerSecond()).isLessThanOrEqualTo(fastest.gbitPerSecond()));
        assertThat(ChaCha20Poly1305Factory.configured()).isEqualTo(choice.chosen());
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(choice.chosen());
        }
        assertThat(choice.describe()).startsWith(choice.chosen().propertyValue() + " (").contains("Gbit/s");
    }

    @Test
    void forcedOverrideRacesOnlyItselfAndWinsOverTheProperty() {
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "jdk");
        Choice choice = ChaCha20Poly1305Factory.choose("BC", QUICK);

        assertThat(choice.chosen()).isEqualTo(Implementation.BOUNCY_CASTLE);
        assertThat(choice.forced()).isTrue();
        assertThat(choice.measurements()).extracting(Measurement::implementation)
                .containsExactly(Implementation.BOUNCY_CASTLE);
        assertThat(choice.describe()).startsWith("bc (forced by culvert.aead; ");
        try (DataCipher cipher = DataCipher.forKey(new byte[32])) {
            assertThat(cipher.implementation()).isEqualTo(Implementation.BOUNCY_CASTLE);
        }
    }

    @Test
    void autoDefersToTheSystemPropertyWhenItNamesOne() {
        System.setProperty(ChaCha20Poly1305Factory.PROPERTY, "bc");
        assertThat(ChaCha20Poly1305Factory.choose("auto", QUICK).chosen()).isEqualTo(Implementation.BOUNCY_CASTLE);
        ChaCha20Poly1305Factory.resetChoice();
        assertThat(ChaCha20Poly1305Factory.choose(null, QUICK).forced()).isTrue();
    }

    @Test
    void anUnavailableImplementationIsLeftOutOfTheRaceWithItsReason() {
        ChaCha20Poly1305Factory.SIMULATED_UNAVAILABLE.put(Implementation.CONSCRYPT, "no native build for riscv64");
        Choice choice = ChaCha20Poly1305Factory.choose("auto", QUICK);

        assertThat(choice.chosen()).isNotEqualTo(Implementation.CONSCRYPT);
        assertThat(choice.measurements()).extracting(Measurement::implementation)
                .containsExactlyInAnyOrder(Implementation.JDK, Implementation.BOUNCY_CASTLE);
        assertThat(choice.unavailable()).isEqualTo(Map.of(Implementation.CONSCRYPT, "no native build for riscv64"));
        assertThat(choice.describe()).endsWith("; unavailable: conscrypt (no native build for riscv64)");
    }

    @Test
    void forcingAnUnavailableImplementationIsAClearErrorAndChangesNothing() {
        ChaCha20Poly1305Factory.SIMULATED_UNAVAILABLE.put(Implementation.CONSCRYPT, "no native build for riscv64");
        assertThatThrownBy(() -> ChaCha20Poly1305Factory.choose("conscrypt", QUICK))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("culvert.aead = conscrypt").hasMessageContaining("unavailable")
                .hasMessageContaining("riscv64");
        assertThat(ChaCha20Poly1305Factory.configured()).isEqualTo(Implementation.JDK);
    }

    @Test
    void whenConscryptTrulyCannotLoadCreatingItSaysWhy() {
        String reason = ConscryptSupport.unavailableReason();
        if (reason != null) {
            assertThatThrownBy(() -> DataCipher.forKey(new byte[32], Implementation.CONSCRYPT))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("Conscrypt");
        } else {
            try (DataCipher cipher = DataCipher.forKey(new byte[32], Implementation.CONSCRYPT)) {
                assertThat(cipher.implementation()).isEqualTo(Implementation.CONSCRYPT);
            }
        }
    }

    @Test
    void describeFormatsTheLogLine() {
        Choice choice = new Choice(Implementation.CONSCRYPT, false, List.of(
                new Measurement(Implementation.CONSCRYPT, 10_000, 45_440_000, 1420),
                new Measurement(Implementation.JDK, 2_500, 45_440_000, 1420)), Map.of());
        assertThat(choice.describe()).isEqualTo("conscrypt (5.0 Gbit/s); jdk 1.3");
    }
}
