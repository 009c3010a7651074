package cli

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/internal/testcerts"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const securePW = "pw-Zq8x-unique-7731"

// secureWorld is a kfake broker that accepts only SASL_SSL (SCRAM-SHA-512,
// client certificates required), seeded through the client factory with
// "orders" (2 x 20 records) and a stopped group "billing" at 10/10.
type secureWorld struct {
	addr, dir, props string
	certs            map[string]string
}

func newSecureWorld(t *testing.T) *secureWorld {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "secure world CA")
	srv := ca.Issue(t, "broker", true, time.Time{})
	cl := ca.Issue(t, "app", false, time.Time{})
	w := &secureWorld{dir: dir, certs: map[string]string{
		"ca":   testcerts.Write(t, dir, "ca.pem", ca.PEM),
		"cert": testcerts.Write(t, dir, "client.pem", cl.CertPEM),
		"key":  testcerts.Write(t, dir, "client.key", cl.KeyPEM),
	}}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "svc-rewind", securePW), kfake.TLS(testcerts.ServerTLS(srv, ca)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	w.addr = kc.ListenAddrs()[0]
	// The Java client.properties an application would have.
	w.props = testcerts.Write(t, dir, "client.properties", []byte(strings.Join([]string{
		"# copied from the billing service",
		"bootstrap.servers=" + w.addr,
		"security.protocol=SASL_SSL",
		"sasl.mechanism=SCRAM-SHA-512",
		`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="svc-rewind" password="` + securePW + `";`,
		"ssl.ca.location=" + w.certs["ca"],
		"ssl.certificate.location=" + w.certs["cert"],
		"ssl.key.location=" + w.certs["key"],
		"acks=all", "key.serializer=org.apache.kafka.common.serialization.StringSerializer", "",
	}, "\n")))

	props, err := connect.ReadPropertiesFile(w.props)
	if err != nil {
		t.Fatal(err)
	}
	p := &connect.Profile{}
	if err := p.Apply(props); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := backend.Connect(ctx, backend.Options{Brokers: p.Brokers, Security: p.Security, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "orders", 2, nil); err != nil {
		t.Fatal(err)
	}
	pc, err := c.NewClient("test-seed", kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var recs []*kgo.Record
	for i := 0; i < 40; i++ {
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 2), Key: []byte{'k', byte('a' + i%5)}, Value: []byte(`{"n":1}`),
			Timestamp: time.Now().Add(-time.Hour)})
	}
	if err := pc.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offs := kadm.Offsets{}
	offs.AddOffset("orders", 0, 10, -1)
	offs.AddOffset("orders", 1, 10, -1)
	if err := kadm.NewClient(pc).CommitAllOffsets(ctx, "billing", offs); err != nil {
		t.Fatal(err)
	}
	return w
}

// Every command connects through -F to a broker that accepts nothing but
// SASL_SSL with a client certificate, and the password appears in nothing
// rewind prints or writes.
func TestCLISecureClusterEveryCommand(t *testing.T) {
	w := newSecureWorld(t)
	data := filepath.Join(w.dir, "data")
	spec := testcerts.Write(t, w.dir, "count.yaml", []byte("name: per_key\ntopic: orders\naggregate: count\n"))
	var printed strings.Builder
	run := func(wantCode int, wantOut string, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(append([]string{"-F", w.props, "--data-dir", data}, args...)...)
		printed.WriteString(out + errs)
		if code != wantCode || !strings.Contains(out+errs, wantOut) {
			t.Fatalf("%v: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", args, code, wantCode, out, errs, wantOut)
		}
		return out
	}
	run(0, `"name":"orders"`, "topics", "-o", "json")
	if out := run(0, `"topic":"orders"`, "consume", "orders", "--until", "end", "-o", "json"); strings.Count(out, "\n") != 40 {
		t.Fatalf("consume: %d lines", strings.Count(out, "\n"))
	}
	run(0, `"group":"billing"`, "groups", "-o", "json")
	run(0, `"total_lag":20`, "lag", "billing", "-o", "json")
	run(0, "Reset plan for group billing", "reset", "billing", "--topic", "orders", "--to-earliest", "--execute", "--sink-idempotent", "yes")
	run(0, `"total_lag":40`, "lag", "billing", "-o", "json")
	run(0, "replay", "replay", "start", "billing", "--topic", "orders", "--to-earliest", "--name", "r1")
	run(0, "rows", "project", "run", spec, "--name", "p1", "--until", "end")
	run(0, "wrote 5 upserts", "project", "publish", "p1", "--topic", "per-key", "--yes")
	if out := run(0, `"topic":"per-key"`, "consume", "per-key", "--until", "end", "-o", "json"); strings.Count(out, "\n") != 5 {
		t.Fatalf("published topic: %d lines", strings.Count(out, "\n"))
	}
	run(0, "sasl.password", "context", "show")

	// Read-only (flag) is refused in the backend on this cluster too.
	run(1, "read-only", "--read-only", "reset", "billing", "--topic", "orders", "--to-latest", "--execute", "--sink-idempotent", "yes")

	// The wrong password: one line naming the user and mechanism.
	code, out, errs := runCLI("-F", w.props, "-X", "sasl.password=not-the-pw-42", "--data-dir", data, "topics")
	printed.WriteString(out + errs)
	if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 ||
		!strings.Contains(errs, `authentication failed for user "svc-rewind" with SCRAM-SHA-512 at `+w.addr) {
		t.Fatalf("wrong password: %d %q", code, errs)
	}
	if strings.Contains(errs, "not-the-pw-42") {
		t.Fatalf("the wrong password is printed: %q", errs)
	}

	if strings.Contains(printed.String(), securePW) {
		t.Fatalf("the password was printed:\n%s", printed.String())
	}
	// Nothing written in the data dir (audit trail, replay and projection
	// state, lag history) holds it.
	files := 0
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), securePW) {
			t.Errorf("the password is in %s", path)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("data dir: %d files, %v", files, err)
	}
	if b, _ := os.ReadFile(filepath.Join(data, "audit.jsonl")); !strings.Contains(string(b), "billing") {
		t.Fatalf("no audit entry for the reset: %q", b)
	}
}

