package connect

import (
	"fmt"
	"strings"
)

type setter func(p *Profile, v, where string) error

// setters are the properties rewind acts on: the Java client's and
// librdkafka's names (aliases where they differ), plus the Confluent schema
// registry client's.
var setters = map[string]setter{
	"bootstrap.servers":    setBrokers,
	"metadata.broker.list": setBrokers, // librdkafka
	"client.id":            func(p *Profile, v, _ string) error { p.ClientID = v; return nil },
	"security.protocol":    setProtocol,
	"sasl.mechanism":       setMechanism,
	"sasl.mechanisms":      setMechanism, // librdkafka
	"sasl.username":        func(p *Profile, v, _ string) error { p.Security.SASL.Username = v; return nil },
	"sasl.password": func(p *Profile, v, w string) error {
		p.Security.SASL.Password = NewSecret(v, w)
		return nil
	},
	"sasl.jaas.config": setJAAS,
	"sasl.oauthbearer.token.endpoint.url": func(p *Profile, v, _ string) error {
		p.Security.SASL.OAuth.TokenURL = v
		return nil
	},
	"sasl.oauthbearer.client.id": func(p *Profile, v, _ string) error { p.Security.SASL.OAuth.ClientID = v; return nil },
	"sasl.oauthbearer.client.secret": func(p *Profile, v, w string) error {
		p.Security.SASL.OAuth.ClientSecret = NewSecret(v, w)
		return nil
	},
	"sasl.oauthbearer.scope":      func(p *Profile, v, _ string) error { p.Security.SASL.OAuth.Scope = v; return nil },
	"sasl.oauthbearer.extensions": setOAuthExtensions,
	"sasl.oauthbearer.method": func(_ *Profile, v, _ string) error {
		if !strings.EqualFold(v, "oidc") {
			return fmt.Errorf("%q is not supported: only oidc (the client-credentials flow)", v)
		}
		return nil
	},
	// Java needs a handler class for OAUTHBEARER and MSK IAM; rewind has
	// its own, so any value is accepted.
	"sasl.login.callback.handler.class":  func(*Profile, string, string) error { return nil },
	"sasl.client.callback.handler.class": func(*Profile, string, string) error { return nil },
	"aws.profile":                        func(p *Profile, v, _ string) error { p.Security.SASL.AWS.Profile = v; return nil },

	"ssl.ca.location":          func(p *Profile, v, _ string) error { p.Security.TLS.CAFile = expandHome(v); return nil },
	"ssl.ca.pem":               func(p *Profile, v, _ string) error { p.Security.TLS.CAPEM = v; return nil },
	"ssl.certificate.location": func(p *Profile, v, _ string) error { p.Security.TLS.CertFile = expandHome(v); return nil },
	"ssl.certificate.pem":      func(p *Profile, v, _ string) error { p.Security.TLS.CertPEM = v; return nil },
	"ssl.key.location":         func(p *Profile, v, _ string) error { p.Security.TLS.KeyFile = expandHome(v); return nil },
	"ssl.key.pem":              func(p *Profile, v, w string) error { p.Security.TLS.KeyPEM = NewSecret(v, w); return nil },
	"ssl.key.password":         func(p *Profile, v, w string) error { p.Security.TLS.KeyPassword = NewSecret(v, w); return nil },
	"ssl.keystore.location":    func(p *Profile, v, _ string) error { p.Security.TLS.Keystore = expandHome(v); return nil },
	"ssl.keystore.password": func(p *Profile, v, w string) error {
		p.Security.TLS.KeystorePassword = NewSecret(v, w)
		return nil
	},
	"ssl.truststore.location": func(p *Profile, v, _ string) error { p.Security.TLS.Truststore = expandHome(v); return nil },
	"ssl.truststore.password": func(p *Profile, v, w string) error {
		p.Security.TLS.TruststorePassword = NewSecret(v, w)
		return nil
	},
	"ssl.keystore.type":   storeType,
	"ssl.truststore.type": storeType,
	"enable.ssl.certificate.verification": func(p *Profile, v, _ string) error {
		b, err := parseBool(v)
		p.Security.TLS.SkipVerify = !b
		return err
	},
	"ssl.endpoint.identification.algorithm": func(p *Profile, v, _ string) error {
		switch strings.ToLower(v) {
		case "", "none":
			p.Security.TLS.NoHostnameCheck = true
		case "https":
			p.Security.TLS.NoHostnameCheck = false
		default:
			return fmt.Errorf("%q: want https or empty", v)
		}
		return nil
	},

	"schema.registry.url": func(p *Profile, v, _ string) error { p.SchemaRegistry.URL = v; return nil },
	"basic.auth.credentials.source": func(_ *Profile, v, _ string) error {
		return onlyValue(v, "USER_INFO", "URL")
	},
	"schema.registry.basic.auth.credentials.source": func(_ *Profile, v, _ string) error {
		return onlyValue(v, "USER_INFO", "URL")
	},
	"basic.auth.user.info":                 setRegistryUserInfo,
	"schema.registry.basic.auth.user.info": setRegistryUserInfo,
	"bearer.auth.credentials.source":       func(_ *Profile, v, _ string) error { return onlyValue(v, "STATIC_TOKEN") },
	"bearer.auth.token": func(p *Profile, v, w string) error {
		p.SchemaRegistry.BearerToken = NewSecret(v, w)
		return nil
	},
	"schema.registry.ssl.ca.location": func(p *Profile, v, _ string) error {
		p.SchemaRegistry.TLS.CAFile = expandHome(v)
		return nil
	},
	"schema.registry.ssl.certificate.location": func(p *Profile, v, _ string) error {
		p.SchemaRegistry.TLS.CertFile = expandHome(v)
		return nil
	},
	"schema.registry.ssl.key.location": func(p *Profile, v, _ string) error {
		p.SchemaRegistry.TLS.KeyFile = expandHome(v)
		return nil
	},
	"schema.registry.enable.ssl.certificate.verification": func(p *Profile, v, _ string) error {
		b, err := parseBool(v)
		p.SchemaRegistry.TLS.SkipVerify = !b
		return err
	},
}

