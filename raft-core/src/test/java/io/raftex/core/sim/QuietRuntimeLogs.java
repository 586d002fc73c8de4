package io.raftex.core.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the runtime's INFO and DEBUG lines (a line per election, start and rejected command, on every simulated
 * member) down to WARN while runtime-mode simulations run, and back afterwards; its errors (a group that stopped
 * after a failure, with the trace) still print.
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
}
