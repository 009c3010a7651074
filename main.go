// Command rewind is a terminal UI and CLI for Kafka-protocol logs: browse
// topics and records, watch consumer lag, and reprocess safely. With no
// brokers it runs an embedded, persistent Kafka-protocol log with demo data.
package main

import (
	"os"

	"github.com/rewind-log/rewind/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
