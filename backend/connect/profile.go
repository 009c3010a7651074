// Package connect describes how rewind reaches a cluster: a Profile holds
// the brokers and the standard Kafka client properties (the names of the
// Java client and librdkafka: security.protocol, sasl.*, ssl.*), read from a
// client.properties file (-F), -X overrides or a named context of
// config.yaml, and builds the TLS config and SASL mechanism every client
// uses. Secrets are Secret values: they print as "****" everywhere.
//
// Extension points for other features live in their own files so streams
// can add fields without touching this one: per-topic decode settings
// (TopicSettings, topics.go) and per-group lag thresholds (GroupSettings,
// groups.go), both keyed by name under a context in config.yaml.
package connect

import "strings"

// Security protocols (security.protocol).
const (
	Plaintext     = "PLAINTEXT"
	SSL           = "SSL"
	SASLPlaintext = "SASL_PLAINTEXT"
	SASLSSL       = "SASL_SSL"
)

// SASL mechanisms (sasl.mechanism).
const (
	MechPlain       = "PLAIN"
	MechScram256    = "SCRAM-SHA-256"
	MechScram512    = "SCRAM-SHA-512"
	MechOAuthBearer = "OAUTHBEARER"
	MechAWSMSKIAM   = "AWS_MSK_IAM"
)

// Profile is everything needed to connect to one cluster.
type Profile struct {
	// Name of the context it came from ("" for flags and -F only).
	Name string
	// Source says where it came from, for `context show` and errors
	// ("config.yaml context prod", "-F client.properties").
	Source   string
	Brokers  []string
	ClientID string
	Security Security
	// SchemaRegistry is the registry used to decode values (stream
	// decode reads it); zero URL means none configured.
	SchemaRegistry Registry
	// ReadOnly refuses every write, exactly like --read-only.
	ReadOnly bool
	// Label and Color are shown in the status bar (Color "red" for
	// production; see StatusColor).
	Label string
	Color string
	// Topics holds per-topic decode settings, Groups per-group lag
	// settings, by topic or group name (see topics.go, groups.go).
	Topics map[string]TopicSettings
	Groups map[string]GroupSettings
	// Ignored lists the properties that were accepted but mean nothing to
	// rewind (producer and consumer tuning copied from an application).
	Ignored []string
}

// Security is the transport and authentication of the connection.
type Security struct {
	// Protocol is one of the security.protocol values; "" means PLAINTEXT.
	Protocol string
	TLS      TLS
	SASL     SASL
}

// UsesTLS reports whether connections are TLS.
func (s Security) UsesTLS() bool { return s.Protocol == SSL || s.Protocol == SASLSSL }

// UsesSASL reports whether connections authenticate with SASL.
func (s Security) UsesSASL() bool { return s.Protocol == SASLPlaintext || s.Protocol == SASLSSL }

// TLS settings (ssl.*). Files are PEM unless named by the keystore or
// truststore properties (PKCS#12).
type TLS struct {
	CAFile   string // ssl.ca.location
	CAPEM    string // ssl.ca.pem
	CertFile string // ssl.certificate.location
	CertPEM  string // ssl.certificate.pem
	KeyFile  string // ssl.key.location
	KeyPEM   Secret // ssl.key.pem
	// KeyPassword decrypts an encrypted PEM key (ssl.key.password).
	KeyPassword Secret
	// Keystore and Truststore are PKCS#12 files (ssl.keystore.location,
	// ssl.truststore.location) with their passwords.
	Keystore           string
	KeystorePassword   Secret
	Truststore         string
	TruststorePassword Secret
	// SkipVerify turns off certificate verification altogether
	// (enable.ssl.certificate.verification=false).
	SkipVerify bool
	// NoHostnameCheck keeps the chain verification but does not match the
	// broker's name (ssl.endpoint.identification.algorithm= empty).
	NoHostnameCheck bool
}

// SASL settings (sasl.*).
type SASL struct {
	Mechanism string
	Username  string
	Password  Secret
	OAuth     OAuth
	AWS       AWS
}

// OAuth is the OAUTHBEARER client-credentials flow.
type OAuth struct {
	TokenURL     string // sasl.oauthbearer.token.endpoint.url
	ClientID     string // sasl.oauthbearer.client.id
	ClientSecret Secret // sasl.oauthbearer.client.secret
	Scope        string // sasl.oauthbearer.scope (space separated)
	// Extensions are SASL extensions sent with the token
	// (sasl.oauthbearer.extensions, or extension_* in sasl.jaas.config),
	// e.g. logicalCluster and identityPoolId for Confluent Cloud.
	Extensions map[string]string
}

// AWS is AWS_MSK_IAM: credentials come from the standard AWS chain
// (environment, shared config and credentials files, SSO, web identity,
// container and instance roles).
type AWS struct {
	// Profile selects a shared-config profile (awsProfileName in
	// sasl.jaas.config, or aws.profile); "" means AWS_PROFILE or default.
	Profile string
}

// Registry is a schema registry (Confluent REST API).
type Registry struct {
	URL         string
	Username    string
	Password    Secret
	BearerToken Secret
	TLS         RegistryTLS
}

// RegistryTLS is the registry's HTTPS trust and client certificate.
type RegistryTLS struct {
	CAFile     string
	CertFile   string
	KeyFile    string
	SkipVerify bool
}

// Secret is a password, token or key. It never prints: String, GoString and
// the JSON and YAML encoders give "****" (or "" when unset). Value returns it.
type Secret struct {
	v   string
	set bool
	// from says where it came from ("file", "env VAR", "command"), for
	// `context show`.
	from string
}

// NewSecret wraps a secret value.
func NewSecret(v, from string) Secret { return Secret{v: v, set: true, from: from} }

// Value is the secret itself: for the code that sends it, never to print.
func (s Secret) Value() string { return s.v }

// IsSet reports whether a value was given.
func (s Secret) IsSet() bool { return s.set }

// From says where the value came from.
func (s Secret) From() string { return s.from }

func (s Secret) String() string {
	if !s.set {
		return ""
	}
	return "****"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return `connect.Secret("` + s.String() + `")` }

// MarshalJSON masks the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalYAML masks the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// StatusColor maps the context colour to a badge style name: "red",
// "yellow", "green", "blue" or "" (default). A context labelled like
// production is red even without a colour.
func (p *Profile) StatusColor() string {
	c := strings.ToLower(strings.TrimSpace(p.Color))
	switch c {
	case "red", "yellow", "green", "blue":
		return c
	}
	words := strings.FieldsFunc(strings.ToLower(p.Label+" "+p.Name), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	for _, w := range words {
		if w == "prod" || w == "production" || w == "prd" {
			return "red"
		}
	}
	return ""
}

// Badge is the status bar text for the profile: the label, else the name.
func (p *Profile) Badge() string {
	if p.Label != "" {
		return p.Label
	}
	return p.Name
}
