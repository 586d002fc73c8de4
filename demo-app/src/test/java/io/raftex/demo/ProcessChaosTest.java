package io.raftex.demo;

import io.raftex.core.sim.check.CheckResult;
import io.raftex.core.sim.check.KvInput;
import io.raftex.core.sim.check.KvModel;
import io.raftex.core.sim.check.KvOutput;
import io.raftex.core.sim.check.LinearizabilityChecker;
import io.raftex.core.sim.check.Operation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Chaos with real processes (test layer 5 of docs/contracts.md): three demo-app JVMs, four clients sending puts, compare-and-sets,
 * deletes and linearizable reads to random nodes, while a nemesis injects one fault at a time and heals it:
 *
 * <ul>
 *   <li>processes: kill a node with SIGKILL (and restart it on its data directory), kill the leader, pause a node with
 *       SIGSTOP, stop a node gracefully with SIGTERM and start it again;</li>
 *   <li>network partitions ({@link ChaosNetwork}: each node in a network namespace of its own, links cut with
 *       nftables; clients are never cut): isolate a node, isolate the leader, cut one link (the third node still
 *       reaches both ends), cut one link in one direction only;</li>
 *   <li>storage damage on one node while it is down ({@link WalDamage}): a torn tail cut off its newest WAL file (it
 *       must recover and rejoin), or one byte flipped in a batch that valid data follows (it must refuse to start,
 *       naming the file; the test then wipes its data directory, as an operator replaces a broken disk, and starts it
 *       empty).</li>
 * </ul>
 *
 * The nemesis goes round the three kinds in a shuffled order, and through the faults of each kind in turn; the first
 * round always completes, so even the short CI run sees one fault of each kind. Storage damage alternates between a
 * follower (first: the harder case, where the same leader must repair it) and the leader. Partitions need root, {@code ip netns} and {@code nft}; without them they are
 * skipped, with a warning that says why, and the nodes run on loopback.
 *
 * <p>What is checked:
 * <ul>
 *   <li>the whole client history is linearizable (a register per key). A write whose outcome the client did not learn
 *       (timeout, reset, 504) counts as "may have happened"; a write answered 503 ("the request was not carried out")
 *       as one that did not happen, so it is left out of the history;</li>
 *   <li>every value is unique, and no value of a write answered 503 is ever seen: not by a read, not in the answer to
 *       a compare-and-set or delete, not in any node's final state;</li>
 *   <li>every answer that names a log index (a write's, or a read's "written at") names the same command for it;</li>
 *   <li>a node restarted after storage damage catches up (applies what was committed when it came back);</li>
 *   <li>once healed, every node is ready and takes a write, all nodes apply the leader's whole log and hold the same
 *       state, no key's final value is older than an acknowledged write to it, and a final linearizable read of every
 *       key joins the history.</li>
 * </ul>
 *
 * <p>A wiped node restarts at once with an empty log under a new data-directory incarnation: its votes and
 * acknowledgements count for nothing until the leader has bound the new incarnation (as promotable), caught it up
 * and promoted it (docs/membership.md, "Incarnations"), which the test waits for and checks in the status. A node
 * whose torn tail may have held entries it had acknowledged keeps its incarnation, so before restarting it the test
 * waits until the other two follow the same leader in the same term and have both applied everything that leader
 * holds: every entry that may have been committed then lives on both of them, so any majority includes a member that
 * has it.
 *
 * <p>Runs for {@code raft.chaos.seconds} of faults (20 in CI, 180 with {@code -Pchaos}; 0 skips it). The seed is
 * in every assertion message; {@code -Draft.chaos.seed=N} repeats the same fault schedule (timing still varies);
 * {@code -Draft.chaos.partitions=false} leaves partitions out, {@code -Draft.chaos.storage=false} storage damage.
 */
class ProcessChaosTest {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessChaosTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOKEN = "chaos-cluster-token";
    private static final String[] KEYS = {"a", "b", "c"};
    private static final int CLIENTS = 4;
    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*(null|\"([^\"]*)\")");
    private static final Pattern SUCCEEDED = Pattern.compile("\"succeeded\"\\s*:\\s*(true|false)");
    private static final Pattern TITLE = Pattern.compile("\"title\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern INDEX = Pattern.compile("\"index\"\\s*:\\s*(\\d+)");

