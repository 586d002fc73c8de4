package io.raftex.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the chaos test's nodes live, and how the links between them are cut.
 *
 * <p>{@link #create} tries network namespaces (root, {@code ip netns}, {@code nft}): one namespace per node, each
 * with a veth pair into a bridge that sits in a namespace of its own, and one more veth pair from that bridge to the
 * test JVM's (root) namespace. Nodes listen on {@code 10.77.<k>.<i+1>}; the test JVM talks to them from
 * {@code 10.77.<k>.254}, where {@code <k>} is a /24 no other interface on this machine uses. A {@link Cut} ("from's
 * messages do not reach to") is an nftables rule in the receiving node's namespace that drops TCP from {@code from}'s
 * address to {@code to}'s port, so the peer RPCs that {@code from} opens never arrive (a black hole, not a refusal).
 * Peer messages travel one way each (an answer is a separate request back), so a cut in one direction is a one-way
 * partition; cuts both ways isolate. Clients (the test JVM) are never cut. Nothing outside the namespaces this class
 * creates (and its one veth end in the root namespace) is touched; the bridge lives in a namespace so that the host's
 * firewall (br_netfilter, Docker's FORWARD policy) never sees the nodes' traffic.
 *
 * <p>Names carry this JVM's pid and a random tag ({@code raftex-chaos-<pid>-<tag>-n1}, root link
 * {@code rx<pid>-<tag>}), so a leftover of a crashed run never collides with a new one; {@link #create} also removes
 * leftovers whose test JVM is gone (and the node JVMs still running in them). {@link #close} removes everything, and a
 * shutdown hook does so if the test JVM is stopped before it.
 *
 * <p>Without root, {@code ip netns} or {@code nft}, {@link #create} falls back to loopback ({@code 127.0.0.1}, no
 * cuts) and {@link #partitionsUnavailable()} says why.
 */
final class ChaosNetwork implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChaosNetwork.class);
    private static final String NS_PREFIX = "raftex-chaos-";
    private static final Pattern LEFTOVER_NS = Pattern.compile(Pattern.quote(NS_PREFIX) + "(\\d+)-[0-9a-f]+-\\w+");
    private static final Pattern LEFTOVER_LINK = Pattern.compile("rx(\\d+)-[0-9a-f]+");
    private static final String TABLE = "raftex_chaos";
    private static final java.util.Map<String, String> TOOLS = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"), "raftex-chaos-net.lock");

    /** {@code from}'s messages do not reach {@code to} (node indexes). */
    record Cut(int from, int to) {
    }

    private final List<String> addresses;
    private final int[] ports;
    private final List<String> namespaces; // one per node; empty on loopback
    private final String switchNamespace;
    private final String rootLink;
    private final String unavailable;
    private final Set<Cut> cuts = new LinkedHashSet<>();
    private final Thread cleanup;
    private boolean closed;

    private ChaosNetwork(List<String> addresses, int[] ports, List<String> namespaces, String switchNamespace,
                         String rootLink, String unavailable) {
        this.addresses = addresses;
        this.ports = ports;
        this.namespaces = namespaces;
        this.switchNamespace = switchNamespace;
        this.rootLink = rootLink;
        this.unavailable = unavailable;
        if (namespaces.isEmpty()) {
            this.cleanup = null;
        } else {
            this.cleanup = new Thread(this::removeQuietly, "chaos-network-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
        }
    }

    /**
     * Namespaces for {@code n} nodes if this machine allows it ({@code wanted} and root, {@code ip netns},
     * {@code nft}), else loopback with the reason in {@link #partitionsUnavailable()}.
     */
    static ChaosNetwork create(int n, boolean wanted) throws IOException {
        int[] ports = freePorts(n);
        String reason = !wanted ? "switched off with -Draft.chaos.partitions=false" : checkTools();
        if (reason == null) {
            try {
                return namespaces(n, ports);
            } catch (IOException e) {
                reason = "setting up network namespaces failed: " + e.getMessage();
            }
        }
        List<String> loopback = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            loopback.add("127.0.0.1");
        }
        return new ChaosNetwork(loopback, ports, List.of(), null, null, reason);
    }

    /** Null if partitions can be made, else why not. */
    private static String checkTools() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (!Integer.valueOf(0).equals(uid)) {
                return "not running as root (uid " + uid + "); network namespaces and nftables need root";
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "cannot tell whether this is root (" + e + "); network namespaces need Linux and root";
        }
        try {
            run(null, "ip", "netns", "list");
        } catch (IOException e) {
            return "'ip netns' does not work here (" + e.getMessage() + "); install iproute2";
        }
        try {
            run(null, "nft", "--version");
        } catch (IOException e) {
            return "'nft' does not work here (" + e.getMessage() + "); install nftables";
        }
        return null;
    }

    private static ChaosNetwork namespaces(int n, int[] ports) throws IOException {
        removeLeftovers();
        long pid = ProcessHandle.current().pid();
        String tag = Integer.toHexString(0x100 + ThreadLocalRandom.current().nextInt(0xf00));
        String base = NS_PREFIX + pid + "-" + tag + "-";
        String sw = base + "sw";
        String rootLink = "rx" + pid + "-" + tag;
        List<String> namespaces = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        List<String> created = new ArrayList<>();
        try (FileChannel lockFile = FileChannel.open(LOCK, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            // Under the lock, so that two runs at once never pick the same /24.
            String subnet = freeSubnet(pid);
            run(null, "ip", "netns", "add", sw);
            created.add(sw);
            run(null, "ip", "-n", sw, "link", "set", "lo", "up");
            run(null, "ip", "-n", sw, "link", "add", "br0", "type", "bridge");
            run(null, "ip", "-n", sw, "link", "set", "br0", "up");
            run(null, "ip", "link", "add", rootLink, "type", "veth", "peer", "name", "up0", "netns", sw);
            run(null, "ip", "-n", sw, "link", "set", "up0", "master", "br0", "up");
            run(null, "ip", "addr", "add", subnet + ".254/24", "dev", rootLink);
            run(null, "ip", "link", "set", rootLink, "up");
            for (int i = 0; i < n; i++) {
                String ns = base + "n" + (i + 1);
                String address = subnet + "." + (i + 1);
                run(null, "ip", "netns", "add", ns);
                created.add(ns);
                run(null, "ip", "-n", ns, "link", "set", "lo", "up");
                run(null, "ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "p" + (i + 1),
                        "netns", sw);
                run(null, "ip", "-n", sw, "link", "set", "p" + (i + 1), "master", "br0", "up");
                run(null, "ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
                run(null, "ip", "-n", ns, "link", "set", "eth0", "up");
                namespaces.add(ns);
                addresses.add(address);
            }
        } catch (IOException | RuntimeException e) {
            removeQuietly(rootLink, created);
            throw e;
        }
        ChaosNetwork network = new ChaosNetwork(addresses, ports, namespaces, sw, rootLink, null);
        try {
            network.apply();
        } catch (IOException e) {
            network.close();
            throw e;
        }
        LOG.info("chaos network: namespaces {}.. with nodes at {} (test JVM at {}.254 on {})", base, addresses,
                addresses.get(0).substring(0, addresses.get(0).lastIndexOf('.')), rootLink);
        return network;
    }

    /** A third octet for {@code 10.77.x.0/24} that no interface here uses yet. */
    private static String freeSubnet(long pid) throws IOException {
        String in = run(null, "ip", "-o", "-4", "addr", "show");
        for (int i = 0; i < 250; i++) {
            String candidate = "10.77." + (1 + (pid + i) % 250);
            if (!in.contains(" " + candidate + ".")) {
                return candidate;
            }
        }
        throw new IOException("every 10.77.x.0/24 is in use");
    }

    /** Removes namespaces and links of earlier runs whose test JVM no longer exists, with the nodes left in them. */
    private static void removeLeftovers() {
        try {
            for (String line : run(null, "ip", "netns", "list").split("\n")) {
                String name = line.split(" ")[0].strip();
                Matcher m = LEFTOVER_NS.matcher(name);
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    LOG.warn("removing network namespace {} left over by a test JVM that is gone", name);
                    for (String p : run(null, "ip", "netns", "pids", name).split("\\s+")) {
                        if (!p.isBlank()) {
                            ProcessHandle.of(Long.parseLong(p.strip())).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                    run(null, "ip", "netns", "del", name);
                }
            }
            for (String line : run(null, "ip", "-o", "link", "show").split("\n")) {
                String[] parts = line.split(":\\s+");
                if (parts.length > 1) {
                    String name = parts[1].split("@")[0];
                    Matcher m = LEFTOVER_LINK.matcher(name);
                    if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                        LOG.warn("removing link {} left over by a test JVM that is gone", name);
                        run(null, "ip", "link", "del", name);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not remove leftovers of earlier chaos runs: {}", e.toString());
        }
    }

    /** Why links cannot be cut here, or null if they can. */
    String partitionsUnavailable() {
        return unavailable;
    }

    int size() {
        return addresses.size();
    }

    String address(int node) {
        return addresses.get(node);
    }

    int port(int node) {
        return ports[node];
    }

    /** What goes before a node's command line: {@code ip netns exec <ns>} (which execs, so the pid stays the JVM's). */
    List<String> launcher(int node) {
        return namespaces.isEmpty() ? List.of()
                : List.of(TOOLS.computeIfAbsent("ip", ChaosNetwork::tool), "netns", "exec", namespaces.get(node));
    }

    /** Adds cuts (applied at once, atomically per node). */
    synchronized void cut(List<Cut> more) throws IOException {
        if (unavailable != null) {
            throw new IllegalStateException("no partitions here: " + unavailable);
        }
        cuts.addAll(more);
        apply();
    }

    /** Removes every cut. */
    synchronized void heal() throws IOException {
        if (cuts.isEmpty() || unavailable != null) {
            return;
        }
        cuts.clear();
        apply();
    }

    /** Writes each node's rule set in one nft transaction: an empty input chain, then its cuts. */
    private void apply() throws IOException {
        for (int i = 0; i < namespaces.size(); i++) {
            StringBuilder script = new StringBuilder()
                    .append("table inet ").append(TABLE)
                    .append(" {\n  chain input {\n    type filter hook input priority 0; policy accept;\n  }\n}\n")
                    .append("flush chain inet ").append(TABLE).append(" input\n");
            for (Cut c : cuts) {
                if (c.to() == i) {
                    script.append("add rule inet ").append(TABLE).append(" input ip saddr ")
                            .append(addresses.get(c.from())).append(" tcp dport ").append(ports[i]).append(" drop\n");
                }
            }
            run(script.toString(), "ip", "netns", "exec", namespaces.get(i),
                    TOOLS.computeIfAbsent("nft", ChaosNetwork::tool), "-f", "-");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cleanup != null) {
            removeQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // shutting down: the hook is running or ran
            }
        }
    }

    private void removeQuietly() {
        List<String> all = new ArrayList<>(namespaces);
        all.add(switchNamespace);
        removeQuietly(rootLink, all);
    }

    /** Deletes the root link (its peer goes with it) and the namespaces (their nft tables and veths go with them). */
    private static void removeQuietly(String rootLink, List<String> namespaces) {
        try {
            if (run(null, "ip", "-o", "link", "show").contains(" " + rootLink + "@")) {
                run(null, "ip", "link", "del", rootLink);
            }
        } catch (IOException e) {
            LOG.warn("could not delete link {}: {}", rootLink, e.getMessage());
        }
        for (String ns : namespaces) {
            try {
                run(null, "ip", "netns", "del", ns);
            } catch (IOException e) {
                LOG.warn("could not delete network namespace {}: {}", ns, e.getMessage());
            }
        }
    }

    /** {@code ip} or {@code nft} from the PATH, or from the sbin directories a non-login PATH may lack. */
    private static String tool(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        return name;
    }

    /** Runs a short command, feeding it {@code stdin}; its output, or an exception naming the command and output. */
    static String run(String stdin, String... command) throws IOException {
        Process p;
        try {
            List<String> resolved = new ArrayList<>(List.of(command));
            resolved.set(0, TOOLS.computeIfAbsent(command[0], ChaosNetwork::tool));
            p = new ProcessBuilder(resolved).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(String.join(" ", command) + ": " + e.getMessage(), e);
        }
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    private static int[] freePorts(int n) throws IOException {
        int[] result = new int[n];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                result[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
        return result;
    }
}
