package io.raftex.autoconfigure.transport;

import io.raftex.autoconfigure.RaftNodeLifecycle;
import io.raftex.autoconfigure.RaftSettings;
import jakarta.servlet.http.HttpServlet;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The receiving end of the {@link HttpTransport} in a servlet web application: {@code POST /raft/rpc} (a Spring
 * MVC controller) and {@code POST /raft/stream} (an asynchronous servlet of its own, outside Spring MVC).
 */
@AutoConfiguration(after = RaftTransportAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean({HttpTransport.class, RaftNodeLifecycle.class})
public final class RaftRpcEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    RaftRpcController raftRpcController(HttpTransport transport, RaftMessageJson json, RaftNodeLifecycle lifecycle,
                                        RaftSettings settings) {
        return new RaftRpcController(transport, json, lifecycle, settings.maxBatchBytes(), settings.clusterToken(),
                settings.requireClientCertificate());
    }

    /** The peer streams' endpoint; ends every open stream when it stops (after the node). */
    @Bean
    @ConditionalOnMissingBean
    RaftStreamEndpoint raftStreamEndpoint(HttpTransport transport, RaftMessageJson json,
                                          RaftNodeLifecycle lifecycle, RaftSettings settings) {
        return new RaftStreamEndpoint(transport, json, lifecycle, settings.maxBatchBytes(), settings.clusterToken(),
                settings.requireClientCertificate());
    }

    /** Maps the stream endpoint's servlet at {@code /raft/stream}, asynchronous. */
    @Bean
    @ConditionalOnMissingBean(name = "raftStreamServletRegistration")
    ServletRegistrationBean<HttpServlet> raftStreamServletRegistration(RaftStreamEndpoint endpoint) {
        ServletRegistrationBean<HttpServlet> registration =
                new ServletRegistrationBean<>(endpoint.servlet(), HttpTransport.STREAM_PATH);
        registration.setName("raftStream");
        registration.setAsyncSupported(true);
        registration.setLoadOnStartup(1);
        return registration;
    }

    /** On Tomcat: a refused request's body is not read, its connection is closed ({@link RefusedBodySwallowLimit}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.apache.coyote.http11.AbstractHttp11Protocol",
            "org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory"})
    @Conditional(RefusedBodySwallowLimit.NotSetByTheApplication.class)
    static class TomcatRefusedBodies {

        @Bean
        @ConditionalOnMissingBean(name = "raftRefusedBodySwallowLimit")
        WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> raftRefusedBodySwallowLimit() {
            return new RefusedBodySwallowLimit();
        }
    }
}
