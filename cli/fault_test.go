package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Fault tests: a separate `rewind serve` process is frozen (SIGSTOP, then
// SIGCONT after a random pause) or killed (SIGKILL, restarted on the same
// port, or not) at a random point of a bounded read; in the projection
// scenario the reading rewind process itself is killed too. Every run must
// end complete and identical to a clean run, or non-zero with a message on
// stderr and only a clean prefix on stdout; a projection that stopped must
// resume to the clean run's checksum. Never exit 0 with partial output.
//
// `go test ./cli` runs a few randomized runs per scenario; the longer run
// is .ci/faults (go test ./cli -run TestFault -fault.runs N).

var (
	faultRuns = flag.Int("fault.runs", 2, "randomized runs per fault scenario (.ci/faults runs more)")
	faultSeed = flag.Uint64("fault.seed", 0, "seed of the randomized fault runs (0: from the clock; logged)")
)

// faultFlags are the client flags of the faulted runs: short bounds so a
// frozen broker fails a run in seconds rather than the default 30s. Clean
// runs, resumes and checks keep the defaults: a loaded machine must not
// fail them.
var faultFlags = []string{"--timeout", "2s", "--stall-timeout", "4s"}

func faultRand(t *testing.T) *rand.Rand {
	seed := *faultSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("fault seed %d (rerun with -fault.seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

// faultServe is a `rewind serve` child on a fixed port, so it can be
// restarted where the clients look for it.
type faultServe struct {
	t    *testing.T
	dir  string
	addr string
	env  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	frozen bool
}

func startFaultServe(t *testing.T) *faultServe {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &faultServe{t: t, dir: t.TempDir(), addr: addr, env: testkit.CleanEnv(t.TempDir())}
	s.start()
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cmd != nil {
			_ = s.cmd.Process.Signal(syscall.SIGCONT)
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			_ = s.cmd.Wait()
		}
	})
	return s
}

// start runs serve and waits for its "data dir" line (it is listening).
func (s *faultServe) start() {
	s.t.Helper()
	cmd := exec.Command(testkit.Binary(s.t), "--data-dir", s.dir, "--listen", s.addr,
		"--registry-listen", "127.0.0.1:0", "--no-demo", "serve")
	cmd.Env = s.env
	out, stderr := testkit.Start(s.t, cmd)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data dir ") {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			s.mu.Lock()
			s.cmd, s.frozen = cmd, false
			s.mu.Unlock()
			return
		}
	}
	_ = cmd.Wait()
	s.t.Fatalf("serve on %s ended before listening: %s", s.addr, stderr.String())
}

func (s *faultServe) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	switch sig {
	case syscall.SIGSTOP:
		s.frozen = true
	case syscall.SIGCONT:
		s.frozen = false
	}
}

// kill SIGKILLs serve and reaps it.
func (s *faultServe) kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// healthy makes sure serve runs and is not frozen (before the next run).
func (s *faultServe) healthy() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if !running {
		s.start()
	}
}

// fault is one randomized fault: freeze for a while, or kill and restart
// after a while (or never, within the run), or kill the client.
type fault struct {
	kind  string // freeze | kill | kill-norestart | kill-client
	pause time.Duration
}

func (f fault) String() string { return fmt.Sprintf("%s %s", f.kind, f.pause.Round(time.Millisecond)) }

func randomFault(r *rand.Rand, kinds ...string) fault {
	f := fault{kind: kinds[r.IntN(len(kinds))]}
	// Pauses on both sides of the 4s stall timeout.
	f.pause = time.Duration(100+r.IntN(6000)) * time.Millisecond
	return f
}

// apply runs f against serve (or client), closing inPlace once the fault
// has hit, and returns when it is over.
func (s *faultServe) apply(f fault, client *os.Process, inPlace chan struct{}) {
	var once sync.Once
	hit := func() { once.Do(func() { close(inPlace) }) }
	defer hit()
	switch f.kind {
	case "freeze":
		s.signal(syscall.SIGSTOP)
		hit()
		time.Sleep(f.pause)
		s.signal(syscall.SIGCONT)
	case "kill":
		s.kill()
		hit()
		time.Sleep(f.pause)
		s.start()
	case "kill-norestart":
		s.kill()
	case "kill-client":
		_ = client.Kill()
	}
}

