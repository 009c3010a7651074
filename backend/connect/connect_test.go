package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A client.properties as Confluent Cloud hands it to a Java application.
const ccloudProps = `# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=pkc-abc12.eu-west-1.aws.confluent.cloud:9092
security.protocol=SASL_SSL
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='ABCDEFKEY' password='cc/Secret+Value==';
sasl.mechanism=PLAIN
# Required for correctness in Apache Kafka clients prior to 2.6
client.dns.lookup=use_all_dns_ips

# Best practice for higher availability in Apache Kafka clients prior to 3.0
session.timeout.ms=45000

# Best practice for Kafka producer to prevent data loss
acks=all

# Required connection configs for Confluent Cloud Schema Registry
schema.registry.url=https://psrc-xyz.eu-west-1.aws.confluent.cloud
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=SRKEY:sr-secret
`

func TestJavaClientProperties(t *testing.T) {
	props, err := ParseProperties(strings.NewReader(ccloudProps), "client.properties")
	if err != nil {
		t.Fatal(err)
	}
	p := &Profile{}
	if err := p.Apply(props); err != nil {
		t.Fatal(err)
	}
	s := p.Security
	if got := strings.Join(p.Brokers, ","); got != "pkc-abc12.eu-west-1.aws.confluent.cloud:9092" {
		t.Fatalf("brokers %q", got)
	}
	if s.Protocol != SASLSSL || s.SASL.Mechanism != MechPlain || s.SASL.Username != "ABCDEFKEY" || s.SASL.Password.Value() != "cc/Secret+Value==" {
		t.Fatalf("security %+v", s)
	}
	if p.SchemaRegistry.URL != "https://psrc-xyz.eu-west-1.aws.confluent.cloud" || p.SchemaRegistry.Username != "SRKEY" || p.SchemaRegistry.Password.Value() != "sr-secret" {
		t.Fatalf("registry %+v", p.SchemaRegistry)
	}
	if strings.Join(p.Ignored, ",") != "client.dns.lookup,session.timeout.ms,acks" {
		t.Fatalf("ignored %v", p.Ignored)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPropertiesSyntax(t *testing.T) {
	// In a properties file a backslash is written \\, so the JAAS escape
	// \" of a quote inside a value is \\\" there.
	in := `! bang comment
  # indented comment
sasl.username = spaced
client.id: colon
sasl.mechanism SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
    username="u\\\"q" \
    password="p w";
ssl.ca.location=/tmp/caf\u00e9.pem
`
	props, err := ParseProperties(strings.NewReader(in), "f")
	if err != nil {
		t.Fatal(err)
	}
	p := &Profile{}
	if err := p.Apply(props); err != nil {
		t.Fatal(err)
	}
	if p.ClientID != "colon" || p.Security.SASL.Mechanism != MechScram256 || p.Security.SASL.Username != `u"q` ||
		p.Security.SASL.Password.Value() != "p w" || p.Security.TLS.CAFile != "/tmp/café.pem" {
		t.Fatalf("%+v", p)
	}
	if props[3].Where != "f:6" {
		t.Fatalf("where %q", props[3].Where)
	}
}

func TestUnknownAndBadProperties(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"sasl.mechansim=PLAIN", `f:1: unknown property "sasl.mechansim" (did you mean "sasl.mechanism"?)`},
		{"bootstrap.server=x:1", `did you mean "bootstrap.servers"?`},
		{"frobnicate=1", `f:1: unknown property "frobnicate"`},
		{"max.poll.recods=5", `did you mean "max.poll.records"?`},
		{"security.protocol=TLS", `want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL`},
		{"sasl.mechanism=GSSAPI", "GSSAPI (Kerberos) is not supported"},
		{"ssl.keystore.type=JKS", "JKS keystores cannot be read"},
		{"sasl.jaas.config=com.example.Custom required password=\"hunter2\";", `login module "com.example.Custom" is not supported`},
		{"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2;", "unterminated quote"},
	} {
		props, err := ParseProperties(strings.NewReader(c.in), "f")
		if err == nil {
			err = (&Profile{}).Apply(props)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the password is in the error: %v", c.in, err)
		}
	}
	if _, err := ParseOverride("sasl.password"); err == nil || !strings.Contains(err.Error(), "want key=value") {
		t.Fatalf("override without =: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		props []string
		want  string
	}{
		{[]string{"sasl.mechanism=PLAIN"}, "security.protocol is PLAINTEXT (the default): set security.protocol=SASL_SSL"},
		{[]string{"security.protocol=SASL_SSL"}, "needs sasl.mechanism"},
		{[]string{"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=u"}, `needs sasl.password for user "u"`},
		{[]string{"security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER"}, "needs sasl.oauthbearer.token.endpoint.url"},
	} {
		p := &Profile{}
		for _, kv := range c.props {
			pr, _ := ParseOverride(kv)
			if err := p.Apply([]Property{pr}); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Security.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.props, err, c.want)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("hunter2", "file")
	p := Profile{Security: Security{SASL: SASL{Username: "u", Password: s}}}
	b, _ := json.Marshal(p)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", p, p, p, s), string(b)} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	for _, f := range p.Describe() {
		if strings.Contains(f.Value, "hunter2") {
			t.Fatalf("describe: %v", f)
		}
	}
	if s.Value() != "hunter2" {
		t.Fatal("value lost")
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const threeContexts = `# my clusters
current-context: dev   # the default
contexts:
  - name: dev
    brokers: [127.0.0.1:9092]
  - name: staging
    brokers: [staging-1:9093, staging-2:9093]
    properties:
      security.protocol: SASL_SSL
      sasl.mechanism: SCRAM-SHA-512
      sasl.username: svc
      sasl.password: ${TEST_STAGING_PW}
    label: STAGING
    color: yellow
    schema_registry:
      url: https://sr.staging:8081
      username: sr-user
      password_command: printf sr-from-command
  - name: prod
    brokers: [prod-1:9093]
    properties_file: prod.properties
    password_command: printf 'pw-from-command\n'
    read_only: true
    label: PRODUCTION
`

func TestContextsAndPrecedence(t *testing.T) {
	path := writeConfig(t, threeContexts)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "prod.properties"),
		[]byte("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=prod-svc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_STAGING_PW", "pw-from-env")
	ctx := context.Background()
	res := func(s Selection) *Profile {
		t.Helper()
		s.ConfigPath = path
		r, err := Resolve(ctx, s, true)
		if err != nil {
			t.Fatal(err)
		}
		return r.Profile
	}
	if p := res(Selection{}); p.Name != "dev" || p.Brokers[0] != "127.0.0.1:9092" {
		t.Fatalf("current-context: %+v", p)
	}
	st := res(Selection{Context: "staging"})
	if st.Security.SASL.Password.Value() != "pw-from-env" || st.Security.SASL.Password.From() != "env TEST_STAGING_PW" ||
		st.SchemaRegistry.Password.Value() != "sr-from-command" || st.StatusColor() != "yellow" {
		t.Fatalf("staging: %+v", st)
	}
	pr := res(Selection{Context: "prod"})
	if !pr.ReadOnly || pr.Security.SASL.Username != "prod-svc" || pr.Security.SASL.Password.Value() != "pw-from-command" || pr.StatusColor() != "red" {
		t.Fatalf("prod: %+v", pr)
	}
	// -X beats the context, -b beats both.
	o := res(Selection{Context: "staging", Overrides: []string{"sasl.username=other", "bootstrap.servers=x:1"}, Brokers: []string{"y:2"}})
	if o.Security.SASL.Username != "other" || strings.Join(o.Brokers, ",") != "y:2" {
		t.Fatalf("override: %+v", o)
	}
	// -b alone names a cluster: current-context's settings are not used.
	if b := res(Selection{Brokers: []string{"z:3"}}); b.Name != "" || b.Security.Protocol != "" {
		t.Fatalf("-b: %+v", b)
	}
	// Without resolving secrets, no command runs (display).
	r, err := Resolve(ctx, Selection{ConfigPath: path, Context: "prod"}, false)
	if err != nil || r.Profile.Security.SASL.Password.Value() != "" || r.Profile.Security.SASL.Password.From() != "password_command" {
		t.Fatalf("unresolved: %+v %v", r, err)
	}
	if _, err := Resolve(ctx, Selection{ConfigPath: path, Context: "stagign"}, true); err == nil ||
		!strings.Contains(err.Error(), `no context "stagign"`) || !strings.Contains(err.Error(), "dev, staging, prod") {
		t.Fatalf("unknown context: %v", err)
	}
	os.Unsetenv("TEST_STAGING_PW")
	if _, err := Resolve(ctx, Selection{ConfigPath: path, Context: "staging"}, true); err == nil ||
		!strings.Contains(err.Error(), "environment variable TEST_STAGING_PW is not set") {
		t.Fatalf("missing env: %v", err)
	}
}

func TestNoContextIsEmbedded(t *testing.T) {
	r, err := Resolve(context.Background(), Selection{ConfigPath: writeConfig(t, "contexts: []\n")}, true)
	if err != nil || r.Profile != nil {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := Resolve(context.Background(), Selection{ConfigPath: "/nonexistent/rewind.yaml"}, true); err == nil {
		t.Fatal("an explicit --config that does not exist must fail")
	}
	if _, err := Resolve(context.Background(), Selection{ConfigPath: writeConfig(t, ""), Overrides: []string{"security.protocol=SSL"}}, true); err == nil ||
		!strings.Contains(err.Error(), "no brokers") {
		t.Fatalf("-X without brokers: %v", err)
	}
}

func TestConfigFileErrors(t *testing.T) {
	for body, want := range map[string]string{
		"contexts:\n  - name: a\n    brokrs: [x:1]\n":                 "field brokrs not found",
		"contexts:\n  - name: a\n  - name: a\n":                       `context "a" is defined twice`,
		"current-context: b\ncontexts:\n  - name: a\n":                `current-context "b" is not a context`,
		"contexts:\n  - brokers: [x:1]\n":                             "has no name",
		"contexts:\n  - name: a\n    topics: {t: {colour: red}}\n":    "field colour not found",
		"contexts:\n  - name: a\n    properties: {sasl.passwrd: x}\n": "", // checked at use, below
	} {
		_, _, err := LoadFile(writeConfig(t, body))
		if want == "" {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	f, _, err := LoadFile(writeConfig(t, "contexts:\n  - name: a\n    brokers: [x:1]\n    properties: {sasl.passwrd: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Profile(context.Background(), "a", true); err == nil || !strings.Contains(err.Error(), `did you mean "sasl.password"`) {
		t.Fatalf("typo in properties: %v", err)
	}
}

func TestPasswordCommandFailure(t *testing.T) {
	path := writeConfig(t, "contexts:\n  - name: a\n    brokers: [x:1]\n    password_command: echo vault sealed >&2; exit 3\n")
	_, err := Resolve(context.Background(), Selection{ConfigPath: path, Context: "a"}, true)
	if err == nil || !strings.Contains(err.Error(), "password_command failed") || !strings.Contains(err.Error(), "vault sealed") {
		t.Fatalf("%v", err)
	}
}

func TestPermWarningAndUse(t *testing.T) {
	path := writeConfig(t, threeContexts)
	if w := PermWarning(path); w != "" {
		t.Fatalf("0600 file warned: %s", w)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if w := PermWarning(path); !strings.Contains(w, "readable by other users (mode 0644)") || !strings.Contains(w, "chmod 600 "+path) {
		t.Fatalf("warning %q", w)
	}
	if err := SetCurrent(path, "prod"); err != nil {
		t.Fatal(err)
	}
	f, _, err := LoadFile(path)
	if err != nil || f.CurrentContext != "prod" {
		t.Fatalf("%+v %v", f, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "# my clusters") || !strings.Contains(string(b), "${TEST_STAGING_PW}") {
		t.Fatalf("use rewrote the file's comments or references:\n%s", b)
	}
	if err := SetCurrent(path, "nope"); err == nil || !strings.Contains(err.Error(), `no context "nope"`) {
		t.Fatalf("use of unknown: %v", err)
	}
}

func TestStatusColor(t *testing.T) {
	for _, c := range []struct{ name, label, color, want string }{
		{"prod", "", "", "red"}, {"eu-prod-1", "", "", "red"}, {"x", "PRODUCTION", "", "red"},
		{"product-catalog", "", "", ""}, {"dev", "", "green", "green"}, {"dev", "", "mauve", ""},
	} {
		p := &Profile{Name: c.name, Label: c.label, Color: c.color}
		if got := p.StatusColor(); got != c.want {
			t.Errorf("%+v: %q, want %q", c, got, c.want)
		}
	}
}
