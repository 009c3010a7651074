package connect

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// setJAAS reads a Java sasl.jaas.config line:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
//	org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";
//	org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="id" clientSecret="s" scope="x" extension_logicalCluster="lkc-1";
//	software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="dev";
//
// The module sets the mechanism when sasl.mechanism did not (PLAIN for the
// plain module; the SCRAM module needs sasl.mechanism for its hash). Errors
// never quote the value: it holds the password.
func setJAAS(p *Profile, v, where string) error {
	module, opts, err := parseJAAS(v)
	if err != nil {
		return err
	}
	s := &p.Security.SASL
	switch {
	case strings.HasSuffix(module, ".PlainLoginModule"):
		if s.Mechanism == "" {
			s.Mechanism = MechPlain
		}
	case strings.HasSuffix(module, ".ScramLoginModule"):
	case strings.HasSuffix(module, ".OAuthBearerLoginModule"):
		if s.Mechanism == "" {
			s.Mechanism = MechOAuthBearer
		}
	case strings.HasSuffix(module, ".IAMLoginModule"):
		if s.Mechanism == "" {
			s.Mechanism = MechAWSMSKIAM
		}
	default:
		return fmt.Errorf("login module %q is not supported (PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule, IAMLoginModule)", module)
	}
	for k, val := range opts {
		switch k {
		case "username":
			s.Username = val
		case "password":
			s.Password = NewSecret(val, where)
		case "clientId":
			s.OAuth.ClientID = val
		case "clientSecret":
			s.OAuth.ClientSecret = NewSecret(val, where)
		case "scope":
			s.OAuth.Scope = val
		case "awsProfileName":
			s.AWS.Profile = val
		case "unsecuredLoginStringClaim_sub":
			return fmt.Errorf("unsecured OAUTHBEARER tokens are not supported; use the client-credentials flow (sasl.oauthbearer.token.endpoint.url)")
		default:
			if ext, ok := strings.CutPrefix(k, "extension_"); ok {
				if s.OAuth.Extensions == nil {
					s.OAuth.Extensions = map[string]string{}
				}
				s.OAuth.Extensions[ext] = val
			}
			// Other module options (awsDebugCreds, tokenExpiryMs...)
			// have no meaning here.
		}
	}
	return nil
}

// parseJAAS splits `Module flag k="v" k2=v2;` into the module and options.
func parseJAAS(v string) (string, map[string]string, error) {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(v, ";")
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return "", nil, fmt.Errorf("want 'LoginModule required key=\"value\" ...;'")
	}
	module := v[:i]
	rest := strings.TrimLeft(v[i:], " \t")
	flag, rest, _ := strings.Cut(rest, " ")
	switch flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return "", nil, fmt.Errorf("want a control flag (required) after the login module")
	}
	opts := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return module, opts, nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", nil, fmt.Errorf("malformed option (want key=\"value\")")
		}
		key := strings.TrimSpace(rest[:eq])
		rest = rest[eq+1:]
		var val string
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			q := rest[0]
			var b strings.Builder
			j := 1
			closed := false
			for ; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					b.WriteByte(rest[j])
					continue
				}
				if c == q {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", nil, fmt.Errorf("option %s: unterminated quote", key)
			}
			val = b.String()
			rest = rest[j+1:]
		} else {
			end := strings.IndexAny(rest, " \t")
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		opts[key] = val
	}
}

// ignoredProperty reports whether k is a standard Java or librdkafka client
// property with no meaning to a reader like rewind (producer, consumer and
// serializer tuning copied from an application's file). Those are accepted
// so a real client.properties works unchanged; anything else is a typo.
func ignoredProperty(k string) bool {
	if ignored[k] {
		return true
	}
	for _, p := range ignoredPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

var ignored = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`
acks linger.ms batch.size buffer.memory compression.type compression.codec retries retry.backoff.ms
retry.backoff.max.ms delivery.timeout.ms request.timeout.ms max.request.size enable.idempotence
max.in.flight.requests.per.connection transactional.id transaction.timeout.ms partitioner.class
key.serializer value.serializer key.deserializer value.deserializer
group.id group.instance.id group.protocol auto.offset.reset enable.auto.commit auto.commit.interval.ms
session.timeout.ms heartbeat.interval.ms max.poll.records max.poll.interval.ms fetch.min.bytes
fetch.max.bytes fetch.max.wait.ms max.partition.fetch.bytes isolation.level client.rack
client.dns.lookup connections.max.idle.ms reconnect.backoff.ms reconnect.backoff.max.ms
socket.connection.setup.timeout.ms socket.connection.setup.timeout.max.ms metadata.max.age.ms
receive.buffer.bytes send.buffer.bytes default.api.timeout.ms allow.auto.create.topics
ssl.protocol ssl.enabled.protocols ssl.cipher.suites ssl.keymanager.algorithm ssl.trustmanager.algorithm
ssl.secure.random.implementation ssl.key.password.type ssl.engine.factory.class
api.version.request broker.version.fallback socket.keepalive.enable socket.timeout.ms
statistics.interval.ms queue.buffering.max.ms queue.buffering.max.messages log.connection.close
debug topic.metadata.refresh.interval.ms
auto.register.schemas use.latest.version specific.avro.reader latest.compatibility.strict
key.subject.name.strategy value.subject.name.strategy normalize.schemas
schema.registry.basic.auth.credentials.source.type`) {
		ignored[k] = true
	}
}

var ignoredPrefixes = []string{
	"sasl.login.", "sasl.kerberos.", "sasl.oauthbearer.jwks.", "sasl.oauthbearer.expected.",
	"sasl.oauthbearer.clock.", "sasl.oauthbearer.sub.", "sasl.oauthbearer.scope.claim.",
	"metric.", "metrics.", "interceptor.", "producer.", "consumer.",
}

// expandHome turns a leading "~/" into the home directory.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}
