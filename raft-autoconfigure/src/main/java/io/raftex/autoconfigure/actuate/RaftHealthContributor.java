package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The health component {@code raft}: one {@link RaftGroupHealthIndicator} per group on this node, named after the
 * group. Groups are read when health is asked for, since they start with the application (after the health
 * infrastructure is built); a group seen once stays listed, DOWN while it is not running.
 */
public final class RaftHealthContributor implements CompositeHealthContributor {

    private final RaftNodeLifecycle lifecycle;
    private final boolean requireCaughtUp;
    private final Map<String, RaftGroupHealthIndicator> indicators = new ConcurrentHashMap<>();

    public RaftHealthContributor(RaftNodeLifecycle lifecycle) {
        this(lifecycle, false);
    }

    /** With {@code requireCaughtUp} ({@code raft.health.require-caught-up}), a group catching up is DOWN. */
    public RaftHealthContributor(RaftNodeLifecycle lifecycle, boolean requireCaughtUp) {
        this.lifecycle = lifecycle;
        this.requireCaughtUp = requireCaughtUp;
    }

    @Override
    public HealthContributor getContributor(String name) {
        refresh();
        return indicators.get(name);
    }

    @Override
    public Stream<HealthContributors.Entry> stream() {
        refresh();
        return indicators.keySet().stream().sorted()
                .map(name -> new HealthContributors.Entry(name, indicators.get(name)));
    }

    private void refresh() {
        List<String> names = lifecycle.groupNames();
        for (String name : names) {
            indicators.computeIfAbsent(name, n -> new RaftGroupHealthIndicator(n, lifecycle, requireCaughtUp));
        }
    }

    /** Names of the groups listed so far. */
    Set<String> groups() {
        refresh();
        return Set.copyOf(indicators.keySet());
    }
}
