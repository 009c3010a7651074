package connect

import (
	"fmt"
	"sort"
	"strings"
)

// Field is one line of `context show`.
type Field struct{ Key, Value string }

// Describe lists the profile's settings for display. Secrets show as
// "**** (from WHERE)", never their value.
func (p *Profile) Describe() []Field {
	var out []Field
	add := func(k, v string) {
		if v != "" {
			out = append(out, Field{k, v})
		}
	}
	secret := func(k string, s Secret) {
		if s.IsSet() {
			v := "****"
			if s.From() != "" {
				v += " (from " + s.From() + ")"
			}
			out = append(out, Field{k, v})
		}
	}
	add("name", p.Name)
	add("source", p.Source)
	add("bootstrap.servers", strings.Join(p.Brokers, ","))
	add("client.id", p.ClientID)
	proto := p.Security.Protocol
	if proto == "" {
		proto = Plaintext
	}
	add("security.protocol", proto)
	s := p.Security.SASL
	add("sasl.mechanism", s.Mechanism)
	add("sasl.username", s.Username)
	secret("sasl.password", s.Password)
	add("sasl.oauthbearer.token.endpoint.url", s.OAuth.TokenURL)
	add("sasl.oauthbearer.client.id", s.OAuth.ClientID)
	secret("sasl.oauthbearer.client.secret", s.OAuth.ClientSecret)
	add("sasl.oauthbearer.scope", s.OAuth.Scope)
	if len(s.OAuth.Extensions) > 0 {
		var kv []string
		for k, v := range s.OAuth.Extensions {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		add("sasl.oauthbearer.extensions", strings.Join(kv, ","))
	}
	add("aws.profile", s.AWS.Profile)
	t := p.Security.TLS
	add("ssl.ca.location", t.CAFile)
	if t.CAPEM != "" {
		add("ssl.ca.pem", "(inline PEM)")
	}
	add("ssl.certificate.location", t.CertFile)
	add("ssl.key.location", t.KeyFile)
	secret("ssl.key.pem", t.KeyPEM)
	secret("ssl.key.password", t.KeyPassword)
	add("ssl.keystore.location", t.Keystore)
	secret("ssl.keystore.password", t.KeystorePassword)
	add("ssl.truststore.location", t.Truststore)
	secret("ssl.truststore.password", t.TruststorePassword)
	if t.SkipVerify {
		add("enable.ssl.certificate.verification", "false")
	}
	if t.NoHostnameCheck {
		add("ssl.endpoint.identification.algorithm", "(none: host name not checked)")
	}
	r := p.SchemaRegistry
	add("schema_registry.url", r.URL)
	add("schema_registry.username", r.Username)
	secret("schema_registry.password", r.Password)
	secret("schema_registry.bearer_token", r.BearerToken)
	add("schema_registry.ca", r.TLS.CAFile)
	add("schema_registry.cert", r.TLS.CertFile)
	add("schema_registry.key", r.TLS.KeyFile)
	if r.TLS.SkipVerify {
		add("schema_registry.insecure_skip_verify", "true")
	}
	add("read_only", fmt.Sprint(p.ReadOnly))
	add("label", p.Label)
	add("color", p.Color)
	if len(p.Topics) > 0 {
		add("topics", fmt.Sprintf("%d with settings", len(p.Topics)))
	}
	if len(p.Groups) > 0 {
		add("groups", fmt.Sprintf("%d with settings", len(p.Groups)))
	}
	if len(p.Ignored) > 0 {
		add("ignored (no meaning to rewind)", strings.Join(p.Ignored, ", "))
	}
	return out
}