    private static final List<String> PROCESS_FAULTS = List.of("kill", "kill-leader", "pause", "terminate");
    private static final List<String> PARTITION_FAULTS = List.of("isolate", "isolate-leader", "cut-link", "one-way");
    private static final List<String> STORAGE_FAULTS = List.of("torn-tail", "flipped-byte");

    /** The nodes' data directories and logs; kept when the test fails, for the report. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
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
    private final long startNanos = System.nanoTime();
    private ChaosNetwork network;
    private volatile boolean stopClients;
    private boolean damageLeaderNext = false;

    /** Writes answered 503, by value (unique per write): what was asked, of which node, when. */
    private final Map<String, String> notApplied = new ConcurrentHashMap<>();
    /** Every value some answer or final state showed, with where it was first seen. */
    private final Map<String, String> observed = new ConcurrentHashMap<>();
    private final AtomicInteger okWrites = new AtomicInteger();
    private final AtomicInteger unknownWrites = new AtomicInteger();
    private final AtomicInteger answered503 = new AtomicInteger();
    private final Map<String, Integer> faultCounts = new TreeMap<>();
    /** The command each answer says was applied at a log index (a put's or CAS's value is unique), and where. */
    private final Map<Long, String> entryAt = new ConcurrentHashMap<>();
    private final Map<Long, String> entrySeen = new ConcurrentHashMap<>();
    private final List<String> indexConflicts = Collections.synchronizedList(new ArrayList<>());
    /** Per key, the highest log index of an acknowledged put, successful CAS or successful delete. */
    private final Map<String, Long> lastAckedWrite = new ConcurrentHashMap<>();

    /** One demo-app JVM, restartable on the same address, port and data directory. */
    private final class Node {
        final int index;
        final String id;
        final String members;
        volatile Process process;
        volatile boolean paused;

        Node(int index, String members) {
            this.index = index;
            this.id = "n" + (index + 1);
            this.members = members;
        }