// secretKeys never have their value in an error or a display.
var secretKeys = map[string]bool{
	"sasl.password": true, "sasl.jaas.config": true, "sasl.oauthbearer.client.secret": true,
	"ssl.key.pem": true, "ssl.key.password": true, "ssl.keystore.password": true,
	"ssl.truststore.password": true, "basic.auth.user.info": true,
	"schema.registry.basic.auth.user.info": true, "bearer.auth.token": true,
}

// IsSecretKey reports whether a property's value is a secret.
func IsSecretKey(k string) bool { return secretKeys[k] }

func setBrokers(p *Profile, v, _ string) error {
	var bs []string
	for _, b := range strings.Split(v, ",") {
		if b = strings.TrimSpace(b); b != "" {
			// librdkafka accepts a scheme prefix (SSL://host:port).
			if i := strings.Index(b, "://"); i >= 0 {
				b = b[i+3:]
			}
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return fmt.Errorf("no broker addresses")
	}
	p.Brokers = bs
	return nil
}

func setProtocol(p *Profile, v, _ string) error {
	u := strings.ToUpper(v)
	switch u {
	case Plaintext, SSL, SASLPlaintext, SASLSSL:
		p.Security.Protocol = u
		return nil
	}
	return fmt.Errorf("%q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", v)
}

func setMechanism(p *Profile, v, _ string) error {
	u := strings.ToUpper(v)
	switch u {
	case MechPlain, MechScram256, MechScram512, MechOAuthBearer, MechAWSMSKIAM:
		p.Security.SASL.Mechanism = u
		return nil
	case "GSSAPI":
		return fmt.Errorf("GSSAPI (Kerberos) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM")
	}
	return fmt.Errorf("%q is not supported: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM", v)
}

func setOAuthExtensions(p *Profile, v, _ string) error {
	for _, kv := range strings.Split(v, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value,key=value")
		}
		if p.Security.SASL.OAuth.Extensions == nil {
			p.Security.SASL.OAuth.Extensions = map[string]string{}
		}
		p.Security.SASL.OAuth.Extensions[k] = val
	}
	return nil
}

func setRegistryUserInfo(p *Profile, v, w string) error {
	u, pw, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("want USER:PASSWORD")
	}
	p.SchemaRegistry.Username = u
	p.SchemaRegistry.Password = NewSecret(pw, w)
	return nil
}

func storeType(_ *Profile, v, _ string) error {
	switch strings.ToUpper(v) {
	case "PKCS12", "":
		return nil
	case "JKS":
		return fmt.Errorf("JKS keystores cannot be read; convert to PKCS12 (keytool -importkeystore -srckeystore F.jks -destkeystore F.p12 -deststoretype PKCS12) or to PEM files (ssl.ca.location, ssl.certificate.location, ssl.key.location)")
	case "PEM":
		return fmt.Errorf("for PEM use ssl.ca.location, ssl.certificate.location and ssl.key.location")
	}
	return fmt.Errorf("%q: want PKCS12", v)
}

func onlyValue(v string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return nil
		}
	}
	return fmt.Errorf("%q is not supported: want %s", v, strings.Join(allowed, " or "))
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true or false", v)
}
