package io.raftex.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an invalid {@code raft.*} configuration into a short startup report that names the property to fix. */
final class RaftConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<RaftConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, RaftConfigurationException cause) {
        return new FailureAnalysis("Invalid Raft configuration: " + cause.getMessage(),
                "Fix " + cause.property() + " (see the raft.* properties in docs/spring.md).", cause);
    }
}
