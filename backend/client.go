package backend

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/rewind-log/rewind/backend/connect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// NewClient is the one place rewind builds a franz-go client. Seed brokers,
// client id, dial timeout, TLS, SASL and test hooks come from o, so a
// connection setting reaches every path (browse, tail, lag, reset, replay,
// projections, publish, the embedded log's own clients) at once. role names
// the client to the brokers ("rewind-<role>") unless the operator set a
// client.id; extra carries what the caller's job needs (consumer or
// producer settings) and is applied last.
//
// Code that holds a *Cluster uses Cluster.NewClient, which also reuses the
// cluster's credentials (one OAuth token source, one AWS credential cache).
func NewClient(o Options, role string, extra ...kgo.Opt) (*kgo.Client, error) {
	built, err := o.Security.Build(context.Background(), timeoutOf(o))
	if err != nil {
		return nil, err
	}
	return newClient(o, built, nil, role, extra...)
}

// NewClient builds a client for this cluster with the same connection
// settings as every other client of the run (see the package function).
func (c *Cluster) NewClient(role string, extra ...kgo.Opt) (*kgo.Client, error) {
	return newClient(c.opts, c.built, c.diag, role, extra...)
}

func newClient(o Options, built *connect.Built, diag *connect.Diag, role string, extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := clientOpts(o, built, diag, role)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", strings.Join(o.Brokers, ","), err)
	}
	return cl, nil
}

// clientOpts are the connection options shared by every client.
func clientOpts(o Options, built *connect.Built, diag *connect.Diag, role string) ([]kgo.Opt, error) {
	if len(o.Brokers) == 0 {
		return nil, fmt.Errorf("no brokers given")
	}
	timeout := timeoutOf(o)
	id := o.ClientID
	if id == "" {
		id = "rewind"
		if role != "" {
			id += "-" + role
		}
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ClientID(id),
		// TCP and TLS are dialled by connect so a failure says which
		// step failed; the dial is bounded by the timeout.
		kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
			return built.Dial(ctx, network, host, timeout, diag)
		}),
	}
	if built != nil && built.SASL != nil {
		opts = append(opts, kgo.SASL(built.SASL))
	}
	if diag != nil {
		opts = append(opts, kgo.WithHooks(diag))
	}
	return append(opts, o.extra...), nil
}

func timeoutOf(o Options) time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}
