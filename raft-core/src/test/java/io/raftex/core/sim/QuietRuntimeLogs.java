package io.raftex.core.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Turns the runtime's INFO and DEBUG lines (a line per election, start and rejected command, on every simulated
 * member) down to WARN while runtime-mode simulations run, and back afterwards; its errors (a group that stopped
 * after a failure, with the trace) still print. A test class gets it with
 * {@code @ExtendWith(QuietRuntimeLogs.ForClass.class)}.
 */
final class QuietRuntimeLogs implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("io.raftex.core.runtime");
    private final Level before = logger.getLevel();

    QuietRuntimeLogs() {
        logger.setLevel(Level.WARN);
    }

    @Override
    public void close() {
        logger.setLevel(before);
    }

    /** Quiet for the whole test class, unless {@code -Ddbg=true} asks for every line. */
    static final class ForClass implements BeforeAllCallback, AfterAllCallback {

        private static final ExtensionContext.Namespace NAMESPACE =
                ExtensionContext.Namespace.create(QuietRuntimeLogs.class);

        @Override
        public void beforeAll(ExtensionContext context) {
            if (!Boolean.getBoolean("dbg")) {
                context.getStore(NAMESPACE).put(QuietRuntimeLogs.class, new QuietRuntimeLogs());
            }
        }

        @Override
        public void afterAll(ExtensionContext context) {
            QuietRuntimeLogs quiet = context.getStore(NAMESPACE).remove(QuietRuntimeLogs.class, QuietRuntimeLogs.class);
            if (quiet != null) {
                quiet.close();
            }
        }
    }
}
