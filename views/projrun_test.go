package views

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/project"
)

// :projections starts a run (a spec picked from a directory, a start
// position, its id) in the background and shows it finish; an interrupted
// run is resumed from its checkpoint.
func TestProjectionStartAndResumeInTUI(t *testing.T) {
	goroutinesSettle(t)
	env, cl := dataEnv(t)
	env.Runs = NewRuns()
	t.Cleanup(env.Runs.Close)
	createTopic(t, cl, "orders", 1, nil)
	for i := range 30 {
		produce(t, cl, &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprint(i)), Value: fmt.Appendf(nil, `{"customer_id":"c%d","amount":%d}`, i%3, i)})
	}
	specs := t.TempDir()
	spec := "name: rev\ntopic: orders\nkey: value.customer_id\naggregate: sum\nvalue: value.amount\n"
	if err := os.WriteFile(filepath.Join(specs, "rev.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}

	h := startApp(t, env, NewProjections(env), 140, 30)
	h.waitText(t, "n: start one")
	h.keys("n")
	h.waitText(t, "Start a projection run", "spec:")
	backspace(h, 40)
	h.answer(t, specs, "a directory: type one of rev.yaml")
	h.answer(t, "/rev.yaml", "from:")
	h.answer(t, "2", "run id:")
	h.answer(t, "rev-tui", "run rev-tui of rev (sum) on orders: 1 partition, 28 records to read, from 2", "type yes")
	h.answer(t, "yes", "✓ started run rev-tui in the background")
	h.keys("esc")
	h.waitLine(t, "rev-tui", "rev", "sum", "done")
	m, err := project.LoadMeta(env.DataDir, "rev-tui")
	if err != nil || m.Progress == nil || m.Progress.Done != 28 || m.Progress.Rows != 3 {
		t.Fatalf("run: %+v %v", m, err)
	}

	// An interrupted live run resumes from its checkpoint.
	s, err := project.ParseSpec("rev.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	comp, err := project.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = project.Start(ctx, env.Cluster, comp, project.Options{DataDir: env.DataDir, ID: "rev-live", Live: true})
	}()
	testkitWait(t, func() bool {
		m, err := project.LoadMeta(env.DataDir, "rev-live")
		return err == nil && m.Progress != nil && m.Progress.Done == 30
	})
	cancel()
	<-done
	h.waitLine(t, "rev-live", "rev", "sum", "stopped")
	h.keys("down") // runs are listed oldest first
	h.keys("c")
	h.waitText(t, "Resume projection run rev-live", "run rev-live of rev: stopped, 30 of 30 checkpointed", "type yes")
	h.answer(t, "yes", "✓ resumed run rev-live in the background")
	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(last)
		}
	})
	produce(t, cl, &kgo.Record{Topic: "orders", Key: []byte("x"), Value: []byte(`{"customer_id":"c9","amount":5}`)})
	testkitWait(t, func() bool {
		m, err := project.LoadMeta(env.DataDir, "rev-live")
		if err == nil && m.Progress != nil && m.Progress.Stats.Applied == 31 && m.Status == project.StatusRunning {
			return true
		}
		last = fmt.Sprintf("%+v %v %+v", m, err, m.Progress)
		return false
	})
	h.keys("esc")
	h.waitLine(t, "rev-live", "running")
	h.keys("c") // a running run is not resumed twice
	h.waitText(t, `✗ refused: run "rev-live" is running`)
	h.quit(t)
}

func testkitWait(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
