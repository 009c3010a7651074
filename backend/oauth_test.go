package backend

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type tokenSrv struct {
	*httptest.Server
	issued    atomic.Int32
	expiresIn atomic.Int32 // seconds; 3600 unless set
}

// tokenServer is an OAuth token endpoint: the client-credentials grant
// with HTTP basic client authentication, and scope checked when given.
func tokenServer(t *testing.T, id, secret, scope string) *tokenSrv {
	t.Helper()
	ts := &tokenSrv{}
	ts.expiresIn.Store(3600)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		u, p, ok := r.BasicAuth()
		if !ok {
			u, p = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "client_credentials" || u != id || p != secret || (scope != "" && r.PostForm.Get("scope") != scope) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"bad client"}`))
			return
		}
		n := ts.issued.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + string(rune('0'+n)), "token_type": "bearer", "expires_in": ts.expiresIn.Load()})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// oauthBroker is kfake accepting OAUTHBEARER through control functions:
// the handshake and the authenticate request are answered here and the
// token checked against want. Other requests go to kfake as usual.
func oauthBroker(t *testing.T, want func(token string, ext map[string]string) bool) (string, *atomic.Int32) {
	t.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	var auths atomic.Int32
	kc.ControlKey(int16(kmsg.SASLHandshake), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		r := req.(*kmsg.SASLHandshakeRequest)
		resp := r.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{"OAUTHBEARER"}
		if r.Mechanism != "OAUTHBEARER" {
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		}
		return resp, nil, true
	})
	kc.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		tok, ext := parseOAuthBearer(string(r.SASLAuthBytes))
		if !want(tok, ext) {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			msg := "invalid token"
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		auths.Add(1)
		return resp, nil, true
	})
	return kc.ListenAddrs()[0], &auths
}

// parseOAuthBearer reads the RFC 7628 initial client response:
// "n,,\x01auth=Bearer TOKEN\x01key=value\x01\x01".
func parseOAuthBearer(s string) (string, map[string]string) {
	ext := map[string]string{}
	tok := ""
	for _, kv := range strings.Split(s, "\x01") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if k == "auth" {
			tok = strings.TrimPrefix(v, "Bearer ")
			continue
		}
		ext[k] = v
	}
	return tok, ext
}

func TestOAuthBearerClientCredentials(t *testing.T) {
	ts := tokenServer(t, "rewind-app", "client-secret-9", "kafka.read")
	var mu sync.Mutex
	seen := map[string]bool{}
	addr, auths := oauthBroker(t, func(tok string, ext map[string]string) bool {
		mu.Lock()
		seen[tok] = true
		mu.Unlock()
		return strings.HasPrefix(tok, "tok-") && ext["logicalCluster"] == "lkc-1"
	})
	props := []string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=OAUTHBEARER",
		"sasl.oauthbearer.token.endpoint.url=" + ts.URL, "sasl.oauthbearer.client.id=rewind-app",
		"sasl.oauthbearer.scope=kafka.read", "sasl.oauthbearer.extensions=logicalCluster=lkc-1"}
	ctx := context.Background()
	c, err := Connect(ctx, Options{Brokers: []string{addr}, Security: securityOf(t, append(props, "sasl.oauthbearer.client.secret=client-secret-9")...), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "t", 1, nil); err != nil {
		t.Fatal(err)
	}
	// A second client of the run shares the token source: one token.
	cl, err := c.NewClient("second")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	if auths.Load() < 2 || ts.issued.Load() != 1 {
		t.Fatalf("authentications %d, tokens issued %d (want >= 2 and 1)", auths.Load(), ts.issued.Load())
	}

	// A wrong client secret: the token endpoint refuses, one line.
	err = connectWith(t, addr, 5*time.Second, append(props, "sasl.oauthbearer.client.secret=nope-secret")...)
	oneLineErr(t, "bad client secret", err, "OAUTHBEARER token endpoint "+ts.URL, "invalid_client", "sasl.oauthbearer.client.secret")
	if strings.Contains(err.Error(), "nope-secret") {
		t.Fatalf("secret in error: %v", err)
	}
}

// A token close to its expiry is not reused: with tokens that live less
// than the one-minute refresh margin, every new connection fetches one.
func TestOAuthBearerRefreshesBeforeExpiry(t *testing.T) {
	ts := tokenServer(t, "app", "sec", "")
	ts.expiresIn.Store(30)
	var mu sync.Mutex
	var tokens []string
	addr, _ := oauthBroker(t, func(tok string, _ map[string]string) bool {
		mu.Lock()
		tokens = append(tokens, tok)
		mu.Unlock()
		return true
	})
	ctx := context.Background()
	c, err := Connect(ctx, Options{Brokers: []string{addr}, Timeout: 5 * time.Second, Security: securityOf(t,
		"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=OAUTHBEARER", "sasl.oauthbearer.token.endpoint.url="+ts.URL,
		"sasl.oauthbearer.client.id=app", "sasl.oauthbearer.client.secret=sec")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := c.NewClient("second")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if ts.issued.Load() < 2 || len(tokens) < 2 || tokens[0] == tokens[len(tokens)-1] {
		t.Fatalf("tokens issued %d, presented %v: want a fresh token for the second connection", ts.issued.Load(), tokens)
	}
}
