package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rewind-log/rewind/backend/registry"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultListen is the embedded log's documented default address. 19092
// avoids clashing with a local Kafka on 9092.
const DefaultListen = "127.0.0.1:19092"

// DefaultDataDir is $XDG_DATA_HOME/rewind, else ~/.local/share/rewind.
func DefaultDataDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "rewind")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "share", "rewind")
	}
	// No home (some containers): still a stable, per-machine place.
	return filepath.Join(os.TempDir(), "rewind")
}

// EmbeddedConfig configures StartEmbedded.
type EmbeddedConfig struct {
	// DataDir holds the log (DataDir/log), the lock and rewind's own state.
	// Required.
	DataDir string
	// Listen is host:port, default DefaultListen; port 0 picks a free port.
	Listen string
	// Demo seeds the demo world on first start and runs live traffic and
	// the demo consumer groups while the log is open.
	Demo bool
	// Log receives diagnostics; nil discards them. Nothing is ever written
	// to stdout/stderr by default: the TUI owns the terminal.
	Log io.Writer
	// RegistryListen is the embedded schema registry's host:port. Empty:
	// registry.DefaultListen, or a free port when Listen's port is 0.
	RegistryListen string
	// ReadOnly serves the log read-only (embedded_readonly.go): every
	// client's writes are refused as a Kafka ACL denial would refuse them,
	// the schema registry refuses changes, and there is no demo world,
	// traffic or demo consumers. rewind's own retention still runs.
	ReadOnly bool
	// Sync fsyncs every produced batch before acknowledging it (kfake
	// SyncWrites). Without it a batch is on disk only at a segment roll or
	// close: a power loss (not a crash of the process) can lose
	// acknowledged records.
	Sync bool
	// AcceptDamage starts on a data dir whose log cannot be read whole
	// (datadir_check.go), dropping the unreadable records, instead of
	// refusing; the damage is still reported through Log and Damage().
	AcceptDamage bool
	// OnRefused is told of each write a read-only log refused (once per
	// request), from its own goroutine: the audit trail.
	OnRefused func(Refusal)

	// tune overrides intervals and sizes; tests only.
	tune embeddedTuning
}

// embeddedTuning holds the knobs tests shorten. Zero fields take defaults.
type embeddedTuning struct {
	retentionEvery time.Duration // retention pass period (default 30s)
	compactEvery   time.Duration // compaction attempt period (default 10m)
	trafficEvery   time.Duration // demo producer tick (default 600ms)
	analyticsDelay time.Duration // per-record delay of the lagging demo group (default 8s)
	demoScale      float64       // demo data size factor (default 1)
}

func (t *embeddedTuning) defaults() {
	if t.retentionEvery <= 0 {
		t.retentionEvery = 30 * time.Second
	}
	if t.compactEvery <= 0 {
		t.compactEvery = 10 * time.Minute
	}
	if t.trafficEvery <= 0 {
		t.trafficEvery = 600 * time.Millisecond
	}
	if t.analyticsDelay <= 0 {
		// The live producer writes ~0.45 payments/s; at one record per 8s
		// analytics-etl's lag grows by about 20 a minute.
		t.analyticsDelay = 8 * time.Second
	}
	if t.demoScale <= 0 {
		t.demoScale = 1
	}
}

// Embedded is a running embedded log: a one-broker kfake cluster persisted
// in a locked data dir, with rewind's own retention driver and, optionally,
// the demo world.
type Embedded struct {
	cfg  EmbeddedConfig
	dir  string
	addr string

	lock *dirLock
	kf   *kfake.Cluster
	cl   *kgo.Client // internal client: retention, seeding, log-start restore
	adm  *kadm.Client

	logMu sync.Mutex

	stateMu sync.Mutex
	state   logStartState

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// demoStarted: demo traffic and consumers were started (set once, in
	// StartEmbedded).
	demoStarted bool

	closeOnce sync.Once
	closeErr  error

	reg *registry.Server // the embedded schema registry (embedded_registry.go)
	ro  *readOnlyState   // nil unless ReadOnly (embedded_readonly.go)

	damage *DamagedError // accepted damage (AcceptDamage), nil if none
}

// Damage is the damage found and accepted at start (AcceptDamage), nil if
// the log read whole.
func (e *Embedded) Damage() *DamagedError { return e.damage }

