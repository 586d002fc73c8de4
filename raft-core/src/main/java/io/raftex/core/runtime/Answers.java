package io.raftex.core.runtime;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Completes client futures on the callback executor, so that their callbacks cannot stall the group thread; on the
 * calling thread if that executor refuses.
 */
final class Answers {

    private final Executor callbacks;

    Answers(Executor callbacks) {
        this.callbacks = callbacks;
    }

    <T> void complete(CompletableFuture<T> future, T value) {
        try {
            callbacks.execute(() -> future.complete(value));
        } catch (RejectedExecutionException e) {
            future.complete(value);
        }
    }

    void fail(CompletableFuture<?> future, Throwable reason) {
        try {
            callbacks.execute(() -> future.completeExceptionally(reason));
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(reason);
        }
    }
}
