package backend

import (
	"fmt"
	"strings"

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
	opts, err := clientOpts(o, role)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", strings.Join(o.Brokers, ","), err)
	}
	return cl, nil
}

// NewClient builds a client for this cluster with the same connection
// settings as every other client of the run (see the package function).
func (c *Cluster) NewClient(role string, extra ...kgo.Opt) (*kgo.Client, error) {
	return NewClient(c.opts, role, extra...)
}

// clientOpts are the connection options shared by every client.
func clientOpts(o Options, role string) ([]kgo.Opt, error) {
	if len(o.Brokers) == 0 {
		return nil, fmt.Errorf("no brokers given")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
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
		kgo.DialTimeout(o.Timeout),
	}
	return append(opts, o.extra...), nil
}