// A context file with secrets from ${ENV} and password_command; a
// read-only context refuses writes like --read-only; `context` commands.
func TestCLIContexts(t *testing.T) {
	w := newSecureWorld(t)
	t.Setenv("SECURE_WORLD_PW", securePW)
	cfg := testcerts.Write(t, w.dir, "config.yaml", []byte(`current-context: secure
contexts:
  - name: secure
    brokers: [`+w.addr+`]
    properties:
      security.protocol: SASL_SSL
      sasl.mechanism: SCRAM-SHA-512
      sasl.username: svc-rewind
      sasl.password: ${SECURE_WORLD_PW}
      ssl.ca.location: `+w.certs["ca"]+`
      ssl.certificate.location: `+w.certs["cert"]+`
      ssl.key.location: `+w.certs["key"]+`
    schema_registry:
      url: https://sr.example:8081
      username: sr
      password: ${SECURE_WORLD_PW}
  - name: secure-prod
    brokers: [`+w.addr+`]
    properties_file: client.properties
    password_command: printf '%s\n' "$SECURE_WORLD_PW"
    read_only: true
    label: PRODUCTION
`))
	data := filepath.Join(w.dir, "data")
	var printed strings.Builder
	run := func(wantCode int, want string, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(append([]string{"--config", cfg, "--data-dir", data}, args...)...)
		printed.WriteString(out + errs)
		if code != wantCode || !strings.Contains(out+errs, want) {
			t.Fatalf("%v: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", args, code, wantCode, out, errs, want)
		}
		return out
	}
	out := run(0, "secure-prod", "context", "list")
	if !strings.Contains(out, "*        secure ") || !strings.Contains(out, "SASL_SSL/SCRAM-SHA-512") || !strings.Contains(out, "read-only") {
		t.Fatalf("list:\n%s", out)
	}
	out = run(0, "sasl.password", "context", "show", "secure")
	if !strings.Contains(out, "**** (from env SECURE_WORLD_PW)") || !strings.Contains(out, "schema_registry.url") {
		t.Fatalf("show:\n%s", out)
	}
	run(0, "(from password_command)", "context", "show", "secure-prod")
	run(0, `"name":"orders"`, "topics", "-o", "json") // current-context
	run(0, `"name":"orders"`, "--context", "secure-prod", "topics", "-o", "json")
	run(1, `refused: context "secure-prod" is read-only (read_only: true in `+cfg+")", "--context", "secure-prod", "reset", "billing", "--topic", "orders", "--to-earliest", "--execute", "--sink-idempotent", "yes")
	run(0, "current-context is now secure-prod", "context", "use", "secure-prod")
	run(1, `context "secure-prod" is read-only`, "reset", "billing", "--topic", "orders", "--to-earliest", "--execute", "--sink-idempotent", "yes")
	run(1, `context "secure-prod" is read-only`, "topic", "create", "new-topic")
	run(1, `no context "nope"`, "--context", "nope", "topics")
	if b, err := os.ReadFile(cfg); err != nil || strings.Contains(string(b), securePW) {
		t.Fatalf("config rewritten with the secret: %v", err)
	}
	if strings.Contains(printed.String(), securePW) {
		t.Fatalf("the password was printed:\n%s", printed.String())
	}
	// A config readable by others: one warning line on stderr.
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI("--config", cfg, "context", "list")
	if code != 0 || !strings.Contains(errs, "readable by other users") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("warning: %d %q", code, errs)
	}
}

func TestCLIConnectionErrorsOneLine(t *testing.T) {
	w := newSecureWorld(t)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"wrong CA": {[]string{"-X", "ssl.ca.location=" + testcerts.Write(t, t.TempDir(), "o.pem", testcerts.NewCA(t, "other").PEM)},
			"not signed by a trusted CA"},
		"missing client cert": {[]string{"-X", "ssl.certificate.location=", "-X", "ssl.key.location="}, "requires a client certificate"},
		"plaintext":           {[]string{"-X", "security.protocol=SASL_PLAINTEXT"}, "speaks TLS"},
		"unknown property":    {[]string{"-X", "ssl.ca.locaton=x"}, `did you mean "ssl.ca.location"`},
	} {
		code, _, errs := runCLI(append(append([]string{"-F", w.props, "--timeout", "3s"}, c.args...), "topics")...)
		if code == 0 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || strings.Contains(errs, securePW) {
			t.Errorf("%s: exit %d, stderr %q, want one line with %q", name, code, errs, c.want)
		}
	}
}
