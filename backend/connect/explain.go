package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Explain turns a connection failure into one line an operator can act on:
// which broker, what went wrong, what to change. It returns nil when err is
// not a connection problem it recognises (the caller keeps its own message).
// brokers is the seed list, timeout the --timeout in force; d may be nil.
func (b *Built) Explain(err error, d *Diag, brokers []string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	sec := Security{}
	if b != nil {
		sec = b.Security
	}
	broker := strings.Join(brokers, ",")
	if a, derr := d.lastFailed(); a != "" {
		broker = a
		// A request that ran out of time hides the dial failure behind
		// it: explain the dial instead.
		var pe *PhaseError
		if derr != nil && !errors.As(err, &pe) && (errors.Is(err, context.DeadlineExceeded) || closedConn(err)) && errors.As(derr, &pe) {
			err = derr
		}
	}

	var pe *PhaseError
	if errors.As(err, &pe) {
		broker = pe.Addr
		if pe.Phase == PhaseTCP && isTimeout(pe.Err) {
			// A dial cut short by the request's deadline, while an
			// earlier TLS handshake with that broker still waits.
			if a, ok := d.handshakePending(); ok && a == pe.Addr {
				return noTLSAnswer(a, timeout)
			}
			if a, derr := d.lastFailed(); a == pe.Addr {
				var prev *PhaseError
				if errors.As(derr, &prev) && prev.Phase == PhaseTLS {
					pe = prev
				}
			}
		}
		if pe.Phase == PhaseTCP {
			if isTimeout(pe.Err) && d.reached(pe.Addr) {
				return silent(pe.Addr, timeout)
			}
			return explainTCP(pe, timeout)
		}
		if e := explainTLS(pe.Err, broker, sec); e != nil {
			return e
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "appear to be a tls alert record"):
		return fmt.Errorf("%s speaks TLS and rewind connected in plaintext: set security.protocol=SSL (or SASL_SSL) and ssl.ca.location", broker)
	case strings.Contains(msg, "remote error: tls:"):
		if e := explainTLS(err, broker, sec); e != nil {
			return e
		}
	}
	if errors.Is(err, kerr.SaslAuthenticationFailed) {
		return authFailed(broker, sec, "")
	}
	if errors.Is(err, kerr.UnsupportedSaslMechanism) {
		return fmt.Errorf("%s does not support SASL mechanism %s: set sasl.mechanism to one the cluster enables", broker, sec.SASL.Mechanism)
	}
	if errors.Is(err, kerr.IllegalSaslState) {
		return fmt.Errorf("%s rejected the SASL exchange (%s): check security.protocol and sasl.mechanism", broker, sec.SASL.Mechanism)
	}
	if a, ok := d.saslFailedAt(); ok && sec.UsesSASL() && closedConn(err) {
		// The broker dropped the connection in answer to our credentials.
		return authFailed(a, sec, " (the broker closed the connection)")
	}
	if closedConn(err) {
		switch {
		case !sec.UsesTLS() && speaksTLS(broker, timeout):
			return fmt.Errorf("%s speaks TLS and rewind connected in plaintext: set security.protocol=SSL (or SASL_SSL) and ssl.ca.location", broker)
		case !sec.UsesSASL() && !sec.UsesTLS():
			return fmt.Errorf("%s closed the connection: if it requires SASL set security.protocol=SASL_PLAINTEXT (or SASL_SSL), sasl.mechanism, sasl.username and sasl.password", broker)
		case !sec.UsesSASL():
			return fmt.Errorf("%s closed the connection: if it requires SASL set security.protocol=SASL_SSL, sasl.mechanism, sasl.username and sasl.password", broker)
		}
		return fmt.Errorf("%s closed the connection during the %s exchange: check sasl.mechanism and the credentials", broker, sec.SASL.Mechanism)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		if a, ok := d.handshakePending(); ok {
			return noTLSAnswer(a, timeout)
		}
		return silent(broker, timeout)
	}
	return nil
}

func silent(addr string, timeout time.Duration) error {
	return fmt.Errorf("%s accepted the connection but did not answer within --timeout %s: is it a Kafka port, and is the broker overloaded?", addr, timeout)
}

func noTLSAnswer(addr string, timeout time.Duration) error {
	return fmt.Errorf("TLS handshake with %s got no answer within --timeout %s: it is probably a plaintext port; use security.protocol=PLAINTEXT (or SASL_PLAINTEXT) or the broker's TLS port", addr, timeout)
}

func authFailed(broker string, sec Security, why string) error {
	who := ""
	switch sec.SASL.Mechanism {
	case MechPlain, MechScram256, MechScram512:
		who = fmt.Sprintf(" for user %q", sec.SASL.Username)
	case MechOAuthBearer:
		who = fmt.Sprintf(" for OAuth client %q", sec.SASL.OAuth.ClientID)
	}
	hint := "check sasl.username and sasl.password"
	switch sec.SASL.Mechanism {
	case MechOAuthBearer:
		hint = "check the token's scope and the cluster's OAuth settings (sasl.oauthbearer.*)"
	case MechAWSMSKIAM:
		hint = "check the AWS credentials and the IAM policy (kafka-cluster:Connect)"
	}
	return fmt.Errorf("authentication failed%s with %s at %s%s: %s", who, sec.SASL.Mechanism, broker, why, hint)
}

