package connect

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/twmb/franz-go/pkg/sasl"
	sasaws "github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Built is a Security turned into what a client dials with. Build it once
// per cluster and share it between clients: the OAuth token source and the
// AWS credential cache live here.
type Built struct {
	Security Security
	// TLS is nil for plaintext.
	TLS *tls.Config
	// SASL is nil without SASL.
	SASL sasl.Mechanism
}

// Validate checks the settings fit together, before anything is dialled.
func (s Security) Validate() error {
	m := s.SASL.Mechanism
	switch {
	case !s.UsesSASL() && m != "":
		return fmt.Errorf("sasl.mechanism=%s is set but security.protocol is %s: set security.protocol=SASL_SSL (or SASL_PLAINTEXT)", m, s.protocolName())
	case !s.UsesSASL() && s.SASL.Username != "":
		return fmt.Errorf("sasl.username is set but security.protocol is %s: set security.protocol=SASL_SSL (or SASL_PLAINTEXT) and sasl.mechanism", s.protocolName())
	case s.UsesSASL() && m == "":
		return fmt.Errorf("security.protocol=%s needs sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM)", s.Protocol)
	}
	switch m {
	case MechPlain, MechScram256, MechScram512:
		if s.SASL.Username == "" {
			return fmt.Errorf("sasl.mechanism=%s needs sasl.username (or a sasl.jaas.config with username)", m)
		}
		if !s.SASL.Password.IsSet() {
			return fmt.Errorf("sasl.mechanism=%s needs sasl.password for user %q (or ${ENV} or password_command)", m, s.SASL.Username)
		}
	case MechOAuthBearer:
		o := s.SASL.OAuth
		if o.TokenURL == "" {
			return errors.New("sasl.mechanism=OAUTHBEARER needs sasl.oauthbearer.token.endpoint.url")
		}
		if o.ClientID == "" || !o.ClientSecret.IsSet() {
			return errors.New("sasl.mechanism=OAUTHBEARER needs sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret")
		}
	}
	return nil
}

func (s Security) protocolName() string {
	if s.Protocol == "" {
		return "PLAINTEXT (the default)"
	}
	return s.Protocol
}

// Build validates s and prepares its TLS config and SASL mechanism.
// timeout bounds calls to the token endpoint.
func (s Security) Build(ctx context.Context, timeout time.Duration) (*Built, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := &Built{Security: s}
	if s.UsesTLS() {
		cfg, err := s.TLS.TLSConfig(time.Now())
		if err != nil {
			return nil, err
		}
		b.TLS = cfg
	}
	if s.UsesSASL() {
		m, err := s.mechanism(ctx, timeout)
		if err != nil {
			return nil, err
		}
		b.SASL = m
	}
	return b, nil
}

func (s Security) mechanism(ctx context.Context, timeout time.Duration) (sasl.Mechanism, error) {
	a := s.SASL
	switch a.Mechanism {
	case MechPlain:
		return plain.Auth{User: a.Username, Pass: a.Password.Value()}.AsMechanism(), nil
	case MechScram256:
		return scram.Auth{User: a.Username, Pass: a.Password.Value()}.AsSha256Mechanism(), nil
	case MechScram512:
		return scram.Auth{User: a.Username, Pass: a.Password.Value()}.AsSha512Mechanism(), nil
	case MechOAuthBearer:
		return oauthMechanism(a.OAuth, timeout), nil
	case MechAWSMSKIAM:
		return awsMechanism(ctx, a.AWS)
	}
	return nil, fmt.Errorf("sasl.mechanism %q is not supported", a.Mechanism)
}

// oauthMechanism fetches tokens with the client-credentials grant and
// reuses one until a minute before it expires; every new connection and
// every re-authentication (KIP-368) asks the source.
func oauthMechanism(o OAuth, timeout time.Duration) sasl.Mechanism {
	cc := clientcredentials.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret.Value(),
		TokenURL:     o.TokenURL,
	}
	if o.Scope != "" {
		cc.Scopes = splitScope(o.Scope)
	}
	hc := &http.Client{Timeout: timeout}
	fetch := tokenFunc(func() (*oauth2.Token, error) {
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
		return cc.Token(ctx)
	})
	src := oauth2.ReuseTokenSourceWithExpiry(nil, fetch, time.Minute)
	ext := o.Extensions
	return oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		tok, err := src.Token()
		if err != nil {
			return oauth.Auth{}, tokenError(o.TokenURL, err)
		}
		return oauth.Auth{Token: tok.AccessToken, Extensions: ext}, nil
	})
}

type tokenFunc func() (*oauth2.Token, error)

func (f tokenFunc) Token() (*oauth2.Token, error) { return f() }

// tokenError is one line naming the endpoint and the IdP's error code, not
// its whole response body.
func tokenError(url string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		if code == "" && re.Response != nil {
			code = re.Response.Status
		}
		return fmt.Errorf("OAUTHBEARER token endpoint %s refused the client credentials (%s): check sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret", url, code)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("OAUTHBEARER token endpoint %s timed out", url)
	}
	return fmt.Errorf("OAUTHBEARER token endpoint %s: %v", url, err)
}

func splitScope(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// awsMechanism signs MSK IAM requests with credentials from the standard
// AWS chain. The SDK caches them and refreshes them five minutes before they
// expire; kgo re-authenticates before the broker's session lifetime ends.
// The region comes from the MSK broker host name, else AWS_REGION.
func awsMechanism(ctx context.Context, a AWS) (sasl.Mechanism, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = 5 * time.Minute
		}),
	}
	if a.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(a.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS_MSK_IAM: loading AWS config: %v", err)
	}
	if cfg.Credentials == nil {
		return nil, errors.New("AWS_MSK_IAM: no AWS credentials found (environment, ~/.aws/credentials, AWS_PROFILE, SSO or an instance role)")
	}
	creds := cfg.Credentials
	return sasaws.ManagedStreamingIAM(func(ctx context.Context) (sasaws.Auth, error) {
		c, err := creds.Retrieve(ctx)
		if err != nil {
			return sasaws.Auth{}, fmt.Errorf("AWS_MSK_IAM: no AWS credentials: %v", err)
		}
		return sasaws.Auth{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken, UserAgent: "rewind"}, nil
	}), nil
}
