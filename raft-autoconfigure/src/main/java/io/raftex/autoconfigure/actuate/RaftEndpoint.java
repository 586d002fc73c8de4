package io.raftex.autoconfigure.actuate;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.admin.RaftStatusJson;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.UnknownGroupException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Actuator endpoint {@code raft}: {@code GET /actuator/raft} lists the status of every group on this node (a
 * JSON array), {@code GET /actuator/raft/{group}} one group's (404 when this node runs no such group). Same shape as
 * the admin API ({@link RaftStatusJson}). Read-only in this version; the admin API's write operations join it with
 * the features they drive.
 */
@Endpoint(id = "raft")
public final class RaftEndpoint {

    private final RaftNodeLifecycle lifecycle;

    public RaftEndpoint(RaftNodeLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** The status of every group on this node. */
    @ReadOperation
    public List<Map<String, Object>> groups() {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String name : lifecycle.groupNames()) {
            Map<String, Object> status = group(name);
            if (status != null) {
                all.add(status);
            }
        }
        return all;
    }

    /** The status of one group, or null (404) when this node does not run it. */
    @ReadOperation
    public Map<String, Object> group(@Selector String group) {
        try {
            return RaftStatusJson.of(lifecycle.group(group).status());
        } catch (UnknownGroupException | GroupStoppedException e) {
            return null;
        }
    }
}
