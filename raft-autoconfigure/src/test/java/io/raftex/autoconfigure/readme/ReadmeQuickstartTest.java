package io.raftex.autoconfigure.readme;

import io.raftex.autoconfigure.client.RaftClient;
import io.raftex.autoconfigure.testapp.TestNode;
import io.raftex.core.ApplyContext;
import io.raftex.core.StateMachine;
import io.raftex.core.StateSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.DefaultResourceLoader;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The README's quickstart, read from README.md when the test runs: its Java blocks (the complete files, with the
 * "Snapshots" block's imports and methods added to {@code Counter.java} as it says) are compiled with the JDK's
 * compiler against the test classpath, and started as three instances with the README's properties and the
 * per-instance arguments of its {@code java -jar} lines (ports made free ones, data in a temporary directory, faster
 * timing). Then the README's calls are made: add, value, the actuator endpoints, and 503/504 problem details once
 * the group has no majority.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadmeQuickstartTest {

    private static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path tmp;

    private static URLClassLoader loader;
    private static final List<ConfigurableApplicationContext> nodes = new ArrayList<>();
    private static final List<String> urls = new ArrayList<>();

    @BeforeAll
    static void compileAndStartTheReadmesApplication() throws Exception {
        new TestNode("unused", 0, tmp); // its static set-up: several applications in one JVM share one logging set-up
        String section = section(Files.readString(README), "## Quickstart in your application");
        Map<String, String> sources = sources(blocks(section, "java"));
        Path classes = compile(sources, tmp.resolve("src"), tmp.resolve("classes"));
        loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, ReadmeQuickstartTest.class.getClassLoader());
        String mainClass = sources.keySet().stream().filter(name -> sources.get(name).contains("void main("))
                .findFirst().orElseThrow(() -> new AssertionError("no main class in the README's quickstart"));

        Properties readmeProperties = new Properties();
        List<String> propertyBlocks = blocks(section, "properties");
        assertThat(propertyBlocks).as("the quickstart's application.properties").hasSize(1);
        readmeProperties.load(new StringReader(propertyBlocks.get(0)));

        // the README's three `java -jar target/counter-….jar --server.port=808x --raft.node-id=nx` lines
        List<List<String>> instances = new ArrayList<>();
        Matcher java = Pattern.compile("(?m)^java -jar \\S+((?: --\\S+)+)").matcher(String.join("\n",
                blocks(section, "bash")));
        while (java.find()) {
            instances.add(List.of(java.group(1).strip().split(" +")));
        }
        assertThat(instances).as("the README's java -jar lines").hasSize(3);

        Map<String, String> ports = new LinkedHashMap<>();
        for (List<String> args : instances) {
            String readmePort = value(args, "--server.port");
            ports.put(readmePort, Integer.toString(TestNode.freePort()));
        }
        String members = readmeProperties.getProperty("raft.members");
        for (Map.Entry<String, String> p : ports.entrySet()) {
            members = members.replace("localhost:" + p.getKey(), "127.0.0.1:" + p.getValue());
        }

        ClassLoader before = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        try {
            for (List<String> readmeArgs : instances) {
                List<String> args = new ArrayList<>();
                for (String arg : readmeArgs) {
                    args.add(arg.startsWith("--server.port=")
                            ? "--server.port=" + ports.get(value(readmeArgs, "--server.port")) : arg);
                }
                String id = value(readmeArgs, "--raft.node-id");
                args.addAll(List.of("--raft.members=" + members, "--server.address=127.0.0.1",
                        "--raft.data-dir=" + tmp.resolve("data").resolve(id), "--raft.heartbeat-interval=50ms",
                        "--raft.election-timeout=500ms", "--raft.command-timeout=3s", "--raft.storage.sync=none",
                        "--spring.main.banner-mode=off", "--spring.jmx.enabled=false"));
                Map<String, Object> defaults = new LinkedHashMap<>();
                readmeProperties.forEach((k, v) -> defaults.put((String) k, v));
                defaults.put("RAFT_CLUSTER_TOKEN", "readme-quickstart-cluster-token"); // the README's export
                nodes.add(new SpringApplicationBuilder(loader.loadClass(mainClass))
                        .resourceLoader(new DefaultResourceLoader(loader)).properties(defaults)
                        .run(args.toArray(new String[0])));
                urls.add("http://127.0.0.1:" + ports.get(value(readmeArgs, "--server.port")));
            }
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    @AfterAll
    static void stop() throws IOException {
        nodes.forEach(ConfigurableApplicationContext::close);
        if (loader != null) {
            loader.close();
        }
    }

    @Test
    @Order(1)
    void addOnOneInstanceAndReadTheValueOnAnother() {
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.stream().anyMatch(
                c -> c.getBean(RaftClient.class).status("counter").isLeader()));
        assertThat(send("POST", urls.get(0) + "/add/5").body()).isEqualTo("5");
        assertThat(send("POST", urls.get(2) + "/add/2").body()).isEqualTo("7");
        for (String url : urls) {
            HttpResponse<String> value = send("GET", url + "/value");
            assertThat(value.statusCode()).isEqualTo(200);
            assertThat(value.body()).isEqualTo("7");
        }
    }

    @Test
    @Order(2)
    void theExposedActuatorEndpointsAnswer() {
        for (String url : urls) {
            assertThat(send("GET", url + "/actuator/health").statusCode()).isEqualTo(200);
            HttpResponse<String> raft = send("GET", url + "/actuator/raft");
            assertThat(raft.statusCode()).isEqualTo(200);
            assertThat(raft.body()).contains("\"counter\"");
            HttpResponse<String> prometheus = send("GET", url + "/actuator/prometheus");
            assertThat(prometheus.statusCode()).isEqualTo(200);
            assertThat(prometheus.body()).contains("raft_commit_index");
        }
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void theSnapshotMethodsCaptureRestoreAndRefuseGarbage() throws Exception {
        Class<?> counterType = loader.loadClass("com.example.counter.Counter");
        Constructor<?> add = loader.loadClass("com.example.counter.Counter$Add").getDeclaredConstructor(long.class);
        add.setAccessible(true);
        Constructor<?> make = counterType.getDeclaredConstructor();
        make.setAccessible(true);
        Method value = counterType.getDeclaredMethod("value");
        value.setAccessible(true);

        StateMachine<Object, Long> counter = (StateMachine<Object, Long>) make.newInstance();
        counter.apply(add.newInstance(2L), new ApplyContext(1, 1, 0));
        StateSnapshot capture = counter.snapshot();
        assertThat(capture).as("the README's snapshot() in Counter").isNotNull();
        counter.apply(add.newInstance(3L), new ApplyContext(2, 1, 0));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        capture.writeTo(out);
        capture.release();

        StateMachine<Object, Long> restored = (StateMachine<Object, Long>) make.newInstance();
        restored.apply(add.newInstance(40L), new ApplyContext(1, 1, 0));
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(value.invoke(restored)).isEqualTo(2L);
        assertThat(value.invoke(counter)).isEqualTo(5L);

        byte[] longer = Arrays.copyOf(out.toByteArray(), 9);
        assertThatThrownBy(() -> restored.restore(new ByteArrayInputStream(longer))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> restored.restore(new ByteArrayInputStream(new byte[3])))
                .isInstanceOf(IOException.class);
        assertThat(value.invoke(restored)).isEqualTo(2L);
    }

    @Test
    @Order(4)
    void withoutAMajorityAWriteIsAProblemDetailNotABare500() {
        nodes.get(1).close();
        nodes.get(2).close();
        HttpResponse<String> r = send("POST", urls.get(0) + "/add/1");
        assertThat(r.statusCode()).isIn(503, 504);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        if (r.statusCode() == 503) {
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
        }
    }

    // ------------------------------------------------------------------ reading and compiling the README

    /** The text from {@code heading} to the next heading of the same level. */
    static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertThat(start).as("README.md has the heading '%s'", heading).isNotNegative();
        String level = heading.substring(0, heading.indexOf(' ') + 1);
        int end = markdown.indexOf("\n" + level, start + heading.length() + 1);
        return markdown.substring(start, end < 0 ? markdown.length() : end);
    }

    /** The fenced code blocks of that language, in order. */
    static List<String> blocks(String markdown, String language) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("(?ms)^```" + language + "\\n(.*?)^```").matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /**
     * Source files by class name: every block with a package declaration is one file; a block without one (the
     * "Snapshots" methods) gives its import lines and its methods to the file of the class they extend, Counter.
     */
    static Map<String, String> sources(List<String> javaBlocks) {
        Map<String, String> files = new LinkedHashMap<>();
        List<String> fragments = new ArrayList<>();
        Pattern pkg = Pattern.compile("(?m)^package ([\\w.]+);");
        Pattern type = Pattern.compile("(?m)^(?:public |final |abstract )*(?:class|record|interface|enum) (\\w+)");
        for (String block : javaBlocks) {
            Matcher p = pkg.matcher(block);
            if (!p.find()) {
                fragments.add(block);
                continue;
            }
            Matcher t = type.matcher(block);
            assertThat(t.find()).as("a top-level type in\n%s", block).isTrue();
            files.put(p.group(1) + "." + t.group(1), block);
        }
        assertThat(files).as("the quickstart's complete Java files").isNotEmpty();
        String counter = files.keySet().stream().filter(n -> n.endsWith(".Counter")).findFirst()
                .orElseThrow(() -> new AssertionError("no class Counter in the README's quickstart"));
        for (String fragment : fragments) {
            StringBuilder imports = new StringBuilder();
            StringBuilder members = new StringBuilder();
            for (String line : fragment.split("\n")) {
                (line.startsWith("import ") ? imports : members).append(line).append('\n');
            }
            String file = files.get(counter);
            int afterPackage = file.indexOf('\n', file.indexOf("package ")) + 1;
            int lastBrace = file.lastIndexOf('}');
            files.put(counter, file.substring(0, afterPackage) + imports + file.substring(afterPackage, lastBrace)
                    + members + "}\n");
        }
        return files;
    }

    /**
     * Compiles the sources with -parameters, as Spring Boot's parent configures the compiler (MVC reads the names
     * of {@code @PathVariable} parameters from it).
     */
    static Path compile(Map<String, String> sources, Path sourceRoot, Path classes) throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertThat(compiler).as("a JDK's compiler").isNotNull();
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = sourceRoot.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            files.add(file);
        }
        Files.createDirectories(classes);
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = compiler.getTask(null, fm, diagnostics, List.of("--release", "17", "-parameters",
                            "-proc:none", "-classpath", System.getProperty("java.class.path"), "-d", classes.toString()),
                    null, fm.getJavaFileObjectsFromPaths(files)).call();
            assertThat(ok).as("the README's Java compiles:\n%s\n%s", diagnostics.getDiagnostics(), sources).isTrue();
        }
        return classes;
    }

    private static String value(List<String> args, String option) {
        return args.stream().filter(a -> a.startsWith(option + "=")).map(a -> a.substring(option.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no " + option + " in " + args));
    }

    private static HttpResponse<String> send(String method, String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