// startupMemoryLimit is the Go heap's soft limit while kfake loads the log
// (see StartEmbedded); above it the GC runs more often, it does not fail.
const startupMemoryLimit = 192 << 20

// brokerNeverTick is log.cleaner.backoff.ms for kfake: about 100 years.
// kfake's own cleaner applies retention in a way that can empty a partition
// (which then reopens at offset 0 after a restart), so its timer must never
// fire; retention.go drives retention and compaction instead. The value
// keeps ms*1e6 inside an int64 Duration.
const brokerNeverTick = "3153600000000"

// StartEmbedded starts the embedded log. ctx bounds startup (including demo
// seeding) and the life of background work; Close must still be called.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded log: no data dir given")
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	host, port, err := splitListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	cfg.tune.defaults()
	if cfg.ReadOnly {
		cfg.Demo = false // read-only means nothing writes, demo traffic included
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create data dir %s: %w", dir, unwrapPath(err))
	}
	if err := probeWritable(dir); err != nil {
		return nil, err
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return nil, err
	}

	e := &Embedded{cfg: cfg, dir: dir, lock: lock}
	fail := func(err error) (*Embedded, error) {
		e.shutdown()
		return nil, err
	}
	// Before kfake opens the log: it would truncate a damaged segment.
	if err := checkSegments(dir); err != nil {
		var de *DamagedError
		if !errors.As(err, &de) || !cfg.AcceptDamage {
			return fail(err)
		}
		e.damage = de
		e.logf("%v (accepted: --accept-damage)", err)
	}

	// kfake binds 127.0.0.1:<port>; ListenFn lets us honour another host.
	// The listen error is kept so a taken port gets a one-line message
	// instead of kfake's wrapped one.
	listenAddr := net.JoinHostPort(host, strconv.Itoa(port))
	var listenErr error
	gate := make(chan struct{}) // read-only: no client before the faults
	openGate := sync.OnceFunc(func() { close(gate) })
	defer openGate() // failure paths: never leave kfake's accept loop parked
	listen := func(network, _ string) (net.Listener, error) {
		ln, err := net.Listen(network, listenAddr)
		if err != nil {
			listenErr = err
			return nil, err
		}
		if cfg.ReadOnly {
			return &gatedListener{Listener: advertise(ln), open: gate, closed: make(chan struct{})}, nil
		}
		return advertise(ln), nil
	}
	var kfLog kfake.Logger = kfake.BasicLogger(io.Discard, kfake.LogLevelNone)
	if cfg.Log != nil {
		kfLog = kfake.BasicLogger(&lockedWriter{mu: &e.logMu, w: cfg.Log}, kfake.LogLevelWarn)
	}
	// kfake reads every segment file whole at start-up to rebuild its
	// index, then keeps only the index and reads records back from disk:
	// the rest is garbage the size of the log. A soft memory limit while it
	// loads makes the GC collect as it goes; FreeOSMemory hands what is left
	// back to the OS (a 1.2 GB log held 1.2 GB after start without this).
	prevLimit := debug.SetMemoryLimit(startupMemoryLimit)
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.ListenFn(listen),
		kfake.DataDir(filepath.Join(dir, "log")),
		kfake.WithLogger(kfLog),
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": brokerNeverTick}),
	}
	if cfg.Sync {
		kopts = append(kopts, kfake.SyncWrites())
	}
	kf, err := kfake.NewCluster(kopts...)
	debug.SetMemoryLimit(prevLimit)
	debug.FreeOSMemory()
	if err != nil {
		if listenErr != nil {
			return fail(listenError(listenAddr, listenErr))
		}
		return fail(fmt.Errorf("starting embedded log in %s: %w", dir, err))
	}
	e.kf = kf
	if cfg.ReadOnly {
		e.refuseWrites()
		openGate()
	}
	addrs := kf.ListenAddrs()
	if len(addrs) == 0 {
		return fail(errors.New("embedded log: no listener"))
	}
	e.addr = addrs[0]

	e.cl, err = NewClient(e.clientOptions(), "embedded",
		kgo.RetryTimeout(10*time.Second),
		// kadm answers from cached metadata up to this age; the default
		// 5s would hide a just-created topic from a retention pass or
		// from seeding. Metadata from the in-process broker is cheap.
		kgo.MetadataMinAge(100*time.Millisecond),
	)
	if err != nil {
		return fail(fmt.Errorf("embedded log: internal client: %w", err))
	}
	e.adm = kadm.NewClient(e.cl)

	if err := e.loadState(); err != nil {
		return fail(err)
	}
	// Undo what a crash undid: kfake keeps log start offsets only in its
	// clean-shutdown snapshot.
	if err := e.restoreLogStarts(ctx); err != nil {
		return fail(fmt.Errorf("embedded log: restoring log start offsets: %w", err))
	}

	if err := e.startRegistry(); err != nil {
		return fail(err)
	}

	bg, cancel := context.WithCancel(ctx)
	e.cancel = cancel
	if e.ro != nil {
		if err := e.writeReadOnlyMark(); err != nil {
			return fail(fmt.Errorf("data dir %s: %w", dir, err))
		}
		e.wg.Add(1)
		go e.reportRefusals(bg)
	}

	var demo bool
	if cfg.Demo {
		demo, err = e.seedDemo(ctx)
		if err != nil {
			return fail(fmt.Errorf("seeding demo world in %s: %w", dir, err))
		}
	}
	var sdemo *schemaDemo // demo_schemas.go: Avro and Protobuf topics
	if demo {
		if sdemo, err = e.seedSchemaDemo(ctx); err != nil {
			return fail(fmt.Errorf("seeding demo world in %s: %w", dir, err))
		}
	}
	e.wg.Add(1)
	go e.retentionLoop(bg)
	if demo {
		e.startDemo(bg)
	}
	if sdemo != nil {
		e.startSchemaDemo(bg, sdemo)
	}
	e.logf("embedded log listening on %s, data dir %s", e.addr, dir)
	return e, nil
}

