package backend

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/internal/testcerts"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// secureCluster starts kfake with the given options and returns its address.
func secureCluster(t *testing.T, opts ...kfake.Opt) string {
	t.Helper()
	kc, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	return kc.ListenAddrs()[0]
}

func securityOf(t *testing.T, props ...string) connect.Security {
	t.Helper()
	p := &connect.Profile{}
	for _, kv := range props {
		pr, err := connect.ParseOverride(kv)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Apply([]connect.Property{pr}); err != nil {
			t.Fatal(err)
		}
	}
	return p.Security
}

func connectWith(t *testing.T, addr string, timeout time.Duration, props ...string) error {
	t.Helper()
	c, err := Connect(context.Background(), Options{Brokers: []string{addr}, Security: securityOf(t, props...), Timeout: timeout})
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

// tlsWorld is a CA, a broker certificate for 127.0.0.1, a client
// certificate, and the same from an unrelated CA, all written to files.
type tlsWorld struct {
	ca                   *testcerts.CA
	caPath, otherCAPath  string
	certPath, keyPath    string
	expCertPath, expKey  string
	strangerCert, strKey string
	server               *testcerts.Leaf
}

func newTLSWorld(t *testing.T) *tlsWorld {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "rewind test CA")
	other := testcerts.NewCA(t, "some other CA")
	w := &tlsWorld{ca: ca, server: ca.Issue(t, "broker-1", true, time.Time{})}
	w.caPath = testcerts.Write(t, dir, "ca.pem", ca.PEM)
	w.otherCAPath = testcerts.Write(t, dir, "other-ca.pem", other.PEM)
	cl := ca.Issue(t, "rewind-client", false, time.Time{})
	w.certPath = testcerts.Write(t, dir, "client.pem", cl.CertPEM)
	w.keyPath = testcerts.Write(t, dir, "client.key", cl.KeyPEM)
	exp := ca.Issue(t, "old-client", false, time.Now().Add(-time.Hour))
	w.expCertPath = testcerts.Write(t, dir, "expired.pem", exp.CertPEM)
	w.expKey = testcerts.Write(t, dir, "expired.key", exp.KeyPEM)
	str := other.Issue(t, "stranger", false, time.Time{})
	w.strangerCert = testcerts.Write(t, dir, "stranger.pem", str.CertPEM)
	w.strKey = testcerts.Write(t, dir, "stranger.key", str.KeyPEM)
	return w
}

func oneLineErr(t *testing.T, name string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: connected, want an error", name)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Fatalf("%s: error is not one line: %q", name, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("%s: error %q does not say %q", name, msg, w)
		}
	}
}

// Every SASL mechanism kfake supports, right and wrong credentials.
func TestSASLMechanisms(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			addr := secureCluster(t, kfake.EnableSASL(), kfake.Superuser(mech, "alice", "right-pw-1"))
			base := []string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=" + mech, "sasl.username=alice"}
			if err := connectWith(t, addr, 5*time.Second, append(base, "sasl.password=right-pw-1")...); err != nil {
				t.Fatalf("right password: %v", err)
			}
			err := connectWith(t, addr, 5*time.Second, append(base, "sasl.password=wrong-pw-2")...)
			oneLineErr(t, "wrong password", err, `authentication failed for user "alice" with `+mech, addr, "sasl.password")
			if strings.Contains(err.Error(), "wrong-pw-2") || strings.Contains(err.Error(), "right-pw-1") {
				t.Fatalf("password in the error: %v", err)
			}
			oneLineErr(t, "no SASL", connectWith(t, addr, 5*time.Second), addr, "requires SASL", "security.protocol")
			oneLineErr(t, "OAUTHBEARER offered", connectWith(t, addr, 5*time.Second, "security.protocol=SASL_PLAINTEXT",
				"sasl.mechanism=OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url=http://127.0.0.1:1/token",
				"sasl.oauthbearer.client.id=c", "sasl.oauthbearer.client.secret=s"), "OAUTHBEARER")
		})
	}
}

