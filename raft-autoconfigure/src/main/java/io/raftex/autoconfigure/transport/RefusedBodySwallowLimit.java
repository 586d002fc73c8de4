package io.raftex.autoconfigure.transport;

import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Makes Tomcat close the connection of a request whose body the application did not read, instead of reading (by
 * default up to 2 MB of) the rest of it on a container thread: Tomcat's {@code maxSwallowSize} set to 0. The peer
 * endpoints refuse a request without the cluster token before reading its body; without this, a client that sends
 * such a body slowly would hold a thread that peer traffic needs for as long as it keeps sending.
 *
 * <p>Applied only when the application does not set {@code server.tomcat.max-swallow-size} itself, and after Boot's
 * own customizer (which applies that property's default).
 */
final class RefusedBodySwallowLimit implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>,
        Ordered {

    static final String PROPERTY = "server.tomcat.max-swallow-size";

    @Override
    public void customize(ConfigurableTomcatWebServerFactory factory) {
        factory.addConnectorCustomizers(connector -> {
            if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                http.setMaxSwallowSize(0);
            }
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    /** True while {@value #PROPERTY} is not set. */
    static final class NotSetByTheApplication implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !context.getEnvironment().containsProperty(PROPERTY);
        }
    }
}
