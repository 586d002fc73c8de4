package io.raftex.autoconfigure.transport;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.Member;
import io.raftex.core.MemberId;
import io.raftex.core.message.VoteResponse;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A peer that stays unreachable (stopped, or removed from the group) makes its circuit breaker go open, half-open,
 * open again every few seconds: only the change from closed to open and back is logged at INFO, the probing in
 * between at DEBUG.
 */
class PeerBreakerLoggingTest {

    @Test
    void onlyGoingDownAndComingBackAreInfo() {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom().waitDurationInOpenState(Duration.ofSeconds(30))
                .build();
        Duration timeout = Duration.ofMillis(200);
        Logger logger = (Logger) LoggerFactory.getLogger(HttpTransport.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level level = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        logger.addAppender(appender);
        HttpTransport transport = new HttpTransport(new HttpTransportSettings(MemberId.of("n1"), timeout,
                64 * 1024, Optional.of("tok"), 10_000, HttpTransportSettings.Stream.DISABLED), new RaftMessageJson(),
                CircuitBreakerRegistry.ofDefaults(), config, TimeLimiterRegistry.ofDefaults(),
                TimeLimiterConfig.custom().timeoutDuration(timeout).build(), RpcObserver.NONE);
        try {
            transport.start(m -> { });
            transport.send(Member.voter("n3", "http://127.0.0.1:" + TestNode.freePort()),
                    new VoteResponse("g", MemberId.of("n1"), MemberId.of("n3"), 1, true));
            CircuitBreaker breaker = transport.circuitBreaker(MemberId.of("n3"));
            breaker.transitionToOpenState();
            for (int i = 0; i < 5; i++) {
                breaker.transitionToHalfOpenState();
                breaker.transitionToOpenState();
            }
            breaker.transitionToHalfOpenState();
            breaker.transitionToClosedState();
        } finally {
            transport.close();
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
        List<String> breakerLines = appender.list.stream().filter(e -> e.getFormattedMessage()
                .startsWith("circuit breaker of peer n3")).map(e -> e.getLevel() + " " + e.getFormattedMessage())
                .toList();
        assertThat(breakerLines.stream().filter(l -> l.startsWith("INFO"))).hasSize(2)
                .anySatisfy(l -> assertThat(l).contains("from CLOSED to OPEN"))
                .anySatisfy(l -> assertThat(l).contains("from HALF_OPEN to CLOSED"));
        assertThat(breakerLines.stream().filter(l -> l.startsWith("DEBUG"))).hasSize(11);
    }
}