        void start() throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(network.launcher(index));
            command.addAll(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), KvApplication.class.getName(),
                    "--server.address=" + network.address(index), "--server.port=" + network.port(index),
                    "--raft.node-id=" + id, "--raft.members=" + members, "--raft.data-dir=" + dataDir(),
                    "--raft.security.cluster-token=" + TOKEN, "--raft.command-timeout=4s",
                    "--logging.level.root=WARN", "--logging.level.io.raftex=INFO"));
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
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
            return "http://" + network.address(index) + ":" + network.port(index);
        }

        Path dataDir() {
            return dir.resolve(id);
        }

        Path logFile() {
            return dir.resolve(id + ".log");
        }

        long logSize() throws IOException {
            return Files.exists(logFile()) ? Files.size(logFile()) : 0;
        }

        /** What the node logged from byte {@code from} of its log on. */
        String logSince(long from) throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(logFile().toFile(), "r")) {
                byte[] b = new byte[(int) Math.max(0, f.length() - from)];
                f.seek(from);
                f.readFully(b);
                return new String(b, StandardCharsets.UTF_8);
            }
        }
    }

    /** A node's Raft status ({@code GET /raft/admin/groups/kv}). */
    private record Status(String role, long term, String leaderId, long commitIndex, long lastApplied,
                          long lastLogIndex) {
    }

    @Test
    void historiesStayLinearizableThroughCrashesPartitionsAndDamagedDisks() throws Exception {
        long seconds = Long.getLong("raft.chaos.seconds", 20);
        assumeThat(seconds).as("raft.chaos.seconds").isPositive();
        long seed = Long.getLong("raft.chaos.seed", System.nanoTime());
        String context = "seed " + seed + " (logs in " + dir + ")";
        network = ChaosNetwork.create(3, !"false".equals(System.getProperty("raft.chaos.partitions")));
        if (network.partitionsUnavailable() != null) {
            LOG.warn("chaos: network partition faults SKIPPED: {}; the nodes run on loopback and every other fault"
                    + " still runs", network.partitionsUnavailable());
        }
        List<Thread> clients = new ArrayList<>();
        try {
            startCluster();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> nodes.stream().allMatch(this::ready));

            List<Operation<KvInput, KvOutput>> history = Collections.synchronizedList(new ArrayList<>());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Random random = new Random(seed * 31 + c);
                Thread t = new Thread(() -> {
                    try {
                        runClient(client, random, history);
                    } catch (Throwable e) {
                        clientFailure.compareAndSet(null, e);
                    }
                }, "chaos-client-" + c);
                t.start();
                clients.add(t);
            }
            long faultsStarted = System.nanoTime();
            int faults;
            try {
                faults = nemesis(new Random(seed), deadline, context);
            } finally {
                stopClients = true;
                for (Thread t : clients) {
                    t.join();
                }
            }
            long faultNanos = System.nanoTime() - faultsStarted;
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
                    if (r.is(200)) {
                        acknowledged("a", index(r), "write a=" + value, "final put answered by " + n.id);
                    }
                    record(CLIENTS, new KvInput.Put("a", value), value, n, r, r.is(200) ? new KvOutput.PutOk() : null,
                            call, history);
                    return r.is(200);
                });
            }
            assertThat(clientFailure.get()).as("client thread failure, %s", context).isNull();
            Map<String, FinalEntry> finalState = convergedState(context);
            for (String key : KEYS) { // the last word on every key joins the history: a lost write fails the check
                long call = System.nanoTime();
                Reply r = send(nodes.get(0), "GET", "/kv/" + key + "?consistency=linearizable", null);
                assertThat(r.status()).as("final read of %s, %s: %s", key, context, r.body()).isIn(200, 404);
                history.add(Operation.of(CLIENTS + 1, new KvInput.Get(key),
                        new KvOutput.GetResult(r.is(200) ? value(r) : null), call, System.nanoTime()));
            }

            LOG.info("chaos {}: {} operations ({} writes acknowledged, {} unknown, {} answered 503), {} faults {}"
                            + " in {} s, partitions {}; final state {}", context, history.size(), okWrites.get(),
                    unknownWrites.get(), answered503.get(), faults, faultCounts,
                    TimeUnit.NANOSECONDS.toSeconds(faultNanos),
                    network.partitionsUnavailable() == null ? "on" : "off (" + network.partitionsUnavailable() + ")",
                    finalState);
            assertThat(faults).as("faults injected, %s", context).isPositive();
            assertThat(okWrites.get()).as("writes acknowledged, %s", context).isGreaterThan(20);
            List<String> seen503 = notApplied.keySet().stream().filter(observed::containsKey).sorted()
                    .map(v -> notApplied.get(v) + ", yet seen " + observed.get(v)).toList();
            assertThat(seen503).as("writes answered 503 ('the request was not carried out') that took effect, %s",
                    context).isEmpty();
            assertThat(indexConflicts).as("two different commands answered as applied at the same log index, %s",
                    context).isEmpty();
            List<String> lost = new ArrayList<>();
            finalState.forEach((key, entry) -> {
                Long acked = lastAckedWrite.get(key);
                if (entry.index() >= 0 && acked != null && entry.index() < acked) {
                    lost.add("key " + key + " holds " + entry + " but a write at index " + acked + " was acknowledged: "
                            + entryAt.get(acked) + " (" + entrySeen.get(acked) + ")");
                }
            });
            assertThat(lost).as("acknowledged writes lost, %s", context).isEmpty();
            CheckResult result = LinearizabilityChecker.check(new KvModel(), new ArrayList<>(history),
                    Duration.ofSeconds(120));
            assertThat(result.isOk()).as("linearizable, %s: %s", context, result).isTrue();
        } finally {
            stopClients = true;
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            for (Node n : nodes) {
                if (n.process != null) {
                    n.kill();
                }
            }
            if (network != null) {
                network.close();
            }
        }
    }

    private void startCluster() throws IOException {
        StringBuilder members = new StringBuilder();
        for (int i = 0; i < network.size(); i++) {
            members.append(i == 0 ? "" : ",").append("n").append(i + 1).append("=http://")
                    .append(network.address(i)).append(':').append(network.port(i));
        }
        for (int i = 0; i < network.size(); i++) {
            Node n = new Node(i, members.toString());
            n.start();
            nodes.add(n);
        }
    }

    /**
     * One fault at a time, each healed before the next. The sleeps are the fault schedule itself (how long a node stays
     * down, paused or cut off, and the gap between faults), as in any nemesis; no assertion depends on their timing,
     * the history is checked whatever the interleaving. Waiting for a condition (a node refused to start, a node is
     * back, the others hold everything) is bounded polling.
     */
    private int nemesis(Random random, long deadline, String context) throws Exception {
        Map<String, List<String>> kinds = new LinkedHashMap<>();
        kinds.put("process", PROCESS_FAULTS);
        if (network.partitionsUnavailable() == null) {
            kinds.put("partition", PARTITION_FAULTS);
        }
        if (!"false".equals(System.getProperty("raft.chaos.storage"))) {
            kinds.put("storage", STORAGE_FAULTS);
        }
        Map<String, Deque<String>> decks = new LinkedHashMap<>();
        Deque<String> round = new ArrayDeque<>();
        int faults = 0;
        // The first round always completes, so that even a short run sees one fault of each kind.
        while (System.nanoTime() < deadline || faults < kinds.size()) {
            lastFor(1000 + random.nextInt(2000)); // the gap between faults
            if (System.nanoTime() >= deadline && faults >= kinds.size()) {
                break;
            }
            if (round.isEmpty()) {
                List<String> order = new ArrayList<>(kinds.keySet());
                Collections.shuffle(order, random);
                round.addAll(order);
            }
            String category = round.poll();
            Deque<String> deck = decks.computeIfAbsent(category, k -> new ArrayDeque<>());
            if (deck.isEmpty()) {
                List<String> order = new ArrayList<>(kinds.get(category));
                Collections.shuffle(order, random);
                deck.addAll(order);
            }
            String kind = deck.poll();
            // Partitions last 2-7 s, so that some outlast the 4 s command timeout and an isolated node answers 503
            long faultMillis = category.equals("partition") ? 2000 + random.nextInt(5000) : 1000 + random.nextInt(3000);
            String done = switch (category) {
                case "process" -> processFault(kind, random, faultMillis);
                case "partition" -> partition(kind, random, faultMillis);
                default -> damageStorage(kind, random, faultMillis, context);
            };
            faultCounts.merge(done, 1, Integer::sum);
            faults++;
        }
        return faults;
    }

    private String processFault(String kind, Random random, long faultMillis) throws Exception {
        Node target = kind.equals("kill-leader") ? leaderOr(randomNode(random)) : randomNode(random);
        switch (kind) {
            case "pause" -> {
                LOG.info("nemesis: pause {} for {} ms", target.id, faultMillis);
                target.signal("STOP");
                lastFor(faultMillis);
                target.signal("CONT");
            }
            case "terminate" -> {
                LOG.info("nemesis: stop {} with SIGTERM (graceful) and start it after {} ms", target.id, faultMillis);
                target.signal("TERM");
                if (!target.process.waitFor(60, TimeUnit.SECONDS)) {
                    LOG.warn("nemesis: {} did not stop within 60 s of SIGTERM; killing it", target.id);
                    target.kill();
                }
                lastFor(faultMillis);
                target.start();
            }
            default -> {
                LOG.info("nemesis: kill {}{} and restart it after {} ms", target.id,
                        kind.equals("kill-leader") ? " (leader)" : "", faultMillis);
                target.kill();
                lastFor(faultMillis);
                target.start();
            }
        }
        return kind;
    }

    /** Cuts links for a while, then heals them all. */
    private String partition(String kind, Random random, long faultMillis) throws Exception {
        List<ChaosNetwork.Cut> cuts = new ArrayList<>();
        String what;
        switch (kind) {
            case "isolate", "isolate-leader" -> {
                Node v = kind.equals("isolate") ? randomNode(random) : leaderOr(randomNode(random));
                for (Node other : nodes) {
                    if (other != v) {
                        cuts.add(new ChaosNetwork.Cut(v.index, other.index));
                        cuts.add(new ChaosNetwork.Cut(other.index, v.index));
                    }
                }
                what = "isolate " + v.id + (kind.equals("isolate") ? "" : " (leader)")
                        + " from both others (minority " + v.id + " | majority of the other two)";
            }
            case "cut-link" -> {
                Node a = random.nextBoolean() ? leaderOr(randomNode(random)) : randomNode(random);
                Node b = otherThan(a, random);
                cuts.add(new ChaosNetwork.Cut(a.index, b.index));
                cuts.add(new ChaosNetwork.Cut(b.index, a.index));
                what = "cut the link " + a.id + " <-> " + b.id + " (the third node still reaches both)";
            }
            default -> {
                Node from = random.nextBoolean() ? leaderOr(randomNode(random)) : randomNode(random);
                Node to = otherThan(from, random);
                if (random.nextBoolean()) {
                    Node swap = from;
                    from = to;
                    to = swap;
                }
                cuts.add(new ChaosNetwork.Cut(from.index, to.index));
                what = "cut one way: " + from.id + "'s messages do not reach " + to.id + " (" + to.id + "'s reach "
                        + from.id + ")";
            }
        }
        LOG.info("nemesis: {} for {} ms", what, faultMillis);
        network.cut(cuts);
        try {
            lastFor(faultMillis);
        } finally {
            network.heal();
        }
        return kind;
    }

    /**
     * Kills one node, damages its WAL, and starts it again: a torn tail must be cut back and the node must come back; a
     * flipped byte that valid data follows must stop it from starting, with a message naming the file, after which its
     * data directory is wiped and it starts empty. Either way the node starts only once the other two hold everything
     * (see the class comment), and it must then catch up: apply everything that was committed when it came back.
     * The target alternates between a follower (first: the same leader stays, and must repair a follower whose log
     * lost entries it had acknowledged) and the leader (a new leader takes over and brings the damaged node up to date).
     */
    private String damageStorage(String kind, Random random, long faultMillis, String context) throws Exception {
        Node leader = leaderOr(null);
        Node target = leader == null ? randomNode(random) : damageLeaderNext ? leader : otherThan(leader, random);
        String role = leader == null ? "no leader known" : target == leader ? "leader" : "follower of " + leader.id;
        damageLeaderNext = !damageLeaderNext;
        target.kill();
        lastFor(faultMillis / 2); // down a while, as a crashed machine would be
        Optional<WalDamage.Damage> damage = Optional.empty();
        if (WalDamage.hasSealedSegment(target.dataDir())) {
            LOG.info("nemesis: {} has a sealed segment, so its WAL is not replayed from the start; no damage",
                    target.id);
        } else if (kind.equals("torn-tail")) {
            damage = WalDamage.cutTail(target.dataDir(), random).or(() -> flip(target, random));
        } else {
            damage = flip(target, random).or(() -> cutTail(target, random));
        }
        String done = damage.map(WalDamage.Damage::kind).orElse("kill");
        LOG.info("nemesis: kill {} ({}), damage its WAL: {}", target.id, role,
                damage.map(Object::toString).orElse("nothing to damage (no WAL data yet)"));
        awaitOthersHoldEverything(target, context);
        long logMark = target.logSize();
        target.start();
        if (damage.isPresent() && damage.get().mustRefuse()) {
            WalDamage.Damage d = damage.get();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !target.process.isAlive() || ready(target));
            String log = target.logSince(logMark);
            assertThat(target.process.isAlive())
                    .as("%s started on a WAL where it must refuse to (%s), %s; its log:%n%s", target.id, d, context,
                            tail(log))
                    .isFalse();
            String name = d.file().getFileName().toString();
            String line = log.lines().filter(l -> l.contains(name)).findFirst().orElse(null);
            assertThat(line).as("%s refused to start after %s; the message must name the file, %s; its log:%n%s",
                    target.id, d, context, tail(log)).isNotNull();
            int message = line.lastIndexOf("message: ", line.indexOf(name));
            LOG.info("nemesis: {} refused to start, as it must: {}", target.id,
                    (message < 0 ? line : line.substring(message + "message: ".length())).strip());
            LOG.info("nemesis: wipe {}'s data directory (a new disk) and start it empty", target.id);
            deleteTree(target.dataDir());
            // no waiting for the others here: the emptied node has a new incarnation, which counts toward no quorum
            // until the leader binds it (docs/operations.md, "A node lost its volume")
            target.start();
            awaitRejoined(target, context);
            awaitCaughtUp(target, "a wipe (" + role + ")", context);
            return d.kind() + "+wipe";
        }
        if (damage.isPresent()) {
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !target.process.isAlive() || ready(target));
            assertThat(target.process.isAlive())
                    .as("%s did not come back after %s: recovery must cut a torn tail and start, %s; its log:%n%s",
                            target.id, damage.get(), context, tail(target.logSince(logMark)))
                    .isTrue();
            LOG.info("nemesis: {} is back after {}", target.id, damage.get());
        }
        awaitCaughtUp(target, damage.map(Object::toString).orElse("a kill") + " (" + role + ")", context);
        return done;
    }

    /**
     * Waits until a node that restarted on an empty data directory has rejoined through the leader: its status says its
     * new incarnation is bound, and the leader's configuration has it as a voter bound to that incarnation.
     */
    private void awaitRejoined(Node target, String context) {
        awaitNodes(target.id + " rejoins with a new incarnation, " + context, Duration.ofMillis(200), () -> {
            Reply r = send(target, "GET", "/raft/admin/groups/kv", null);
            if (!r.is(200)) {
                return false;
            }
            JsonNode j = JSON.readTree(r.body());
            JsonNode own = j.get("incarnation");
            if (!j.path("incarnationBound").asBoolean(false) || own == null || own.isNull()) {
                return false;
            }
            for (JsonNode m : j.get("members")) {
                if (m.get("id").asString().equals(target.id)) {
                    return own.asString().equals(m.path("incarnation").asString(""))
                            && m.get("membership").asString().equals("voter");
                }
            }
            return false;
        });
        LOG.info("nemesis: {} rejoined with its new incarnation, bound and a voter again", target.id);
    }

    /**
     * Waits until {@code target} has applied everything the leader (another node) had committed when first seen, or
     * leads itself (then it holds every committed entry).
     */
    private void awaitCaughtUp(Node target, String after, String context) {
        long[] goal = {-1};
        awaitNodes(target.id + " catches up after " + after + ", " + context, Duration.ofMillis(200), () -> {
            Optional<Status> own = status(target);
            if (own.isPresent() && own.get().role().equals("leader")) {
                return true;
            }
            if (goal[0] < 0) {
                for (Node n : nodes) {
                    Optional<Status> s = n == target ? Optional.empty() : status(n);
                    if (s.isPresent() && s.get().role().equals("leader")) {
                        goal[0] = s.get().commitIndex();
                    }
                }
                return false;
            }
            return own.isPresent() && own.get().lastApplied() >= goal[0];
        });
        LOG.info("nemesis: {} caught up after {}", target.id, after);
    }

    private Optional<WalDamage.Damage> flip(Node target, Random random) {
        try {
            return WalDamage.flipByte(target.dataDir(), random);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<WalDamage.Damage> cutTail(Node target, Random random) {
        try {
            return WalDamage.cutTail(target.dataDir(), random);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until the two nodes other than {@code down} follow the same leader (one of them) in the same term, and
     * both have applied every entry that leader held when it was first seen leading: then every entry that may have
     * been committed lives on both.
     */
    private void awaitOthersHoldEverything(Node down, String context) {
        List<Node> others = nodes.stream().filter(n -> n != down).toList();
        long[] target = {-1, -1}; // term, leader's last log index
        awaitNodes("the nodes other than " + down.id + " hold every entry, " + context, Duration.ofMillis(200),
                () -> {
                    List<Status> s = new ArrayList<>();
                    for (Node n : others) {
                        Optional<Status> st = status(n);
                        if (st.isEmpty()) {
                            return false;
                        }
                        s.add(st.get());
                    }
                    String leader = s.get(0).leaderId();
                    boolean agreed = leader != null && s.stream().allMatch(x -> leader.equals(x.leaderId())
                            && x.term() == s.get(0).term())
                            && others.stream().anyMatch(n -> n.id.equals(leader));
                    if (!agreed) {
                        target[0] = -1;
                        return false;
                    }
                    if (target[0] != s.get(0).term()) {
                        Status l = s.get(others.get(0).id.equals(leader) ? 0 : 1);
                        target[0] = l.term();
                        target[1] = l.lastLogIndex();
                        return false;
                    }
                    return s.stream().allMatch(x -> x.lastApplied() >= target[1]);
                });
    }

    /** A key's value in a node's final state and the index it was written at ({@code -1}: absent). */
    private record FinalEntry(String value, long index) {
        @Override
        public String toString() {
            return index < 0 ? "absent" : value + "@" + index;
        }
    }

    /**
     * Once healed and idle: waits until every node has applied everything the leader holds, reads every key locally
     * on every node, and checks they agree. The values seen count as observed.
     */

    private Map<String, FinalEntry> convergedState(String context) {
        awaitNodes("every node applied the leader's whole log, " + context, Duration.ofMillis(500),
                () -> {
                    List<Status> all = new ArrayList<>();
                    for (Node n : nodes) {
                        Optional<Status> s = status(n);
                        if (s.isEmpty()) {
                            return false;
                        }
                        all.add(s.get());
                    }
                    Optional<Status> leader = all.stream().filter(s -> s.role().equals("leader")).findFirst();
                    return leader.isPresent() && leader.get().commitIndex() == leader.get().lastLogIndex()
                            && all.stream().allMatch(s -> s.lastApplied() == leader.get().lastLogIndex());
                });
        Map<String, FinalEntry> state = new TreeMap<>();
        for (String key : KEYS) {
            Map<String, FinalEntry> perNode = new TreeMap<>();
            for (Node n : nodes) {
                Reply r = send(n, "GET", "/kv/" + key + "?consistency=local", null);
                assertThat(r.status()).as("local read of %s on %s, %s: %s", key, n.id, context, r.body())
                        .isIn(200, 404);
                String v = r.is(200) ? value(r) : null;
                perNode.put(n.id, new FinalEntry(v, r.is(200) ? index(r) : -1));
                if (v != null) {
                    observed.putIfAbsent(v, "in " + n.id + "'s final state");
                    claim(index(r), "write " + key + "=" + v, "in " + n.id + "'s final state");
                }
            }
            assertThat(perNode.values().stream().distinct().count())
                    .as("nodes agree on key %s once converged, %s: %s", key, context, perNode).isEqualTo(1L);
            state.put(key, perNode.values().iterator().next());
        }
        return state;
    }

    private void heal() throws Exception {
        network.heal();
        for (Node n : nodes) {
            if (n.paused) {
                n.signal("CONT");
            }
            if (!n.process.isAlive()) {
                n.start();
            }
        }
    }

    private Node randomNode(Random random) {
        return nodes.get(random.nextInt(nodes.size()));
    }

    private Node otherThan(Node n, Random random) {
        List<Node> others = nodes.stream().filter(o -> o != n).toList();
        return others.get(random.nextInt(others.size()));
    }

    /** The node that says it leads, else {@code fallback} (may be null). */
    private Node leaderOr(Node fallback) {
        for (Node n : nodes) {
            Optional<Status> s = status(n);
            if (s.isPresent() && s.get().role().equals("leader")) {
                return n;
            }
        }
        return fallback;
    }

    /** Polls {@code condition} for up to two minutes; on timeout, fails with every node's status as it is then. */
    private void awaitNodes(String what, Duration poll, java.util.concurrent.Callable<Boolean> condition) {
        long started = System.nanoTime();
        boolean[] logged = {false};
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(poll).alias(what).until(() -> {
                if (condition.call()) {
                    return true;
                }
                if (!logged[0] && System.nanoTime() - started > TimeUnit.SECONDS.toNanos(30)) {
                    logged[0] = true; // a log line for the report only; nothing depends on this delay
                    LOG.warn("still waiting after 30 s: {}; nodes now:{}", what, statuses());
                }
                return false;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not within 2 minutes: " + what + "; nodes now:" + statuses(), e);
        }
        if (logged[0]) {
            LOG.warn("done after {} s: {}; nodes now:{}", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
                    what, statuses());
        }
    }

    /** Every node's Raft status, one per line, for messages. */
    private String statuses() {
        StringBuilder statuses = new StringBuilder();
        for (Node n : nodes) {
            Reply r = send(n, "GET", "/raft/admin/groups/kv", null);
            statuses.append("\n  ").append(n.id).append(n.process.isAlive() ? "" : " (not running)")
                    .append(n.paused ? " (paused)" : "").append(": ").append(r.status()).append(' ').append(r.body());
        }
        return statuses.toString();
    }

    private Optional<Status> status(Node n) {
        Reply r = send(n, "GET", "/raft/admin/groups/kv", null);
        if (!r.is(200)) {
            return Optional.empty();
        }
        JsonNode j = JSON.readTree(r.body());
        JsonNode leader = j.get("leaderId");
        return Optional.of(new Status(j.get("role").asString(), j.get("term").asLong(),
                leader == null || leader.isNull() ? null : leader.asString(), j.get("commitIndex").asLong(),
                j.get("lastApplied").asLong(), j.get("lastLogIndex").asLong()));
    }

    private boolean ready(Node n) {
        Reply r = send(n, "GET", "/actuator/health/readiness", null);
        return r.is(200);
    }

    private void runClient(int client, Random random, List<Operation<KvInput, KvOutput>> history) {
        int n = 0;
        while (!stopClients) { // until the nemesis is done
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
                    String read = value(r);
                    observe(read, "read from " + key + " on " + node.id + " at " + at(ret));
                    claim(index(r), "write " + key + "=" + read, "read on " + node.id + " at " + at(ret));
                    history.add(Operation.of(client, new KvInput.Get(key), new KvOutput.GetResult(read), call, ret));
                } else if (r.is(404)) {
                    history.add(Operation.of(client, new KvInput.Get(key), new KvOutput.GetResult(null), call, ret));
                } // a failed read constrains nothing
            } else if (op < 7) {
                KvInput in = new KvInput.Put(key, value);
                Reply r = send(node, "PUT", "/kv/" + key, "{\"value\":\"" + value + "\"}");
                if (r.is(200)) {
                    acknowledged(key, index(r), "write " + key + "=" + value, "put answered by " + node.id);
                }
                record(client, in, value, node, r, r.is(200) ? new KvOutput.PutOk() : null, call, history);
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
                    boolean succeeded = Boolean.parseBoolean(m.group(1));
                    out = new KvOutput.CasResult(succeeded);
                    String where = "CAS answered by " + node.id + " at " + at(System.nanoTime());
                    observe(value(r), "in the answer to a " + where);
                    if (succeeded) {
                        acknowledged(key, index(r), "write " + key + "=" + value, where);
                    } else {
                        claim(index(r), "failed cas " + key + " => " + value, where);
                    }
                }
                record(client, in, value, node, r, out, call, history);
            } else {
                KvInput in = new KvInput.Delete(key);
                Reply r = send(node, "DELETE", "/kv/" + key, null);
                KvOutput out = switch (r.status()) {
                    case 200 -> new KvOutput.DeleteResult(true);
                    case 404 -> new KvOutput.DeleteResult(false);
                    default -> null;
                };
                if (r.is(200)) {
                    String where = "delete answered by " + node.id + " at " + at(System.nanoTime());
                    observe(value(r), "deleted from " + key + ", " + where);
                    acknowledged(key, index(r), "delete " + key + " by client " + client + " (op " + n + ")", where);
                }
                record(client, in, null, node, r, out, call, history);
            }
        }
    }

    /** An acknowledged write at {@code index}: no other command may be there, and the key's state must keep it. */
    private void acknowledged(String key, long index, String entry, String where) {
        claim(index, entry, where);
        lastAckedWrite.merge(key, index, Math::max);
    }

    /** An answer says {@code entry} was applied at {@code index}: every answer about that index must say the same. */
    private void claim(long index, String entry, String where) {
        String before = entryAt.putIfAbsent(index, entry);
        if (before == null) {
            entrySeen.put(index, where);
        } else if (!before.equals(entry)) {
            indexConflicts.add("index " + index + ": " + before + " (" + entrySeen.get(index) + ") and " + entry
                    + " (" + where + ")");
        }
    }

    private void observe(String value, String where) {
        if (value != null) {
            observed.putIfAbsent(value, where);
        }
    }

    /**
     * A write with a known outcome; or (null) one that may or may not have happened; nothing for one that never
     * reached a node or that was answered 503 (not carried out), whose value is kept to check it never shows up.
     */
    private void record(int client, KvInput in, String value, Node node, Reply reply, KvOutput out, long call,
                        List<Operation<KvInput, KvOutput>> history) {
        if (reply == Reply.REFUSED) {
            return;
        }
        if (reply.is(503)) {
            answered503.incrementAndGet();
            if (value != null) {
                Matcher title = TITLE.matcher(reply.body());
                notApplied.put(value, in + " by client " + client + " at " + node.id + ", called at " + at(call)
                        + ", answered 503 (" + (title.find() ? title.group(1) : reply.body()) + ") at "
                        + at(System.nanoTime()));
            }
            return;
        }
        if (out == null) {
            history.add(KvModel.unknown(client, in, call));
            unknownWrites.incrementAndGet();
        } else {
            history.add(Operation.of(client, in, out, call, System.nanoTime()));
            okWrites.incrementAndGet();
        }
    }

    private String at(long nanos) {
        return String.format("t+%.3fs", (nanos - startNanos) / 1e9);
    }

    private static String value(Reply r) {
        Matcher m = VALUE.matcher(r.body());
        assertThat(m.find()).as("answer with a value: %s", r.body()).isTrue();
        return m.group(2);
    }

    private static long index(Reply r) {
        Matcher m = INDEX.matcher(r.body());
        assertThat(m.find()).as("answer with an index: %s", r.body()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return lines.subList(Math.max(0, lines.size() - 40), lines.size()).stream().collect(Collectors.joining("\n"));
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
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

    /**
     * Lets the nemesis' current state (a fault, or the calm between two) last {@code millis}: the fault schedule,
     * which is all this waits for. No assertion depends on it; every check waits for its condition with a bound.
     */
    private static void lastFor(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
