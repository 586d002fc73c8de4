package io.raftex.autoconfigure.admin;

import io.raftex.autoconfigure.RaftAutoConfiguration;
import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.RaftSettings;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.DispatcherServlet;

import java.util.Optional;

/**
 * The admin REST API ({@code /raft/admin/groups...}) in a servlet web application, guarded by
 * {@code raft.security.admin-token} or, with Spring Security, the application's admin role ({@link AdminAccess}).
 */
@AutoConfiguration(after = RaftAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean({RaftNodeLifecycle.class, RaftSettings.class})
public final class RaftAdminAutoConfiguration {

    /** Who may read and write through the admin API: the admin token, or the application's role check if any. */
    @Bean
    @ConditionalOnMissingBean
    AdminAccess raftAdminAccess(RaftSettings settings, ObjectProvider<AdminRoleCheck> roleCheck) {
        return new AdminAccess(settings.adminToken(), settings.adminReadsRequireToken(),
                Optional.ofNullable(roleCheck.getIfUnique()));
    }

    @Bean
    @ConditionalOnMissingBean
    RaftAdminController raftAdminController(RaftNodeLifecycle lifecycle, AdminAccess access, RaftSettings settings) {
        return new RaftAdminController(lifecycle, access, settings.commandTimeout());
    }
}
