package backend

import (
	"context"
	"fmt"
)

// ClusterID is the cluster id the brokers report in metadata ("" when they
// report none, as very old brokers do). It names the cluster's lag history.
func (c *Cluster) ClusterID(ctx context.Context) (string, error) {
	ctx, cancel := c.reqCtx(ctx)
	defer cancel()
	md, err := c.adm.BrokerMetadata(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot reach %s: %w", c.Addr(), cleanErr(err))
	}
	return md.Cluster, nil
}