// faultTopic fills topic f: 4 partitions of n records each with keys k0..k49
// and values {"n": i, "pad": 1000 hex digits}.
func faultTopic(t *testing.T, addr string, n int) {
	b := testkit.Connect(t, addr)
	b.CreateTopic("f", 4, nil)
	// Incompressible padding: the producer compresses, and a topic that
	// fits in one fetch would leave nothing to fault.
	pad := rand.New(rand.NewPCG(1, 2))
	var recs []*kgo.Record
	for p := range int32(4) {
		for i := range n {
			b := make([]byte, 500)
			for j := range b {
				b[j] = byte(pad.Uint32())
			}
			recs = append(recs, &kgo.Record{Topic: "f", Partition: p, Key: []byte(fmt.Sprintf("k%d", i%50)),
				Value: []byte(fmt.Sprintf(`{"n":%d,"pad":"%x"}`, i, b))})
		}
	}
	b.Produce(recs...)
}

// byPartition groups consume -o json lines by partition, checking each
// partition's offsets only increase.
func byPartition(t *testing.T, out string) map[int32][]string {
	m := map[int32][]string{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var r struct {
			Partition int32
			Offset    int64
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not a record line %q: %v", l, err)
		}
		m[r.Partition] = append(m[r.Partition], l)
	}
	return m
}

// faultTally counts how the runs ended.
type faultTally struct {
	complete, failedLoudly, resumed int
}

func (ft faultTally) log(t *testing.T, what string) {
	t.Logf("%s: %d runs: %d complete and identical, %d non-zero with a message (%d of those completed by resume / a second publish)",
		what, ft.complete+ft.failedLoudly, ft.complete, ft.failedLoudly, ft.resumed)
}

// runUnderFault starts the client, applies f once trigger fires, and waits
// for the client to end by itself (or be killed by f).
func runUnderFault(t *testing.T, s *faultServe, f fault, trigger <-chan struct{}, inPlace chan struct{}, onStdout func(io.Reader), args ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), args...)
	cmd.Env = testkit.CleanEnv(t.TempDir())
	out, errb := testkit.Start(t, cmd)
	read := make(chan struct{})
	go func() { onStdout(out); close(read) }()
	faulted := make(chan struct{})
	go func() {
		defer close(faulted)
		select {
		case <-trigger:
			s.apply(f, cmd.Process, inPlace)
		case <-read:
		}
	}()
	<-read
	// A run ends by itself: a hang would show here as the test timeout
	// after the deadline below.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(4 * testkit.WaitTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v under %s: still running after %s (hung); stderr %s", args, f, 4*testkit.WaitTimeout, errb.String())
	}
	<-faulted
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String()
}

// TestFaultConsumeUntilEnd: `consume --until end` against a serve process
// that is frozen or killed at a random record.
func TestFaultConsumeUntilEnd(t *testing.T) {
	r := faultRand(t)
	s := startFaultServe(t)
	const perPart = 6000
	faultTopic(t, s.addr, perPart)
	args := []string{"-b", s.addr, "consume", "f", "--until", "end"}
	code, clean, errb := runCLI(args...)
	args = append(append([]string{"-b", s.addr}, faultFlags...), args[2:]...)
	if code != 0 {
		t.Fatalf("clean run: %d %s", code, errb)
	}
	want := byPartition(t, clean)
	total := 0
	for _, ls := range want {
		total += len(ls)
	}
	if total != 4*perPart {
		t.Fatalf("clean run read %d records, want %d", total, 4*perPart)
	}

	var tally faultTally
	for i := range *faultRuns {
		s.healthy()
		f := randomFault(r, "freeze", "kill", "kill-norestart")
		// The fault hits after this many records were read from stdout.
		// Reading stops until it is in place: the client, blocked on its
		// stdout, has then fetched at most two responses ahead, and the
		// rest of the topic is still to be fetched.
		at := r.IntN(total * 2 / 3)
		trigger, inPlace := make(chan struct{}), make(chan struct{})
		var got bytes.Buffer
		code, errb := runUnderFault(t, s, f, trigger, inPlace, func(out io.Reader) {
			br := bufio.NewReader(out)
			for n := 0; ; n++ {
				if n == at {
					close(trigger)
					<-inPlace
				}
				l, err := br.ReadString('\n')
				got.WriteString(l)
				if err != nil {
					return
				}
			}
		}, args...)
		gotp := byPartition(t, got.String())
		t.Logf("run %d: %s after %d records: exit %d, %d records, stderr %q", i, f, at, code, strings.Count(got.String(), "\n"), lastLine(errb))
		if code == 0 {
			for p, ls := range want {
				if !slices.Equal(gotp[p], ls) {
					t.Fatalf("run %d (%s): exit 0 but partition %d has %d records, clean run %d (or they differ)", i, f, p, len(gotp[p]), len(ls))
				}
			}
			tally.complete++
			continue
		}
		if strings.TrimSpace(errb) == "" || !strings.Contains(errb, "rewind:") {
			t.Fatalf("run %d (%s): exit %d with no message on stderr", i, f, code)
		}
		// What it did print is the clean run's records, in order, none twice.
		for p, ls := range gotp {
			if len(ls) > len(want[p]) || !slices.Equal(ls, want[p][:len(ls)]) {
				t.Fatalf("run %d (%s): partition %d output is not a prefix of the clean run", i, f, p)
			}
		}
		tally.failedLoudly++
	}
	tally.log(t, "consume --until end")
}

