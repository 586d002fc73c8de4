package io.raftex.autoconfigure.testapp;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A servlet filter (add it with {@link TestNode#withSources}) that counts the HTTP requests by path. */
public class RequestCounter implements Filter {

    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest http) {
            counts.computeIfAbsent(http.getRequestURI(), p -> new AtomicLong()).incrementAndGet();
        }
        chain.doFilter(request, response);
    }

    /** Requests to {@code path} so far. */
    public long count(String path) {
        AtomicLong n = counts.get(path);
        return n == null ? 0 : n.get();
    }
}
