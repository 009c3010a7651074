package views

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/internal/testcerts"
	"github.com/rewind-log/rewind/themes"
)

// The screens on a broker that accepts only SASL_SSL (SCRAM-SHA-256,
// client certificates required): topics, partitions, records, the live
// tail and the groups list all load through the one client factory.
func TestScreensOnSecureCluster(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "views CA")
	srv, cli := ca.Issue(t, "broker", true, time.Time{}), ca.Issue(t, "ui", false, time.Time{})
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "viewer", "v-pw-31"),
		kfake.TLS(testcerts.ServerTLS(srv, ca)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	p := &connect.Profile{}
	for k, v := range map[string]string{
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": "viewer", "sasl.password": "v-pw-31",
		"ssl.ca.location":          testcerts.Write(t, dir, "ca.pem", ca.PEM),
		"ssl.certificate.location": testcerts.Write(t, dir, "c.pem", cli.CertPEM),
		"ssl.key.location":         testcerts.Write(t, dir, "c.key", cli.KeyPEM),
	} {
		if err := p.Set(k, v, "test"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	c, err := backend.Connect(ctx, backend.Options{Brokers: kc.ListenAddrs(), Security: p.Security, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.CreateTopic(ctx, "secure-orders", 2, nil); err != nil {
		t.Fatal(err)
	}
	prod, err := c.NewClient("test-producer", kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	for i := 0; i < 20; i++ {
		if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "secure-orders", Partition: int32(i % 2),
			Key: []byte(fmt.Sprintf("sk-%02d", i)), Value: []byte(`{"ok":true}`)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	offs := kadm.Offsets{}
	offs.AddOffset("secure-orders", 0, 3, -1)
	if err := kadm.NewClient(prod).CommitAllOffsets(ctx, "secure-billing", offs); err != nil {
		t.Fatal(err)
	}
	th, err := themes.Get("dark")
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Cluster: c, Theme: th}
	h := startApp(t, env, NewTopics(env), 120, 30)
	var seen []string
	seen = append(seen, h.waitText(t, "secure-orders"))
	h.keys("enter")
	seen = append(seen, h.waitText(t, "2 partitions"))
	h.keys("enter")
	seen = append(seen, h.waitText(t, "sk-00", "sk-18"))
	h.keys("f") // live tail: a new record shows up
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "secure-orders", Partition: 0, Key: []byte("sk-live"), Value: []byte("{}")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, h.waitText(t, "sk-live"))
	h.keys("esc", "esc", ":")
	h.typeText("groups")
	h.keys("enter")
	seen = append(seen, h.waitText(t, "secure-billing"))
	// The password is on no screen (breadcrumbs, status bar, errors).
	for _, scr := range seen {
		if strings.Contains(scr, "v-pw-31") {
			t.Fatalf("the password is on screen:\n%s", scr)
		}
	}
}
