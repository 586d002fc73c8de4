package io.raftex.autoconfigure;

import io.raftex.core.ClusterConfig;
import io.raftex.core.Codec;
import io.raftex.core.GroupStatus;
import io.raftex.core.GroupStoppedException;
import io.raftex.core.MemberId;
import io.raftex.core.Membership;
import io.raftex.core.RaftGroup;
import io.raftex.core.RaftNode;
import io.raftex.core.StateMachine;
import io.raftex.core.UnknownGroupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@link RaftNode} with the application: once the web server listens (so peers can reach this node as
 * soon as it campaigns) it starts the node and one group per {@link RaftStateMachine} bean; when the application
 * stops, before the web server stops, each group this node leads hands leadership to an up-to-date follower (so
 * the cluster does not wait an election timeout) and every group stops. The node itself is closed when its bean is
 * destroyed.
 */
public final class RaftNodeLifecycle implements SmartLifecycle {

    /** After the web server starts (phase DEFAULT - 2048) and before its graceful shutdown (DEFAULT - 1024). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    private static final Logger log = LoggerFactory.getLogger(RaftNodeLifecycle.class);
    private static final String WEB_SERVER_CONTEXT =
            "org.springframework.boot.web.server.context.WebServerApplicationContext";

    private final RaftNode node;
    private final RaftSettings settings;
    private final RaftCodecFactory codecs;
    private final ConfigurableListableBeanFactory beanFactory;
    private final ApplicationContext context;
    private final Map<String, RaftGroupDefinition> definitions = new LinkedHashMap<>();
    private final Map<String, RaftGroup<?, ?>> groups = Collections.synchronizedMap(new LinkedHashMap<>());
    private volatile boolean running;

    public RaftNodeLifecycle(RaftNode node, RaftSettings settings, RaftCodecFactory codecs,
                             ConfigurableListableBeanFactory beanFactory, ApplicationContext context) {
        this.node = node;
        this.settings = settings;
        this.codecs = codecs;
        this.beanFactory = beanFactory;
        this.context = context;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        if (definitions.isEmpty()) {
            for (RaftGroupDefinition d : RaftStateMachineScanner.scan(beanFactory)) {
                definitions.put(d.name(), d);
            }
        }
        ClusterConfig config = settings.clusterConfig(localPort());
        node.start();
        for (RaftGroupDefinition d : definitions.values()) {
            groups.put(d.name(), startGroup(d, config));
        }
        running = true;
        log.info("Raft node {} runs groups {} with members {}", settings.nodeId(), definitions.keySet(),
                config.members().stream().map(m -> m.id() + "=" + m.address()).toList());
        if (settings.awaitsMembership()) {
            log.info("Raft node {} is not in raft.members: in every group whose data dir holds no configuration naming"
                    + " it, it waits, taking no part, until a leader adds it (POST /raft/admin/groups/<group>/members"
                    + " with {\"id\":\"{}\",\"url\":\"<this node's url>\"} on any member)",
                    settings.nodeId(), settings.nodeId());
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private RaftGroup<?, ?> startGroup(RaftGroupDefinition d, ClusterConfig config) {
        Codec commandCodec = new SizeLimitedCodec<>(codecs.codec(d.name(), d.commandType()),
                settings.maxCommandBytes());
        Codec resultCodec = codecs.codec(d.name(), d.resultType());
        return node.startGroup(d.name(), config, (StateMachine) d.stateMachine(), commandCodec, resultCodec);
    }

    private int localPort() {
        if (ClassUtils.isPresent(WEB_SERVER_CONTEXT, getClass().getClassLoader())) {
            Integer port = WebServerPort.of(context);
            if (port != null && port > 0) {
                return port;
            }
        }
        Environment env = context.getEnvironment();
        Integer port = env.getProperty("local.server.port", Integer.class);
        if (port == null || port <= 0) {
            port = env.getProperty("server.port", Integer.class, 8080);
        }
        return port;
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        List<RaftGroup<?, ?>> running;
        synchronized (groups) {
            running = new ArrayList<>(groups.values());
        }
        handOffLeadership(running);
        for (RaftGroup<?, ?> g : running) {
            node.stopGroup(g.name());
        }
        groups.clear();
        log.info("Raft node {} stopped its groups", settings.nodeId());
    }

    /** Leaders hand over to the most up-to-date voter, waiting at most one election timeout for all of them. */
    private void handOffLeadership(List<RaftGroup<?, ?>> running) {
        List<CompletableFuture<Void>> transfers = new ArrayList<>();
        for (RaftGroup<?, ?> g : running) {
            try {
                if (!g.isRunning()) {
                    continue;
                }
                GroupStatus status = g.status();
                if (!status.isLeader()) {
                    continue;
                }
                Optional<GroupStatus.MemberInfo> target = status.members().stream()
                        .filter(m -> m.membership() == Membership.VOTER && !m.id().equals(status.nodeId()))
                        .max(Comparator.comparingLong(GroupStatus.MemberInfo::matchIndex));
                target.ifPresent(t -> transfers.add(g.transferLeadership(MemberId.of(t.id()))));
            } catch (RuntimeException e) {
                log.debug("no leadership transfer for group {}: {}", g.name(), e.toString());
            }
        }
        if (transfers.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(transfers.toArray(new CompletableFuture[0]))
                    .get(settings.electionTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("leadership transfer before stopping did not complete: {}", e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The group of that name, as started by this lifecycle. */
    @SuppressWarnings("unchecked")
    public <C, R> RaftGroup<C, R> group(String name) {
        RaftGroup<?, ?> g = groups.get(name);
        if (g == null) {
            if (definitions.containsKey(name)) {
                throw new GroupStoppedException("group '" + name + "': the Raft node " + settings.nodeId()
                        + " is not running (the application is starting or stopping)", null);
            }
            throw new UnknownGroupException(name);
        }
        return (RaftGroup<C, R>) g;
    }

    /** Whether this node runs a group of that name (declared by a bean or started on the node directly). */
    public boolean hasGroup(String name) {
        return groups.containsKey(name) || node.group(name).isPresent();
    }

    /** The definition of a group declared by a {@link RaftStateMachine} bean. */
    public Optional<RaftGroupDefinition> definition(String name) {
        return Optional.ofNullable(definitions.get(name));
    }

    /** Names of the groups this lifecycle started. */
    public List<String> groupNames() {
        synchronized (groups) {
            return List.copyOf(groups.keySet());
        }
    }

    /** Reads the port of the running web server; isolated so its types load only when present. */
    private static final class WebServerPort {
        static Integer of(ApplicationContext context) {
            if (context instanceof org.springframework.boot.web.server.context.WebServerApplicationContext web
                    && web.getWebServer() != null) {
                return web.getWebServer().getPort();
            }
            return null;
        }
    }
}
