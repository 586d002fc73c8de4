package io.raftex.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Data directories under target/ and free loopback ports for test nodes. */
final class TestData {

    private TestData() {
    }

    /** A new, empty directory under {@code target/test-data}, removed by {@code mvn clean}. */
    static Path dataDir(String name) {
        try {
            return Files.createDirectories(Path.of("target", "test-data", name + "-" + UUID.randomUUID()))
                    .toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A TCP port that nothing listened on a moment ago. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
