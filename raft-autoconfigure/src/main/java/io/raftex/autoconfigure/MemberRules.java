package io.raftex.autoconfigure;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a member id and a member URL may be, wherever they come from ({@code raft.node-id}, {@code raft.members}, the
 * admin API, the transport); see docs/operations.md (security).
 *
 * <ul>
 *   <li>An id is 1 to 64 ASCII letters, digits, '.', '-' or '_', and neither {@code .} nor {@code ..}: it is a path
 *       segment of the admin API ({@code DELETE .../members/{id}}), a file name part and a log field, so it needs no
 *       escaping anywhere.</li>
 *   <li>A URL is absolute, {@code http} or {@code https}, with a host, a port (if given) from 1 to 65535, no user
 *       information (credentials) and no query or fragment; it may have a path (a context path). It is kept without
 *       a trailing slash.</li>
 * </ul>
 */
public final class MemberRules {

    /** A valid member id. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    /** What {@link #ID} accepts, in words. */
    public static final String ID_RULE = "a member id is 1 to 64 letters, digits, '.', '-' or '_', and not '.' or '..'";

    /** What {@link #baseUrl} accepts, in words. */
    public static final String URL_RULE = "a member url is an absolute http or https URL with a host, a port from 1"
            + " to 65535 if any, no user information and no query or fragment, such as http://10.0.0.4:8080";

    private MemberRules() {
    }

    /** Why {@code id} is not a valid member id, or empty if it is one. */
    public static Optional<String> idProblem(String id) {
        if (id == null) {
            return Optional.of("it is missing; " + ID_RULE);
        }
        if (!ID.matcher(id).matches() || id.equals(".") || id.equals("..")) {
            return Optional.of("'" + printable(id) + "' is invalid: " + ID_RULE);
        }
        return Optional.empty();
    }

    /**
     * {@code url} in the form members are kept in (no trailing slash).
     *
     * @throws IllegalArgumentException saying why it is not a valid member URL (with any credentials in it redacted)
     */
    public static String baseUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the url is missing; " + URL_RULE);
        }
        String problem;
        try {
            URI uri = new URI(url.strip());
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                problem = "the scheme must be http or https";
            } else if (uri.getRawUserInfo() != null || uri.getRawAuthority() != null
                    && uri.getRawAuthority().contains("@")) {
                problem = "it must not carry user information (credentials)";
            } else if (uri.getHost() == null) {
                problem = "it has no host (or a malformed authority)";
            } else if (uri.getPort() == 0 || uri.getPort() > 65535 || uri.getPort() < -1) {
                problem = "its port " + uri.getPort() + " is not from 1 to 65535";
            } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                problem = "it must not have a query or fragment";
            } else {
                String s = uri.toString();
                return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
            }
        } catch (URISyntaxException e) {
            problem = "it is not a URL";
        }
        throw new IllegalArgumentException("'" + printable(redact(url)) + "' is not a valid member url (" + problem
                + "); " + URL_RULE);
    }

    /** Whether {@code url} is a valid member URL. */
    public static boolean isValidUrl(String url) {
        try {
            baseUrl(url);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * {@code url} with any user information replaced by {@code ***}, for status answers and logs: a URL kept from
     * before these rules, or one being refused, may still carry credentials.
     */
    public static String redact(String url) {
        if (url == null) {
            return null;
        }
        int scheme = url.indexOf("://");
        int from = scheme < 0 ? 0 : scheme + 3;
        int end = url.length();
        for (int i = from; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        int at = url.lastIndexOf('@', end - 1);
        if (at < from) {
            return url;
        }
        return url.substring(0, from) + "***" + url.substring(at);
    }

    /** A string cut to 80 characters, with control characters and unpaired surrogates shown as '?'. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        return s.length() > 80 ? b + "... (" + s.length() + " characters)" : b.toString();
    }
}