func explainTCP(pe *PhaseError, timeout time.Duration) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(pe.Err, &dnsErr):
		return fmt.Errorf("cannot resolve %q (broker %s): check bootstrap.servers", dnsErr.Name, pe.Addr)
	case errors.Is(pe.Err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s refused the connection: nothing listens there; check the host and port in bootstrap.servers", pe.Addr)
	case errors.Is(pe.Err, context.DeadlineExceeded) || errors.Is(pe.Err, os.ErrDeadlineExceeded) || isTimeout(pe.Err):
		return fmt.Errorf("cannot reach %s: no answer within --timeout %s (host down, firewall, or wrong address?)", pe.Addr, timeout)
	case errors.Is(pe.Err, syscall.EHOSTUNREACH) || errors.Is(pe.Err, syscall.ENETUNREACH):
		return fmt.Errorf("cannot reach %s: no route to host; check the address and the network", pe.Addr)
	}
	return fmt.Errorf("cannot connect to %s: %v", pe.Addr, unwrapOp(pe.Err))
}

func explainTLS(err error, broker string, sec Security) error {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var ve *tls.CertificateVerificationError
	var cert *x509.Certificate
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		cert = ve.UnverifiedCertificates[0]
	}
	switch {
	case errors.As(err, &ua):
		c := ua.Cert
		if c == nil {
			c = cert
		}
		subj, iss := "", ""
		if c != nil {
			subj, iss = c.Subject.String(), c.Issuer.String()
		}
		where := "set ssl.ca.location to the CA that issued it"
		if sec.TLS.CAFile != "" {
			where = fmt.Sprintf("ssl.ca.location %s is not that CA", sec.TLS.CAFile)
		}
		return fmt.Errorf("TLS: the certificate of %s (subject %q, issuer %q) is not signed by a trusted CA: %s", broker, subj, iss, where)
	case errors.As(err, &he):
		names := strings.Join(he.Certificate.DNSNames, ",")
		for _, ip := range he.Certificate.IPAddresses {
			names += "," + ip.String()
		}
		return fmt.Errorf("TLS: the certificate of %s is for %q, not %q: connect with one of those names or set ssl.endpoint.identification.algorithm= (empty)", broker, strings.Trim(names, ","), he.Host)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return fmt.Errorf("TLS: the certificate of %s (subject %q) expired on %s: the broker must renew it", broker, ci.Cert.Subject.String(), ci.Cert.NotAfter.UTC().Format(time.DateOnly))
	case errors.As(err, &ci):
		return fmt.Errorf("TLS: the certificate of %s is not valid: %v", broker, ci)
	case errors.As(err, &rh):
		return fmt.Errorf("TLS handshake with %s got a non-TLS answer: it is a plaintext port; use security.protocol=PLAINTEXT (or SASL_PLAINTEXT) or the broker's TLS port", broker)
	}
	msg := err.Error()
	hasCert := sec.TLS.CertFile != "" || sec.TLS.CertPEM != "" || sec.TLS.Keystore != ""
	switch {
	case hasCert && strings.Contains(msg, "certificate required"):
		// Go sends a certificate only when its issuer is one the broker
		// lists as acceptable.
		return fmt.Errorf("TLS: %s rejected the client certificate %s: it must be signed by a CA the broker trusts", broker, sec.TLS.certName())
	case strings.Contains(msg, "certificate required") || (!hasCert && strings.Contains(msg, "bad certificate")):
		return fmt.Errorf("TLS: %s requires a client certificate: set ssl.certificate.location and ssl.key.location", broker)
	case strings.Contains(msg, "expired certificate"):
		return fmt.Errorf("TLS: %s rejected the client certificate %s as expired: renew it", broker, sec.TLS.certName())
	case strings.Contains(msg, "bad certificate") || strings.Contains(msg, "unknown certificate authority") || strings.Contains(msg, "unknown certificate"):
		return fmt.Errorf("TLS: %s rejected the client certificate %s: it must be signed by a CA the broker trusts", broker, sec.TLS.certName())
	case errors.Is(err, io.EOF) || isTimeout(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("TLS handshake with %s got no answer: it is probably a plaintext port; use security.protocol=PLAINTEXT (or SASL_PLAINTEXT) or the broker's TLS port", broker)
	}
	return nil
}

// speaksTLS probes whether addr completes a TLS handshake (certificates
// unchecked: this only tells the operator which protocol the port speaks).
// It runs only after a plaintext connection was closed by the broker.
func speaksTLS(addr string, timeout time.Duration) bool {
	if strings.Contains(addr, ",") {
		return false
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(min(timeout, 3*time.Second)))
	//nolint:gosec // a probe of the protocol; nothing is sent over it.
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	return tc.Handshake() == nil
}

// closedConn reports whether the peer closed or reset the connection.
func closedConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || strings.Contains(err.Error(), "use of closed network connection")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