func TestSASLUnsupportedMechanism(t *testing.T) {
	addr := secureCluster(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", "alice", "pw"))
	// kfake offers PLAIN and SCRAM only: a SCRAM user that does not exist
	// is refused as authentication, a mechanism it lacks as unsupported.
	tok := tokenServer(t, "cid", "csecret", "")
	err := connectWith(t, addr, 5*time.Second, "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=OAUTHBEARER",
		"sasl.oauthbearer.token.endpoint.url="+tok.URL, "sasl.oauthbearer.client.id=cid", "sasl.oauthbearer.client.secret=csecret")
	oneLineErr(t, "unsupported", err, addr, "does not support SASL mechanism OAUTHBEARER", "sasl.mechanism")
}

func TestTLSConnections(t *testing.T) {
	w := newTLSWorld(t)
	addr := secureCluster(t, kfake.TLS(testcerts.ServerTLS(w.server, w.ca)))
	ssl := []string{"security.protocol=SSL", "ssl.ca.location=" + w.caPath}
	withCert := append(append([]string{}, ssl...), "ssl.certificate.location="+w.certPath, "ssl.key.location="+w.keyPath)

	if err := connectWith(t, addr, 5*time.Second, withCert...); err != nil {
		t.Fatalf("mTLS: %v", err)
	}
	oneLineErr(t, "wrong CA", connectWith(t, addr, 5*time.Second, "security.protocol=SSL", "ssl.ca.location="+w.otherCAPath,
		"ssl.certificate.location="+w.certPath, "ssl.key.location="+w.keyPath),
		"TLS: the certificate of "+addr, `subject "CN=broker-1"`, `issuer "CN=rewind test CA`, "not signed by a trusted CA", w.otherCAPath)
	oneLineErr(t, "system roots", connectWith(t, addr, 5*time.Second, "security.protocol=SSL"),
		"not signed by a trusted CA", "set ssl.ca.location")
	oneLineErr(t, "no client cert", connectWith(t, addr, 5*time.Second, ssl...),
		addr, "requires a client certificate", "ssl.certificate.location")
	oneLineErr(t, "stranger cert", connectWith(t, addr, 5*time.Second, append(append([]string{}, ssl...),
		"ssl.certificate.location="+w.strangerCert, "ssl.key.location="+w.strKey)...),
		addr, "rejected the client certificate", w.strangerCert)
	_, err := Dial(Options{Brokers: []string{addr}, Security: securityOf(t, append(append([]string{}, ssl...),
		"ssl.certificate.location="+w.expCertPath, "ssl.key.location="+w.expKey)...)})
	oneLineErr(t, "expired client cert", err, "client certificate "+w.expCertPath, `"CN=old-client"`, "expired on")
	oneLineErr(t, "plaintext to TLS port", connectWith(t, addr, 5*time.Second),
		addr, "speaks TLS", "security.protocol=SSL")

	// Skip-verify and hostname-only skip.
	if err := connectWith(t, addr, 5*time.Second, "security.protocol=SSL", "enable.ssl.certificate.verification=false",
		"ssl.certificate.location="+w.certPath, "ssl.key.location="+w.keyPath); err != nil {
		t.Fatalf("skip verify: %v", err)
	}
	local := strings.Replace(addr, "127.0.0.1", "localhost", 1)
	if err := connectWith(t, local, 5*time.Second, withCert...); err != nil {
		t.Fatalf("localhost is in the certificate: %v", err)
	}
}

func TestTLSAgainstPlaintextAndUnreachable(t *testing.T) {
	w := newTLSWorld(t)
	plain := secureCluster(t)
	oneLineErr(t, "TLS to plaintext port", connectWith(t, plain, 2*time.Second, "security.protocol=SSL", "ssl.ca.location="+w.caPath),
		"TLS handshake with "+plain, "plaintext port", "security.protocol=PLAINTEXT")
	port := closedPort(t)
	oneLineErr(t, "refused", connectWith(t, "127.0.0.1:"+port, 2*time.Second), "127.0.0.1:"+port, "refused the connection")
	oneLineErr(t, "unresolvable", connectWith(t, "no-such-host.invalid:9092", 2*time.Second), "cannot resolve", "no-such-host.invalid")
}

// closedPort returns a port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// The one factory: every client of every path authenticates. On a
// SASL-only broker a client built without SASL is disconnected, so each
// check below (real data back) fails if its client skipped the factory.
func TestEveryClientAuthenticates(t *testing.T) {
	w := newTLSWorld(t)
	addr := secureCluster(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "svc", "pw-every-client"),
		kfake.TLS(testcerts.ServerTLS(w.server, w.ca)))
	sec := securityOf(t, "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=svc",
		"sasl.password=pw-every-client", "ssl.ca.location="+w.caPath, "ssl.certificate.location="+w.certPath, "ssl.key.location="+w.keyPath)
	ctx := context.Background()
	c, err := Connect(ctx, Options{Brokers: []string{addr}, Security: sec, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "orders", 2, nil); err != nil {
		t.Fatal(err)
	}
	prod, err := c.NewClient("test-producer", kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i := 0; i < 10; i++ {
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 2), Value: []byte("v")})
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	prod.Close()

	parts, err := c.Partitions(ctx, "orders")
	if err != nil || len(parts) != 2 || parts[0].NewestTime.IsZero() {
		t.Fatalf("partitions (raw fetch of the newest record): %+v %v", parts, err)
	}
	n := 0
	if err := c.Consume(ctx, ConsumeOptions{Topic: "orders", From: Start{Kind: StartEarliest}, UntilEnd: true}, func(*kgo.Record, TxnState) error { n++; return nil }); err != nil || n != 10 {
		t.Fatalf("consume: %d records, %v", n, err)
	}
	st, err := c.Stream("orders", map[int32]int64{0: 0, 1: 0})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	got, err := st.Poll(sctx, 100)
	cancel()
	st.Close()
	if err != nil || len(got) == 0 {
		t.Fatalf("tail: %d records, %v", len(got), err)
	}
	if _, err := c.Groups(ctx); err != nil {
		t.Fatalf("groups: %v", err)
	}
}
