package io.raftex.core.log;

/** The storage contract against the protocol engineers' in-memory log. */
class InMemoryGroupLogContractTest extends GroupLogContractTest {

    @Override
    protected GroupLog open(PersistentState initial) {
        return new InMemoryGroupLog(initial);
    }

    @Override
    protected void awaitDurable(GroupLog log) {
        ((InMemoryGroupLog) log).flush();
    }

    @Override
    protected GroupLog reopen(GroupLog log, PersistentState initial) {
        return ((InMemoryGroupLog) log).crash();
    }
}
