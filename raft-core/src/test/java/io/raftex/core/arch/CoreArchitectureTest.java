package io.raftex.core.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The layering rules of docs/architecture.md, enforced on the compiled classes of raft-core. */
class CoreArchitectureTest {

    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.raftex.core");

    @Test
    void coreDoesNotDependOnSpring() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.springframework..")
                .because("raft-core must be usable without Spring")
                .check(CORE);
    }

    @Test
    void protocolCoreIsPure() {
        noClasses().that().resideInAPackage("io.raftex.core.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("java.io..", "java.nio..", "java.net..",
                        "java.util.concurrent..", "io.raftex.core.runtime..", "io.raftex.core.transport..",
                        "org.mapdb..", "org.slf4j..")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(Thread.class, "sleep", long.class)
                .because("the protocol core has no threads, no clock and no I/O")
                .check(CORE);
    }

    @Test
    void messagesDependOnNothingButTheApiAndLogEntries() {
        noClasses().that().resideInAPackage("io.raftex.core.message..")
                .should().dependOnClassesThat().resideInAnyPackage("io.raftex.core.protocol..",
                        "io.raftex.core.runtime..", "io.raftex.core.transport..")
                .check(CORE);
    }
}