// TestFaultProjectRunResume: `project run --until end` under a frozen or
// killed serve, or killed itself; a run that did not finish resumes (once
// serve is back) to exactly the clean run's table.
func TestFaultProjectRunResume(t *testing.T) {
	r := faultRand(t)
	s := startFaultServe(t)
	faultTopic(t, s.addr, 6000)
	dir := t.TempDir()
	spec := filepath.Join(dir, "fsum.yaml")
	if err := os.WriteFile(spec, []byte("name: fsum\ntopic: f\naggregate: sum\nvalue: value.n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"-b", s.addr, "--data-dir", dir}
	cmdArgs := func(a ...string) []string { return append(append([]string{}, base...), a...) }
	faulted := func(a ...string) []string { return append(cmdArgs(faultFlags...), a...) }
	show := func(id string) (status, sum string) {
		t.Helper()
		code, out, errb := runCLI(cmdArgs("project", "show", id, "-o", "json")...)
		var m struct{ Status, Checksum string }
		if code == 1 && strings.Contains(errb, "no such projection run") {
			return "absent", "" // the run failed before it began
		}
		if code != 0 || json.Unmarshal([]byte(out), &m) != nil {
			t.Fatalf("show %s: %d %s %s", id, code, out, errb)
		}
		return m.Status, m.Checksum
	}

	// The clean run is a process like the faulted ones, so its duration
	// (start-up, offsets, fetches, checkpoints) spans their fault points.
	cleanTook, code, errb := timedRun(t, cmdArgs("project", "run", spec, "--name", "clean")...)
	if code != 0 {
		t.Fatalf("clean run: %d %s", code, errb)
	}
	status, want := show("clean")
	if status != "done" || want == "" {
		t.Fatalf("clean run: %s %s", status, want)
	}

	var tally faultTally
	for i := range *faultRuns {
		s.healthy()
		id := fmt.Sprintf("r%d", i)
		f := randomFault(r, "freeze", "kill", "kill-norestart", "kill-client")
		after := time.Duration(r.Int64N(int64(cleanTook) + 1))
		trigger, inPlace := make(chan struct{}), make(chan struct{})
		go func() { time.Sleep(after); close(trigger) }()
		code, errb := runUnderFault(t, s, f, trigger, inPlace, func(out io.Reader) { _, _ = io.Copy(io.Discard, out) },
			faulted("project", "run", spec, "--name", id)...)
		st, sum := show(id)
		t.Logf("run %d: %s after %s: exit %d, status %s, stderr %q", i, f, after.Round(time.Millisecond), code, st, lastLine(errb))
		if code == 0 {
			if st != "done" || sum != want {
				t.Fatalf("run %d (%s): exit 0 but status %s checksum %s, clean %s", i, f, st, sum, want)
			}
			tally.complete++
			continue
		}
		if f.kind != "kill-client" && strings.TrimSpace(errb) == "" {
			t.Fatalf("run %d (%s): exit %d with no message", i, f, code)
		}
		if st == "done" {
			t.Fatalf("run %d (%s): exit %d but the run says done", i, f, code)
		}
		tally.failedLoudly++
		s.healthy()
		again := cmdArgs("project", "resume", id)
		if st == "absent" {
			again = cmdArgs("project", "run", spec, "--name", id)
		}
		code, out, errb := runCLI(again...)
		if code != 0 {
			t.Fatalf("run %d (%s): resume: %d %s %s", i, f, code, out, errb)
		}
		if st, sum := show(id); st != "done" || sum != want {
			t.Fatalf("run %d (%s): resumed to status %s checksum %s, clean %s", i, f, st, sum, want)
		}
		tally.resumed++
	}
	tally.log(t, "project run --until end + resume")
}

// timedRun runs the binary to its end and says how long it took.
func timedRun(t *testing.T, args ...string) (time.Duration, int, string) {
	t.Helper()
	cmd := exec.Command(testkit.Binary(t), args...)
	cmd.Env = testkit.CleanEnv(t.TempDir())
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		return took, ee.ExitCode(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return took, 0, errb.String()
}

// TestFaultPublish: `project publish --yes` under a frozen or killed serve,
// or killed itself. A publish that exits 0 left the topic equal to the
// table (a dry run then has nothing to write); one that failed says so, and
// publishing again once serve is back completes it.
func TestFaultPublish(t *testing.T) {
	r := faultRand(t)
	s := startFaultServe(t)
	faultTopic(t, s.addr, 6000)
	dir := t.TempDir()
	spec := filepath.Join(dir, "keys.yaml")
	// 6000 keys: a publish of 6000 upserts, long enough to be hit.
	if err := os.WriteFile(spec, []byte("name: keys\ntopic: f\nkey: value.n\naggregate: count\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"-b", s.addr, "--data-dir", dir}
	cmdArgs := func(a ...string) []string { return append(append([]string{}, base...), a...) }
	faulted := func(a ...string) []string { return append(cmdArgs(faultFlags...), a...) }
	if code, out, errb := runCLI(cmdArgs("project", "run", spec, "--name", "keys")...); code != 0 || !strings.Contains(out, "6000 rows") {
		t.Fatalf("run: %d %s %s", code, out, errb)
	}
	published := func(topic string) bool {
		t.Helper()
		_, out, errb := runCLI(cmdArgs("project", "publish", "keys", "--topic", topic)...)
		if !strings.Contains(out, "would write 0 upserts and 0 tombstones; 6000 keys unchanged") {
			t.Logf("dry run on %s: %s %s", topic, out, errb)
			return false
		}
		return true
	}
	cleanTook, code, errb := timedRun(t, cmdArgs("project", "publish", "keys", "--topic", "pub-clean", "--yes")...)
	if code != 0 || !published("pub-clean") {
		t.Fatalf("clean publish: %d %s", code, errb)
	}

	var tally faultTally
	for i := range *faultRuns {
		s.healthy()
		topic := fmt.Sprintf("pub-%d", i)
		f := randomFault(r, "freeze", "kill", "kill-norestart", "kill-client")
		// Half the runs fault at a random time of the clean publish's
		// duration (mostly start-up), half once the topic exists (the
		// writes).
		after := time.Duration(r.Int64N(int64(cleanTook) + 1))
		onWrite := r.IntN(2) == 0
		if onWrite {
			after = time.Duration(r.IntN(100)) * time.Millisecond
		}
		trigger, inPlace := make(chan struct{}), make(chan struct{})
		// after is passed by value: the loop below rewrites it for the log
		// while this goroutine may still be waiting for the topic.
		go func(after time.Duration) {
			if onWrite {
				waitTopic(s.addr, topic)
			}
			time.Sleep(after)
			close(trigger)
		}(after)
		code, errb := runUnderFault(t, s, f, trigger, inPlace, func(out io.Reader) { _, _ = io.Copy(io.Discard, out) },
			faulted("project", "publish", "keys", "--topic", topic, "--yes")...)
		if onWrite {
			after = -after // logged as "after -Nms": N ms after the topic appeared
		}
		t.Logf("run %d: %s after %s: exit %d, stderr %q", i, f, after.Round(time.Millisecond), code, lastLine(errb))
		s.healthy()
		if code == 0 {
			if !published(topic) {
				t.Fatalf("run %d (%s): exit 0 but %s differs from the table", i, f, topic)
			}
			tally.complete++
			continue
		}
		if f.kind != "kill-client" && strings.TrimSpace(errb) == "" {
			t.Fatalf("run %d (%s): exit %d with no message", i, f, code)
		}
		tally.failedLoudly++
		if code, out, errb := runCLI(cmdArgs("project", "publish", "keys", "--topic", topic, "--yes")...); code != 0 || !published(topic) {
			t.Fatalf("run %d (%s): publishing again: %d %s %s", i, f, code, out, errb)
		}
		tally.resumed++
	}
	tally.log(t, "project publish --yes")
}

// waitTopic returns once topic exists on addr (or after a while: the
// publish may have failed before creating it).
func waitTopic(addr, topic string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(testkit.WaitTimeout / 4)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		td, err := adm.ListTopics(ctx, topic)
		cancel()
		if err == nil && td.Has(topic) && td[topic].Err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
