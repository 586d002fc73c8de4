package io.raftex.core.runtime;

import io.raftex.core.GroupStoppedException;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CommandIntake}: commands submitted before the loop's task runs go as one batch; commands meeting a stopped
 * group, or a loop that takes no more tasks, fail with the stopped exception.
 */
class CommandIntakeTest {

    /** A loop whose tasks run when the test says, with the group's state set by the test. */
    private static final class FakeLoop implements CommandIntake.Loop {
        final Queue<Runnable> tasks = new ArrayDeque<>();
        final List<List<Long>> batches = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        boolean takesTasks = true;
        boolean running = true;
        boolean stopping;
        boolean stopped;

        @Override
        public boolean execute(Runnable task) {
            return takesTasks && tasks.add(task);
        }

        @Override
        public void step(Runnable task) {
            if (running) {
                task.run();
            }
        }

        @Override
        public boolean stopping() {
            return stopping;
        }

        @Override
        public boolean stopped() {
            return stopped;
        }

        @Override
        public GroupStoppedException stoppedException() {
            return new GroupStoppedException("stopped", null);
        }

        @Override
        public void submit(List<CommandTracker.Pending> batch) {
            batches.add(batch.stream().map(p -> p.deadlineMillis).toList());
        }

        @Override
        public void failed(CommandTracker.Pending command, Throwable reason) {
            failures.add(command.deadlineMillis + ": " + reason.getMessage());
        }

        void runTasks() {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }

        /** The group stops: refuses, then is stopped, and its executor takes no more tasks. */
        void stop() {
            running = false;
            stopping = true;
            stopped = true;
            takesTasks = false;
        }
    }

    private final FakeLoop loop = new FakeLoop();
    private final CommandIntake intake = new CommandIntake(loop);

    /** A command told apart by its deadline. */
    private static CommandTracker.Pending command(long id) {
        return new CommandTracker.Pending(new byte[0], new CompletableFuture<>(), 0, id);
    }

    @Test
    void commandsSubmittedBeforeTheLoopRunsGoAsOneBatchFromOneTask() {
        intake.offer(command(1));
        intake.offer(command(2));
        intake.offer(command(3));
        assertThat(loop.tasks).hasSize(1);

        loop.runTasks();

        assertThat(loop.batches).containsExactly(List.of(1L, 2L, 3L));
        assertThat(loop.failures).isEmpty();
    }

    @Test
    void aCommandAfterADrainSchedulesTheNextOne() {
        intake.offer(command(1));
        loop.runTasks();
        intake.offer(command(2));
        assertThat(loop.tasks).hasSize(1);
        loop.runTasks();
        assertThat(loop.batches).containsExactly(List.of(1L), List.of(2L));
    }

    @Test
    void aLoopThatTakesNoMoreTasksFailsTheCommand() {
        loop.takesTasks = false;
        intake.offer(command(1));
        assertThat(loop.failures).containsExactly("1: stopped");
        assertThat(loop.batches).isEmpty();
    }

    @Test
    void aCommandQueuedWhileTheGroupStopsFailsAtOnce() {
        loop.stopping = true;
        intake.offer(command(1));
        assertThat(loop.failures).containsExactly("1: stopped");

        loop.running = false;
        loop.stopped = true;
        loop.runTasks();
        assertThat(loop.failures).as("failed once").hasSize(1);
        assertThat(loop.batches).isEmpty();
    }

    @Test
    void commandsWaitingWhenTheGroupStopsFailWhenTheirTaskRuns() {
        intake.offer(command(1));
        intake.offer(command(2));
        loop.running = false;
        loop.stopped = true;

        loop.runTasks();

        assertThat(loop.batches).isEmpty();
        assertThat(loop.failures).containsExactly("1: stopped", "2: stopped");
    }

    @Test
    void failAllFailsWhatIsQueuedAndAStoppedGroupRefusesWhatComesAfter() {
        intake.offer(command(1));
        intake.failAll(new GroupStoppedException("closed", null));
        assertThat(loop.failures).containsExactly("1: closed");

        loop.runTasks();
        assertThat(loop.batches).as("the task found nothing queued").containsExactly(List.of());

        loop.stop();
        intake.offer(command(2));
        assertThat(loop.failures).containsExactly("1: closed", "2: stopped");
        assertThat(loop.tasks).isEmpty();
    }
}
