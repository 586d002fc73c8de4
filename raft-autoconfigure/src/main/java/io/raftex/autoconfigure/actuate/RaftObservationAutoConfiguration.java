package io.raftex.autoconfigure.actuate;

import io.micrometer.observation.ObservationPredicate;
import io.micrometer.observation.ObservationRegistry;
import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.client.RaftCommandObserver;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.observation.ServerRequestObservationContext;

import java.util.function.Supplier;

/**
 * Micrometer Observations, when the Observation API is on the class path: with
 * {@code raft.client.observation-enabled=true}, a {@code raft.command} observation around every command submitted
 * through {@link io.raftex.autoconfigure.client.RaftClient} ({@link RaftCommandObservation}); and, in a servlet
 * application, an {@link ObservationPredicate} that keeps the requests to {@code /raft/**} (peer
 * messages and streams, the admin API) out of the HTTP server observations, so out of {@code http.server.requests}:
 * peers send many small requests, and their streams last as long as the connection.
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnClass(name = "io.micrometer.observation.ObservationRegistry")
@ConditionalOnBean(RaftNodeLifecycle.class)
public final class RaftObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(RaftCommandObserver.class)
    @ConditionalOnBooleanProperty("raft.client.observation-enabled")
    RaftCommandObservation raftCommandObservation(ObjectProvider<ObservationRegistry> registry) {
        return new RaftCommandObservation(new ResolvedOnce(registry));
    }

    /**
     * The registry, looked up in the bean factory until it is there and then kept: a lookup per command took about
     * 8% of a leader's CPU samples under write load (docs/benchmarks.md).
     */
    static final class ResolvedOnce implements Supplier<ObservationRegistry> {

        private final ObjectProvider<ObservationRegistry> provider;
        private volatile ObservationRegistry resolved;

        ResolvedOnce(ObjectProvider<ObservationRegistry> provider) {
            this.provider = provider;
        }

        @Override
        public ObservationRegistry get() {
            ObservationRegistry r = resolved;
            if (r == null) {
                r = provider.getIfAvailable();
                if (r == null) {
                    return ObservationRegistry.NOOP;
                }
                resolved = r;
            }
            return r;
        }
    }

    /** The predicate that keeps {@code /raft/**} out of the servlet HTTP server observations. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.springframework.http.server.observation.ServerRequestObservationContext",
            "jakarta.servlet.http.HttpServletRequest"})
    static class ServerRequests {

        @Bean
        @ConditionalOnMissingBean(name = "raftHttpObservationPredicate")
        ObservationPredicate raftHttpObservationPredicate() {
            return (name, context) -> !(context instanceof ServerRequestObservationContext request
                    && isRaftPath(request.getCarrier()));
        }

        /** Whether {@code request} is to {@code /raft} or below it, after the context path. */
        static boolean isRaftPath(HttpServletRequest request) {
            if (request == null) {
                return false;
            }
            String uri = request.getRequestURI();
            String contextPath = request.getContextPath();
            if (uri == null) {
                return false;
            }
            String path = contextPath != null && !contextPath.isEmpty() && uri.startsWith(contextPath)
                    ? uri.substring(contextPath.length()) : uri;
            return path.equals("/raft") || path.startsWith("/raft/");
        }
    }
}