// Addr is the host:port the log listens on (dialable: an unspecified bind
// host is reported as 127.0.0.1).
func (e *Embedded) Addr() string { return e.addr }

// clientOptions are the connection options of the embedded log's own clients
// (admin, demo traffic): plaintext to the in-process broker.
func (e *Embedded) clientOptions() Options {
	return Options{Brokers: []string{e.addr}, Embedded: true, Timeout: 5 * time.Second}
}

// DataDir is the absolute data dir.
func (e *Embedded) DataDir() string { return e.dir }

// Close stops demo traffic and consumers, then the retention driver, then
// kfake (which writes its snapshot), then releases the lock. Idempotent.
func (e *Embedded) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.shutdown() })
	return e.closeErr
}

// shutdown tears down whatever StartEmbedded got to, in dependency order.
func (e *Embedded) shutdown() error {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
	e.removeReadOnlyMark()
	e.closeRegistry()
	if e.cl != nil {
		e.cl.Close()
	}
	if e.kf != nil {
		e.kf.Close()
	}
	var err error
	if e.lock != nil {
		if lerr := e.lock.release(); lerr != nil {
			err = fmt.Errorf("releasing lock on %s: %w", e.dir, lerr)
		}
	}
	return err
}

func (e *Embedded) logf(format string, args ...any) {
	if e.cfg.Log == nil {
		return
	}
	e.logMu.Lock()
	defer e.logMu.Unlock()
	fmt.Fprintf(e.cfg.Log, "rewind: "+format+"\n", args...)
}

// lockedWriter serialises kfake's log lines with ours.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func splitListen(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: want host:port", s)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: bad port %q", s, p)
	}
	return host, port, nil
}

func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: address already in use (pick another with --listen)", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot listen on %s: address not available on this machine (pick another with --listen)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (pick a port above 1023 with --listen)", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, unwrapNet(err))
}

// unwrapNet drops the "listen tcp ...:" prefix net.OpError adds, since our
// message already names the address.
func unwrapNet(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// unwrapPath drops the path from *PathError: our messages name the dir.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Err != nil {
		return pe.Err
	}
	return err
}

// probeWritable fails early with a clear message rather than letting kfake
// fail deep inside its first snapshot write.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	_ = os.Remove(name)
	return nil
}

// advertise makes a listener bound to an unspecified address (0.0.0.0, ::)
// report 127.0.0.1: kfake advertises the listener's address in metadata,
// and clients cannot dial 0.0.0.0 everywhere.
func advertise(ln net.Listener) net.Listener {
	ta, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return ln
	}
	return &advertisedListener{Listener: ln, addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ta.Port}}
}

type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l *advertisedListener) Addr() net.Addr { return l.addr }
