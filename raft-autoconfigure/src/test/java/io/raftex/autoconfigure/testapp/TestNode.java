package io.raftex.autoconfigure.testapp;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.core.GroupStatus;
import org.awaitility.Awaitility;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/** One {@link CounterApp} node of a test cluster: a Spring Boot web application on its own port and data dir. */
public final class TestNode {

    static {
        // several applications in one JVM: let the test's logback configuration stand, once
        System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    }

    private final String id;
    private final int port;
    private final Path dataDir;
    private final Map<String, String> extra = new TreeMap<>();
    private final List<Class<?>> sources = new ArrayList<>(List.of(CounterApp.class));
    private volatile ConfigurableApplicationContext context;
    private volatile boolean https;

    public TestNode(String id, int port, Path dataDir) {
        this.id = id;
        this.port = port;
        this.dataDir = dataDir;
    }

    /** Waits (at most {@code wait}) until one of {@code nodes} leads, and returns it. */
    public static TestNode awaitLeader(Collection<TestNode> nodes, Duration wait) {
        AtomicReference<TestNode> leader = new AtomicReference<>();
        Awaitility.await().atMost(wait).until(() -> {
            for (TestNode n : nodes) {
                if (n.isLeader()) {
                    leader.set(n);
                    return true;
                }
            }
            return false;
        });
        return leader.get();
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code n1=http://127.0.0.1:p1,...} (https for {@link #https} nodes) for these nodes. */
    public static String members(List<TestNode> nodes) {
        List<String> parts = new ArrayList<>();
        for (TestNode n : nodes) {
            parts.add(n.id + "=" + n.url());
        }
        return String.join(",", parts);
    }

    public TestNode with(String property, String value) {
        extra.put(property, value);
        return this;
    }

    /** Its url is https (its server is configured for TLS by the caller's properties). */
    public TestNode https() {
        this.https = true;
        return this;
    }

    /** Adds configuration or component classes to the application. */
    public TestNode withSources(Class<?>... classes) {
        sources.addAll(List.of(classes));
        return this;
    }

    /** Starts {@code nodes} at the same time (each start waits for its peers to answer) and waits for them all. */
    public static void startAll(List<TestNode> nodes) {
        nodes.stream().map(n -> java.util.concurrent.CompletableFuture.supplyAsync(n::start)).toList()
                .forEach(java.util.concurrent.CompletableFuture::join);
    }

    /** Starts the application and waits until its web server listens and the node runs. */
    public TestNode start() {
        List<String> props = new ArrayList<>(List.of(
                "server.port=" + port,
                "server.address=127.0.0.1",
                "raft.node-id=" + id,
                "raft.data-dir=" + dataDir,
                "raft.heartbeat-interval=50ms",
                "raft.election-timeout=500ms",
                "raft.rpc.timeout=400ms",
                "raft.command-timeout=8s",
                "raft.security.cluster-token=test-cluster-token",
                "raft.storage.sync=none",
                "spring.main.banner-mode=off",
                "spring.mvc.servlet.load-on-startup=1",
                "spring.jmx.enabled=false"));
        extra.forEach((k, v) -> props.add(k + "=" + v));
        context = new SpringApplicationBuilder(sources.toArray(new Class<?>[0]))
                .properties(props.toArray(new String[0])).run();
        return this;
    }

    /** Stops the application (graceful: a leader hands over first). */
    public void stop() {
        ConfigurableApplicationContext c = context;
        context = null;
        if (c != null) {
            c.close();
        }
    }

    public boolean running() {
        return context != null && context.isActive();
    }

    public String id() {
        return id;
    }

    public int port() {
        return port;
    }

    public String url() {
        return (https ? "https" : "http") + "://127.0.0.1:" + port;
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    public RaftClient client() {
        return context.getBean(RaftClient.class);
    }

    public GroupStatus status() {
        return client().status("counter");
    }

    public boolean isLeader() {
        try {
            return running() && status().isLeader();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return id + "@" + port;
    }
}
