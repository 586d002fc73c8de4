package io.raftex.autoconfigure.client;

import io.raftex.autoconfigure.RaftGroupDefinition;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.core.GroupStatus;
import io.raftex.core.RaftGroup;
import io.raftex.core.ReadConsistency;
import io.raftex.core.StateMachine;
import io.raftex.core.UnknownGroupException;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Sends commands and queries to the Raft groups of this node, by group name. Usable on every node: a follower
 * forwards a command to the leader over HTTP, and retries it across leader changes with the same session id and
 * sequence number, so it is applied at most once.
 *
 * <p>Futures fail with the core's typed exceptions: {@link io.raftex.core.CommandOutcomeUnknownException} (or its
 * subclass {@link io.raftex.core.CommandTimeoutException}) when a command's outcome was not known within
 * {@code raft.command-timeout} or the group stopped meanwhile (it may still be applied, at most once),
 * {@link io.raftex.core.NoLeaderException} when no leader could be reached and
 * {@link io.raftex.core.GroupStoppedException} when the group stopped before the command reached any log (either way
 * it was not applied), {@link io.raftex.core.QueryTimeoutException}. A group name that
 * does not exist on this node throws {@link UnknownGroupException} at once.
 */
public final class RaftClient {

    private final RaftNodeLifecycle groups;
    private final RaftCommandObserver observer;

    public RaftClient(RaftNodeLifecycle groups) {
        this(groups, RaftCommandObserver.NONE);
    }

    /** A client that tells {@code observer} about every command it submits. */
    public RaftClient(RaftNodeLifecycle groups, RaftCommandObserver observer) {
        this.groups = groups;
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Submits a command to a group; the future completes with the state machine's result once the command is
     * committed and applied on this node.
     *
     * @throws UnknownGroupException    if this node runs no group of that name
     * @throws IllegalArgumentException if the command is not of the group's command type
     */
    public <C, R> CompletableFuture<R> command(String group, C command) {
        Objects.requireNonNull(command, "command");
        RaftGroup<C, R> g = groups.group(group);
        groups.definition(group).map(RaftGroupDefinition::commandClass).ifPresent(type -> {
            if (!type.isInstance(command)) {
                throw new IllegalArgumentException("group '" + group + "' takes commands of type " + type.getName()
                        + ", not " + command.getClass().getName());
            }
        });
        if (observer == RaftCommandObserver.NONE) {
            return g.command(command); // no observation: no extra stage on the hot path
        }
        RaftCommandObserver.Command observed = observer.started(group);
        CompletableFuture<R> result;
        try {
            result = observed.submit(() -> g.command(command));
        } catch (RuntimeException e) {
            observed.ended(e);
            throw e;
        }
        result.whenComplete((value, failure) -> observed.ended(failure));
        return result;
    }

    /**
     * Runs a function of the group's state machine at the given consistency:
     * {@link ReadConsistency#LINEARIZABLE} sees every command acknowledged before the call, on any member (ReadIndex);
     * {@link ReadConsistency#LEADER} uses the leader's commit index without a quorum round;
     * {@link ReadConsistency#LOCAL} reads this member's state at once, possibly stale.
     * The function runs on the group's thread, between applies: keep it short and do not mutate the state.
     *
     * @throws UnknownGroupException if this node runs no group of that name
     */
    public <T> CompletableFuture<T> query(String group, Function<? super StateMachine<?, ?>, ? extends T> query,
                                          ReadConsistency consistency) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(consistency, "consistency");
        RaftGroup<Object, Object> g = groups.group(group);
        return g.query(query::apply, consistency);
    }

    /**
     * Like {@link #query(String, Function, ReadConsistency)} for a function of the concrete state machine class
     * (usually the {@link io.raftex.autoconfigure.RaftStateMachine} bean's class).
     */
    public <S extends StateMachine<?, ?>, T> CompletableFuture<T> query(String group, Class<S> type,
                                                                        Function<? super S, ? extends T> query,
                                                                        ReadConsistency consistency) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(query, "query");
        return query(group, sm -> query.apply(type.cast(sm)), consistency);
    }

    /** The group's status as this node sees it. */
    public GroupStatus status(String group) {
        return groups.group(group).status();
    }

    /** The handle of a group, for everything else (listeners, metrics, leadership transfer). */
    public <C, R> RaftGroup<C, R> group(String group) {
        return groups.group(group);
    }

    /** The names of the groups on this node. */
    public List<String> groups() {
        return groups.groupNames();
    }
}
