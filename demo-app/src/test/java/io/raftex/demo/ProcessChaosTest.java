package io.raftex.demo;

import io.raftex.core.sim.check.CheckResult;
import io.raftex.core.sim.check.KvInput;
import io.raftex.core.sim.check.KvModel;
import io.raftex.core.sim.check.KvOutput;
import io.raftex.core.sim.check.LinearizabilityChecker;
import io.raftex.core.sim.check.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Chaos with real processes (DESIGN.md §6, layer 5): three demo-app JVMs on loopback, four clients sending puts,
 * compare-and-sets, deletes and linearizable reads to random nodes, while a nemesis kills a node with SIGKILL (and
 * restarts it on its data directory), kills the leader, or pauses a node with SIGSTOP, one fault at a time. The
 * whole client history is then checked for linearizability against a register per key; a write whose outcome the
 * client did not learn (timeout, 503, 504, connection error) counts as "may have happened".
 *
 * <p>Runs for {@code raft.chaos.seconds} of faults (20 in CI, 180 with {@code -Pchaos}; 0 skips it). The seed is
 * in every assertion message; {@code -Draft.chaos.seed=N} repeats the same fault schedule (timing still varies).
 * Network partitions are not injected here (that needs network namespaces); the simulator covers them.
 */
class ProcessChaosTest {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessChaosTest.class);
    private static final String TOKEN = "chaos-cluster-token";
    private static final String[] KEYS = {"a", "b", "c"};
    private static final int CLIENTS = 4;
    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*(null|\"([^\"]*)\")");
    private static final Pattern SUCCEEDED = Pattern.compile("\"succeeded\"\\s*:\\s*(true|false)");

    @TempDir
    Path dir;

    /**
     * An answer: HTTP status and body. {@link #NONE}: no answer (timed out, reset), the request may have taken
     * effect; {@link #REFUSED}: the connection was refused, so the request never reached the node.
     */
    private record Reply(int status, String body) {
        static final Reply NONE = new Reply(0, "");
        static final Reply REFUSED = new Reply(-1, "");

        boolean is(int code) {
            return status == code;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicReference<Throwable> clientFailure = new AtomicReference<>();
    private final List<Node> nodes = new ArrayList<>();

    /** One demo-app JVM, restartable on the same port and data directory. */
    private final class Node {
        final String id;
        final int port;
        final String members;
        volatile Process process;
        volatile boolean paused;

        Node(String id, int port, String members) {
            this.id = id;
            this.port = port;
            this.members = members;
        }

        void start() throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), KvApplication.class.getName(),
                    "--server.address=127.0.0.1", "--server.port=" + port, "--raft.node-id=" + id,
                    "--raft.members=" + members, "--raft.data-dir=" + dir.resolve(id),
                    "--raft.security.cluster-token=" + TOKEN, "--raft.command-timeout=4s",
                    "--logging.level.root=WARN", "--logging.level.io.raftex=INFO");
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(id + ".log").toFile()));
            process = pb.start();
            paused = false;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly(); // SIGKILL, also of a stopped process
            process.waitFor(30, TimeUnit.SECONDS);
            paused = false;
        }

        void signal(String signal) throws IOException, InterruptedException {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start()
                    .waitFor(10, TimeUnit.SECONDS);
            paused = signal.equals("STOP");
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }
    }

    @Test
    void historiesStayLinearizableThroughKillsAndPauses() throws Exception {
        long seconds = Long.getLong("raft.chaos.seconds", 20);
        assumeThat(seconds).as("raft.chaos.seconds").isPositive();
        long seed = Long.getLong("raft.chaos.seed", System.nanoTime());
        String context = "seed " + seed + " (logs in " + dir + ")";
        startCluster();
        try {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> nodes.stream().allMatch(this::ready));

            List<Operation<KvInput, KvOutput>> history = Collections.synchronizedList(new ArrayList<>());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Thread> clients = new ArrayList<>();
            AtomicInteger okWrites = new AtomicInteger();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Random random = new Random(seed * 31 + c);
                Thread t = new Thread(() -> {
                    try {
                        runClient(client, random, deadline, history, okWrites);
                    } catch (Throwable e) {
                        clientFailure.compareAndSet(null, e);
                    }
                }, "chaos-client-" + c);
                t.start();
                clients.add(t);
            }
            int faults = nemesis(new Random(seed), deadline);
            for (Thread t : clients) {
                t.join();
            }
            heal();
            // Liveness once healed: every node is ready again and a write through each one commits.
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> nodes.stream().allMatch(this::ready));
            for (Node n : nodes) {
                AtomicInteger attempt = new AtomicInteger();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    String value = "final-" + n.id + "-" + attempt.incrementAndGet();
                    long call = System.nanoTime();
                    Reply r = send(n, "PUT", "/kv/a", "{\"value\":\"" + value + "\"}");
                    record(CLIENTS, new KvInput.Put("a", value), r, r.is(200) ? new KvOutput.PutOk() : null, call,
                            history, okWrites);
                    return r.is(200);
                });
            }
            assertThat(clientFailure.get()).as("client thread failure, %s", context).isNull();

            LOG.info("chaos {}: {} operations ({} writes acknowledged), {} faults", context, history.size(),
                    okWrites.get(), faults);
            assertThat(faults).as("faults injected, %s", context).isPositive();
            assertThat(okWrites.get()).as("writes acknowledged, %s", context).isGreaterThan(20);
            CheckResult result = LinearizabilityChecker.check(new KvModel(), new ArrayList<>(history),
                    Duration.ofSeconds(120));
            assertThat(result.isOk()).as("linearizable, %s: %s", context, result).isTrue();
        } finally {
            for (Node n : nodes) {
                if (n.process != null) {
                    n.kill();
                }
            }
        }
    }

    private void startCluster() throws IOException {
        int[] ports = freePorts(3);
        StringBuilder members = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            members.append(i == 0 ? "" : ",").append("n").append(i + 1).append("=http://127.0.0.1:").append(ports[i]);
        }
        for (int i = 0; i < 3; i++) {
            Node n = new Node("n" + (i + 1), ports[i], members.toString());
            n.start();
            nodes.add(n);
        }
    }

    /**
     * One fault at a time, each healed before the next: kill and restart, kill the leader, or pause. The sleeps are
     * the fault schedule itself (how long a node stays down or paused, and the gap between faults), as in any
     * nemesis; no assertion depends on their timing, the history is checked whatever the interleaving.
     */
    private int nemesis(Random random, long deadline) throws Exception {
        int faults = 0;
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000 + random.nextInt(2000)); // the gap between faults; nothing waits on it
            if (System.nanoTime() >= deadline) {
                break;
            }
            int kind = random.nextInt(3);
            Node target = kind == 1 ? leaderOr(nodes.get(random.nextInt(3))) : nodes.get(random.nextInt(3));
            long faultMillis = 1000 + random.nextInt(3000);
            if (kind == 2) {
                LOG.info("nemesis: pause {} for {} ms", target.id, faultMillis);
                target.signal("STOP");
                Thread.sleep(faultMillis);
                target.signal("CONT");
            } else {
                LOG.info("nemesis: kill {}{} and restart it after {} ms", target.id, kind == 1 ? " (leader)" : "",
                        faultMillis);
                target.kill();
                Thread.sleep(faultMillis);
                target.start();
            }
            faults++;
        }
        return faults;
    }

    private void heal() throws Exception {
        for (Node n : nodes) {
            if (n.paused) {
                n.signal("CONT");
            }
            if (!n.process.isAlive()) {
                n.start();
            }
        }
    }

    private Node leaderOr(Node fallback) {
        for (Node n : nodes) {
            Reply r = send(n, "GET", "/raft/admin/groups/kv", null);
            if (r.is(200) && r.body().contains("\"role\":\"leader\"")) {
                return n;
            }
        }
        return fallback;
    }

    private boolean ready(Node n) {
        Reply r = send(n, "GET", "/actuator/health/readiness", null);
        return r.is(200);
    }

    private void runClient(int client, Random random, long deadline, List<Operation<KvInput, KvOutput>> history,
                           AtomicInteger okWrites) {
        int n = 0;
        while (System.nanoTime() < deadline) {
            Node node = nodes.get(random.nextInt(nodes.size()));
            String key = KEYS[random.nextInt(KEYS.length)];
            String value = "c" + client + "-" + (++n);
            if (!node.process.isAlive()) {
                continue; // killed and not yet restarted: another node (requests to it would only be refused)
            }
            int op = random.nextInt(10);
            long call = System.nanoTime();
            if (op < 4) {
                Reply r = send(node, "GET", "/kv/" + key + "?consistency=linearizable", null);
                long ret = System.nanoTime();
                if (r.is(200)) {
                    history.add(Operation.of(client, new KvInput.Get(key), new KvOutput.GetResult(value(r)), call, ret));
                } else if (r.is(404)) {
                    history.add(Operation.of(client, new KvInput.Get(key), new KvOutput.GetResult(null), call, ret));
                } // a failed read constrains nothing
            } else if (op < 7) {
                KvInput in = new KvInput.Put(key, value);
                Reply r = send(node, "PUT", "/kv/" + key, "{\"value\":\"" + value + "\"}");
                record(client, in, r, r.is(200) ? new KvOutput.PutOk() : null, call, history, okWrites);
            } else if (op < 9) {
                String expected = random.nextBoolean() ? null : "c" + random.nextInt(CLIENTS) + "-" + random.nextInt(n);
                KvInput in = new KvInput.Cas(key, expected, value);
                String body = "{\"expected\":" + (expected == null ? "null" : "\"" + expected + "\"") + ",\"value\":\""
                        + value + "\"}";
                Reply r = send(node, "POST", "/kv/" + key + "/cas", body);
                KvOutput out = null;
                if (r.is(200)) {
                    Matcher m = SUCCEEDED.matcher(r.body());
                    assertThat(m.find()).as("CAS answer %s", r.body()).isTrue();
                    out = new KvOutput.CasResult(Boolean.parseBoolean(m.group(1)));
                }
                record(client, in, r, out, call, history, okWrites);
            } else {
                KvInput in = new KvInput.Delete(key);
                Reply r = send(node, "DELETE", "/kv/" + key, null);
                KvOutput out = switch (r.status()) {
                    case 200 -> new KvOutput.DeleteResult(true);
                    case 404 -> new KvOutput.DeleteResult(false);
                    default -> null;
                };
                record(client, in, r, out, call, history, okWrites);
            }
        }
    }

    /**
     * A write with a known outcome, or (null) one that may or may not have happened; nothing for one that never
     * reached a node.
     */
    private static void record(int client, KvInput in, Reply reply, KvOutput out, long call,
                               List<Operation<KvInput, KvOutput>> history, AtomicInteger okWrites) {
        if (reply == Reply.REFUSED) {
            return;
        }
        if (out == null) {
            history.add(KvModel.unknown(client, in, call));
        } else {
            history.add(Operation.of(client, in, out, call, System.nanoTime()));
            okWrites.incrementAndGet();
        }
    }

    private static String value(Reply r) {
        Matcher m = VALUE.matcher(r.body());
        assertThat(m.find()).as("GET answer %s", r.body()).isTrue();
        return m.group(2);
    }

    private Reply send(Node node, String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(6));
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body());
        } catch (java.net.ConnectException e) {
            // A node starting up: back off a little instead of spinning on the two shared cores (load shaping only;
            // nothing depends on this delay).
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            return Reply.REFUSED;
        } catch (IOException e) {
            return Reply.NONE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.NONE;
        }
    }

    private static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
        return ports;
    }
}
