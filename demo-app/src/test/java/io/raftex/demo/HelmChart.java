package io.raftex.demo;

import com.marcnuri.helm.Helm;
import com.sun.net.httpserver.HttpExchange;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Renders the Helm chart in {@code helm/raftex-demo} with a real helm (helm-java bundles one) and reads what it
 * renders, for the chart's tests.
 *
 * <p>Two limits of helm-java's {@code template} shape these helpers. It leaves hooks out, so {@link #renderHooks}
 * renders a copy of the chart whose hook annotations are renamed. And it evaluates {@code lookup} against a cluster
 * (there is none here) instead of returning nothing as {@code helm template} does: the chart only looks up its Secret
 * when it has a token to generate, so {@link #render} gives both tokens as values, and the tests of generated tokens
 * render in a child JVM pointed at a fake API server ({@link #renderAgainst}).
 */
final class HelmChart {

    static final Path CHART = Path.of("..", "helm", "raftex-demo").toAbsolutePath().normalize();
    static final String RELEASE = "demo";
    static final String NAMESPACE = "kv";
    static final String FULLNAME = "demo-raftex-demo";
    static final Map<String, Object> SELECTOR =
            Map.of("app.kubernetes.io/name", "raftex-demo", "app.kubernetes.io/instance", RELEASE);
    /** What {@link #renderHooks} renames {@code helm.sh/hook} to. */
    static final String RENAMED_HOOK = "rendered-for-test/hook";
    static final JsonMapper JSON = JsonMapper.builder().build();

    private HelmChart() {
    }

    static Helm helm() {
        assertThat(CHART.resolve("Chart.yaml")).exists();
        return new Helm(CHART);
    }

    /**
     * Renders the chart with {@code values} ("key", value, ...) and parses every document. The tokens are given
     * values unless the test sets something of theirs, so that the chart needs no lookup.
     */
    static Rendered render(Object... values) {
        return Rendered.parse(template(CHART, withTokens(values)));
    }

    static String template(Path chart, Object... values) {
        var template = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE);
        for (int i = 0; i < values.length; i += 2) {
            template.set((String) values[i], values[i + 1]);
        }
        return template.call();
    }

    static Object[] withTokens(Object... values) {
        List<Object> all = new ArrayList<>(Arrays.asList(values));
        for (String token : List.of("clusterToken", "adminToken")) {
            boolean given = false;
            for (int i = 0; i < values.length; i += 2) {
                given |= ((String) values[i]).startsWith(token + ".");
            }
            if (!given) {
                all.add(token + ".value");
                all.add("test-" + token + "-value"); // 16 characters at least, as the schema asks
            }
        }
        return all.toArray();
    }

    /**
     * Renders the chart's hooks too: a copy of the chart, made under {@code tmp}, whose {@code helm.sh/hook*}
     * annotations are renamed to {@link #RENAMED_HOOK}{@code *}, so that helm-java's template keeps the objects.
     */
    static Rendered renderHooks(Path tmp, Object... values) throws IOException {
        Path copy = tmp.resolve("chart-with-hooks-rendered");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.writeString(target, Files.readString(file).replace("\"helm.sh/hook", "\"" + RENAMED_HOOK));
                }
            }
        }
        return Rendered.parse(template(copy, withTokens(values)));
    }

    /** Renders the chart with no token values, in a child JVM whose helm reads the cluster from {@code kubeconfig}. */
    static Rendered renderAgainst(Path tmp, String kubeconfigText) throws Exception {
        Path kubeconfig = tmp.resolve("kubeconfig");
        Files.writeString(kubeconfig, kubeconfigText);
        ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TemplateInChildJvm.class.getName(), CHART.toString())
                .redirectOutput(tmp.resolve("child.out").toFile())
                .redirectError(tmp.resolve("child.err").toFile());
        child.environment().put("KUBECONFIG", kubeconfig.toString());
        int exitCode = finish(child.start(), 120);
        assertThat(exitCode).as(Files.readString(tmp.resolve("child.err"))).isZero();
        return Rendered.parse(Files.readString(tmp.resolve("child.out")));
    }

    /** The exit code of {@code process}, which gets at most {@code seconds} to end. */
    static int finish(Process process, int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("still running after " + seconds + " s: " + process.info().commandLine().orElse("?"));
        }
        return process.exitValue();
    }

    /**
     * Main of the child JVM of {@link #renderAgainst}: its environment (KUBECONFIG) is read once by helm's native
     * library when it loads, which a running JVM cannot change for itself.
     */
    public static final class TemplateInChildJvm {

        public static void main(String[] args) {
            System.out.print(template(Path.of(args[0])));
        }
    }

    static String member(int ordinal) {
        String pod = FULLNAME + "-" + ordinal;
        return pod + "=http://" + pod + "." + FULLNAME + "-headless." + NAMESPACE + ".svc.cluster.local:8080";
    }

    /** The one container of a StatefulSet's pods, or of a Pod. */
    static Map<String, Object> container(Map<String, Object> object) {
        String path = "Pod".equals(object.get("kind")) ? "spec.containers" : "spec.template.spec.containers";
        List<Map<String, Object>> containers = list(object, path);
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Map<String, Object> envVar(Map<String, Object> object, String name) {
        List<Map<String, Object>> env = list(container(object), "env");
        return env.stream().filter(e -> name.equals(e.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + env));
    }

    static String env(Map<String, Object> object, String name) {
        return (String) envVar(object, name).get("value");
    }

    static List<Object> envVars(Map<String, Object> object) {
        return HelmChart.<Map<String, Object>>list(container(object), "env").stream()
                .map(e -> e.get("name")).toList();
    }

    static String decode(Object base64) {
        return new String(Base64.getDecoder().decode((String) base64), StandardCharsets.UTF_8);
    }

    /** Every panel of a dashboard, those inside collapsed rows included. */
    static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
        List<Map<String, Object>> panels = new ArrayList<>();
        for (Map<String, Object> panel : HelmChart.<Map<String, Object>>list(dashboard, "panels")) {
            panels.add(panel);
            if (panel.get("panels") instanceof List<?> nested) {
                nested.forEach(p -> panels.add(cast(p)));
            }
        }
        return panels;
    }

    static List<Map<String, Object>> rules(Map<String, Object> prometheusRule) {
        List<Map<String, Object>> groups = list(prometheusRule, "spec.groups");
        assertThat(groups).hasSize(1);
        return list(groups.get(0), "rules");
    }

    static boolean onPath(String command) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) map;
    }

    static Map<String, Object> map(Map<String, Object> object, String path) {
        Object value = at(object, path);
        assertThat(value).as(path).isInstanceOf(Map.class);
        return cast(value);
    }

    /** The value at a dotted path; a segment in {@code ['...']} may contain dots. */
    @SuppressWarnings("unchecked")
    static Object at(Map<String, Object> object, String path) {
        Object current = object;
        for (String segment : segments(path)) {
            if (!(current instanceof Map)) {
                return null;
            }
            current = ((Map<String, Object>) current).get(segment);
        }
        return current;
    }

    static List<String> segments(String path) {
        List<String> segments = new ArrayList<>();
        int i = 0;
        while (i < path.length()) {
            if (path.startsWith("['", i)) {
                int end = path.indexOf("']", i);
                segments.add(path.substring(i + 2, end));
                i = end + 3;
            } else {
                int dot = path.indexOf('.', i);
                int end = dot < 0 ? path.length() : dot;
                segments.add(path.substring(i, end));
                i = end + 1;
            }
        }
        return segments;
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> list(Map<String, Object> object, String path) {
        Object value = at(object, path);
        assertThat(value).as(path).isInstanceOf(List.class);
        return (List<T>) value;
    }

    /** Metric names in a PromQL expression: its identifiers, less functions, keywords, labels and durations. */

    static void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The objects of one rendering. */
    record Rendered(List<Map<String, Object>> objects) {

        @SuppressWarnings("unchecked")
        static Rendered parse(String yaml) {
            List<Map<String, Object>> objects = new ArrayList<>();
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
                if (doc instanceof Map) {
                    objects.add((Map<String, Object>) doc);
                }
            }
            return new Rendered(objects);
        }

        List<Map<String, Object>> all(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind"))).collect(Collectors.toList());
        }

        Map<String, Object> one(String kind, String name) {
            Optional<Map<String, Object>> found = all(kind).stream()
                    .filter(o -> name.equals(at(o, "metadata.name"))).findFirst();
            return found.orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " among "
                    + objects.stream().map(o -> o.get("kind") + "/" + at(o, "metadata.name")).toList()));
        }
    }
}
