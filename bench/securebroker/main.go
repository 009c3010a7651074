// Command securebroker runs a kfake broker that accepts only SASL and/or
// TLS, to try rewind's connection settings as an operator would (a
// client.properties with -F, contexts switched in the TUI). It writes the
// CA, a client certificate and a client.properties into -dir and seeds a
// topic. Not for production: credentials are whatever the flags say.
//
//	go run ./bench/securebroker -listen 127.0.0.1:29092 -sasl SCRAM-SHA-512:alice:secret -tls -dir /tmp/sb
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/connect"
	"github.com/rewind-log/rewind/internal/testcerts"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

type fatal struct{}

func (fatal) Helper()           {}
func (fatal) Fatal(args ...any) { log.Fatal(args...) }

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	saslSpec := flag.String("sasl", "", "MECHANISM:USER:PASSWORD (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); empty = no SASL")
	useTLS := flag.Bool("tls", false, "serve TLS with a generated CA; client certificates required")
	dir := flag.String("dir", "", "where to write ca.pem, client.pem, client.key and client.properties (required)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		log.Fatal(err)
	}
	_, portS, err := splitPort(*listen)
	if err != nil {
		log.Fatal(err)
	}
	port, _ := strconv.Atoi(portS)
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port)}
	props := []string{}
	proto := "PLAINTEXT"
	if *saslSpec != "" {
		parts := strings.SplitN(*saslSpec, ":", 3)
		if len(parts) != 3 {
			log.Fatal("-sasl: want MECHANISM:USER:PASSWORD")
		}
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(parts[0], parts[1], parts[2]))
		proto = "SASL_PLAINTEXT"
		module := "org.apache.kafka.common.security.scram.ScramLoginModule"
		if parts[0] == "PLAIN" {
			module = "org.apache.kafka.common.security.plain.PlainLoginModule"
		}
		props = append(props, "sasl.mechanism="+parts[0],
			fmt.Sprintf(`sasl.jaas.config=%s required username="%s" password="%s";`, module, parts[1], parts[2]))
	}
	if *useTLS {
		ca := testcerts.NewCA(fatal{}, "securebroker CA")
		srv := ca.Issue(fatal{}, "securebroker", true, time.Time{})
		cl := ca.Issue(fatal{}, "rewind-user", false, time.Time{})
		opts = append(opts, kfake.TLS(testcerts.ServerTLS(srv, ca)))
		if proto == "PLAINTEXT" {
			proto = "SSL"
		} else {
			proto = "SASL_SSL"
		}
		props = append(props,
			"ssl.ca.location="+testcerts.Write(fatal{}, *dir, "ca.pem", ca.PEM),
			"ssl.certificate.location="+testcerts.Write(fatal{}, *dir, "client.pem", cl.CertPEM),
			"ssl.key.location="+testcerts.Write(fatal{}, *dir, "client.key", cl.KeyPEM))
	}
	kc, err := kfake.NewCluster(opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer kc.Close()
	addr := kc.ListenAddrs()[0]
	props = append([]string{"# written by securebroker", "bootstrap.servers=" + addr, "security.protocol=" + proto}, props...)
	propsPath := filepath.Join(*dir, "client.properties")
	if err := os.WriteFile(propsPath, []byte(strings.Join(props, "\n")+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	if err := seed(propsPath); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s (%s); properties in %s\n", addr, proto, propsPath)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}

// seed creates "events" (3 partitions, 300 records) through the same
// client factory rewind uses.
func seed(propsPath string) error {
	props, err := connect.ReadPropertiesFile(propsPath)
	if err != nil {
		return err
	}
	p := &connect.Profile{}
	if err := p.Apply(props); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := backend.Connect(ctx, backend.Options{Brokers: p.Brokers, Security: p.Security})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "events", 3, nil); err != nil {
		return err
	}
	cl, err := c.NewClient("securebroker-seed")
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := 0; i < 300; i++ {
		recs = append(recs, &kgo.Record{Topic: "events", Key: []byte(fmt.Sprintf("k%03d", i%40)),
			Value: []byte(fmt.Sprintf(`{"seq":%d,"kind":"demo"}`, i))})
	}
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

func splitPort(addr string) (string, string, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", fmt.Errorf("-listen %q: want host:port", addr)
	}
	return addr[:i], addr[i+1:], nil
}
