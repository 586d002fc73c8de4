package io.raftex.autoconfigure.transport;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.util.Objects;

/**
 * The TLS material of this node's outgoing peer connections ({@code raft.rpc.ssl.bundle}): the key it presents to
 * peers that ask for a client certificate, the certificates it trusts in peers' server certificates, and the
 * protocols and cipher suites it may use. Peers' host names are verified against their certificates.
 *
 * @param context   the SSL context made from the bundle's key and trust material
 * @param protocols the enabled protocols, or null for the context's defaults
 * @param ciphers   the enabled cipher suites, or null for the context's defaults
 */
public record PeerTls(SSLContext context, String[] protocols, String[] ciphers) {

    public PeerTls {
        Objects.requireNonNull(context, "context");
    }

    /** The material of a Spring Boot SSL bundle (a new SSL context from its key and trust managers). */
    public static PeerTls of(SslBundle bundle) {
        SslOptions options = bundle.getOptions();
        return new PeerTls(bundle.createSslContext(), options.getEnabledProtocols(), options.getCiphers());
    }

    /** Sets host name verification and the enabled protocols and cipher suites on a client socket. */
    void configure(SSLSocket socket) {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (protocols != null) {
            parameters.setProtocols(protocols);
        }
        if (ciphers != null) {
            parameters.setCipherSuites(ciphers);
        }
        socket.setSSLParameters(parameters);
    }
}
