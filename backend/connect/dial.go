package connect

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Phases of a connection, for errors.
const (
	PhaseTCP = "tcp"
	PhaseTLS = "tls"
)

// PhaseError is a dial failure labelled with the step that failed, so the
// explanation can tell "nothing listens there" from "that port does not
// speak TLS".
type PhaseError struct {
	Phase string
	Addr  string
	Err   error
}

func (e *PhaseError) Error() string { return e.Phase + " " + e.Addr + ": " + e.Err.Error() }
func (e *PhaseError) Unwrap() error { return e.Err }

// Dial connects to addr: TCP, then the TLS handshake when b has TLS; the
// whole dial is bounded by timeout. d (may be nil) learns of handshakes in
// progress: a request that times out during one is explained by it.
func (b *Built) Dial(ctx context.Context, network, addr string, timeout time.Duration, d *Diag) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &PhaseError{Phase: PhaseTCP, Addr: addr, Err: err}
	}
	d.connected(addr)
	if b == nil || b.TLS == nil {
		return conn, nil
	}
	cfg := b.TLS.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			conn.Close()
			return nil, &PhaseError{Phase: PhaseTLS, Addr: addr, Err: err}
		}
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	d.handshaking(addr, true)
	err = tc.HandshakeContext(ctx)
	d.handshaking(addr, false)
	if err != nil {
		conn.Close()
		return nil, &PhaseError{Phase: PhaseTLS, Addr: addr, Err: err}
	}
	return tc, nil
}

// Diag watches a cluster's connections (as kgo hooks on every client) so an
// error can be explained: which broker, and whether it failed during SASL.
type Diag struct {
	mu sync.Mutex
	// saslFailed: the last SASL exchange with this broker address failed
	// (a broker that rejects credentials may just close the connection).
	saslFailed map[string]bool
	// lastConnAddr and lastConnErr are the last failed connection: a
	// request may end on its own deadline before the dial reports why.
	lastConnAddr string
	lastConnErr  error
	// inTLS counts TLS handshakes in progress per broker address.
	inTLS map[string]int
	// tcpOK: a TCP connection to this address succeeded at least once.
	tcpOK map[string]bool
}

func (d *Diag) connected(addr string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tcpOK == nil {
		d.tcpOK = map[string]bool{}
	}
	d.tcpOK[addr] = true
}

func (d *Diag) reached(addr string) bool {
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tcpOK[addr]
}

func (d *Diag) handshaking(addr string, start bool) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inTLS == nil {
		d.inTLS = map[string]int{}
	}
	if start {
		d.inTLS[addr]++
	} else if d.inTLS[addr]--; d.inTLS[addr] <= 0 {
		delete(d.inTLS, addr)
	}
}

func (d *Diag) handshakePending() (string, bool) {
	if d == nil {
		return "", false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for a := range d.inTLS {
		return a, true
	}
	return "", false
}

// NewDiag returns an empty Diag.
func NewDiag() *Diag { return &Diag{saslFailed: map[string]bool{}} }

var (
	_ kgo.HookBrokerConnect = (*Diag)(nil)
	_ kgo.HookBrokerRead    = (*Diag)(nil)
)

// OnBrokerConnect implements kgo.HookBrokerConnect.
func (d *Diag) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, itoa(meta.Port))
	if err == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// A retry cut short by the request's deadline fails as a TCP timeout;
	// the handshake failure before it on the same broker says more.
	var prev, cur *PhaseError
	if d.lastConnAddr == addr && errors.As(d.lastConnErr, &prev) && prev.Phase == PhaseTLS &&
		errors.As(err, &cur) && cur.Phase == PhaseTCP && isTimeout(cur.Err) {
		return
	}
	d.lastConnAddr, d.lastConnErr = addr, err
}

// OnBrokerRead implements kgo.HookBrokerRead: a failed read of a SASL
// response (17 SaslHandshake, 36 SaslAuthenticate) marks the broker.
func (d *Diag) OnBrokerRead(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key != 17 && key != 36 {
		return
	}
	addr := net.JoinHostPort(meta.Host, itoa(meta.Port))
	d.mu.Lock()
	d.saslFailed[addr] = err != nil
	d.mu.Unlock()
}

func (d *Diag) saslFailedAt() (string, bool) {
	if d == nil {
		return "", false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for a, f := range d.saslFailed {
		if f {
			return a, true
		}
	}
	return "", false
}

func (d *Diag) lastFailed() (string, error) {
	if d == nil {
		return "", nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastConnAddr, d.lastConnErr
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
