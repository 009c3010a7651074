package registry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rewind-log/rewind/internal/testkit"
	"github.com/twmb/franz-go/pkg/sr"
)

const avroV1 = `{"type":"record","name":"Shipment","fields":[{"name":"id","type":"string"}]}`
const avroV2 = `{"type":"record","name":"Shipment","fields":[{"name":"id","type":"string"},{"name":"carrier","type":["null","string"],"default":null}]}`

// TestMain doubles as the child process of the kill -9 test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("REWIND_REGISTRY_CHILD_DIR"); dir != "" {
		child(dir)
		return
	}
	os.Exit(m.Run())
}

// child registers schemas until it is killed, printing each id once the
// registry has acknowledged it.
func child(dir string) {
	s, err := Start(Config{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; i < 100000; i++ { // bounded: the parent kills it long before
		schema := fmt.Sprintf(`{"type":"record","name":"R%d","fields":[{"name":"f","type":"long"}]}`, i)
		code, body := post(s.URL()+"/subjects/kill-"+strconv.Itoa(i%3)+"-value/versions", map[string]any{"schema": schema})
		if code != 200 {
			fmt.Println("error", code, body)
			os.Exit(1)
		}
		var r struct{ ID int }
		_ = json.Unmarshal([]byte(body), &r)
		fmt.Printf("ok %d %d\n", i, r.ID)
	}
}

// post is a plain net/http client: what any non-rewind application does.
func post(url string, body any) (int, string) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func start(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Start(Config{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRESTRegisterSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	code, body := post(s.URL()+"/subjects/shipments-value/versions", map[string]any{"schema": avroV1})
	if code != 200 || !strings.Contains(body, `"id":1`) {
		t.Fatalf("register v1: %d %s", code, body)
	}
	// A newer Confluent client sends fields srfake alone would refuse.
	code, body = post(s.URL()+"/subjects/shipments-value/versions?normalize=false", map[string]any{"schema": avroV2, "schemaType": "AVRO", "version": nil, "id": nil, "metadata": nil})
	if code != 200 || !strings.Contains(body, `"id":2`) {
		t.Fatalf("register v2: %d %s", code, body)
	}
	code, body = post(s.URL()+"/subjects/money.proto/versions", map[string]any{"schema": "syntax = \"proto3\"; package m; message Money { int64 units = 1; }", "schemaType": "PROTOBUF"})
	if code != 200 {
		t.Fatalf("register proto ref: %d %s", code, body)
	}
	code, body = post(s.URL()+"/subjects/inventory-value/versions", map[string]any{
		"schema":     "syntax = \"proto3\"; import \"money.proto\"; message Stock { m.Money price = 1; }",
		"schemaType": "PROTOBUF",
		"references": []map[string]any{{"name": "money.proto", "subject": "money.proto", "version": 1}},
	})
	if code != 200 || !strings.Contains(body, `"id":4`) {
		t.Fatalf("register proto with reference: %d %s", code, body)
	}
	if code, body := get(t, s.URL()+"/schemas/types"); code != 200 || !strings.Contains(body, "PROTOBUF") {
		t.Fatalf("types: %d %s", code, body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := start(t, dir)
	code, body = get(t, s2.URL()+"/subjects/shipments-value/versions")
	if code != 200 || strings.TrimSpace(body) != "[1,2]" {
		t.Fatalf("versions after restart: %d %s", code, body)
	}
	cl, _ := sr.NewClient(sr.URLs(s2.URL()))
	sch, err := cl.SchemaByID(context.Background(), 2)
	if err != nil || sch.Schema != avroV2 {
		t.Fatalf("id 2 after restart: %v %q", err, sch.Schema)
	}
	sch, err = cl.SchemaByID(context.Background(), 4)
	if err != nil || len(sch.References) != 1 || sch.Type != sr.TypeProtobuf {
		t.Fatalf("id 4 after restart: %v %+v", err, sch)
	}
	// Ids continue where they were.
	code, body = post(s2.URL()+"/subjects/other-value/versions", map[string]any{"schema": `"string"`})
	if code != 200 || !strings.Contains(body, `"id":5`) {
		t.Fatalf("after restart: %d %s", code, body)
	}
	// Deletes persist too.
	req, _ := http.NewRequest(http.MethodDelete, s2.URL()+"/subjects/other-value", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delete: %v %v", err, resp)
	}
	resp.Body.Close()
	s2.Close()
	s3 := start(t, dir)
	if subs := s3.Subjects(); strings.Join(subs, ",") != "inventory-value,money.proto,shipments-value" {
		t.Fatalf("subjects after delete + restart: %v", subs)
	}
}

func TestInvalidSchemaRefusedAndNotPersisted(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	for _, body := range []map[string]any{
		{"schema": `{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}`},
		{"schema": "message {", "schemaType": "PROTOBUF"},
		{"schema": "{not json", "schemaType": "JSON"},
	} {
		code, out := post(s.URL()+"/subjects/bad-value/versions", body)
		if code != 422 || !strings.Contains(out, "42201") {
			t.Fatalf("%v: %d %s", body, code, out)
		}
	}
	s.Close()
	s2 := start(t, dir)
	if subs := s2.Subjects(); len(subs) != 0 {
		t.Fatalf("refused schemas persisted: %v", subs)
	}
}

func TestReadOnlyRefusesChanges(t *testing.T) {
	s, err := Start(Config{Dir: t.TempDir(), Listen: "127.0.0.1:0", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, out := post(s.URL()+"/subjects/x-value/versions", map[string]any{"schema": avroV1})
	if code != 422 || !strings.Contains(out, "read-only") {
		t.Fatalf("%d %s", code, out)
	}
	if code, _ := get(t, s.URL()+"/subjects"); code != 200 {
		t.Fatalf("reads must still work: %d", code)
	}
}

func TestTornAndDamagedJournal(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	if code, out := post(s.URL()+"/subjects/a-value/versions", map[string]any{"schema": avroV1}); code != 200 {
		t.Fatalf("%d %s", code, out)
	}
	s.Close()
	path := filepath.Join(dir, journalName)
	good, _ := os.ReadFile(path)
	// A crash mid-append leaves a line without its newline.
	if err := os.WriteFile(path, append(append([]byte{}, good...), `{"method":"POST","path":"/subj`...), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := start(t, dir)
	if subs := s2.Subjects(); strings.Join(subs, ",") != "a-value" {
		t.Fatalf("subjects: %v", subs)
	}
	s2.Close()
	if now, _ := os.ReadFile(path); !bytes.Equal(now, good) {
		t.Fatalf("torn tail not cut off:\n%q", now)
	}
	// A damaged complete line is an error naming the file and line.
	if err := os.WriteFile(path, append([]byte("garbage\n"), good...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Config{Dir: dir, Listen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), journalName+" line 1 is damaged") {
		t.Fatalf("%v", err)
	}
}

func TestListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(Config{Dir: t.TempDir(), Listen: ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "address already in use (pick another with --registry-listen)") {
		t.Fatalf("%v", err)
	}
}

// kill -9 in the middle of registrations: every schema the registry
// acknowledged is there after a restart, with the id it was given.
func TestKill9KeepsAcknowledgedSchemas(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "REWIND_REGISTRY_CHILD_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, _ := testkit.Start(t, cmd)
	acked := map[int]int{} // i -> id
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var i, id int
		if _, err := fmt.Sscanf(sc.Text(), "ok %d %d", &i, &id); err != nil {
			_ = cmd.Process.Kill()
			t.Fatalf("child: %s", sc.Text())
		}
		acked[i] = id
		if len(acked) == 40 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	_ = cmd.Wait()
	if len(acked) < 40 {
		t.Fatalf("child acknowledged only %d registrations", len(acked))
	}
	s := start(t, dir)
	cl, _ := sr.NewClient(sr.URLs(s.URL()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, id := range acked {
		sch, err := cl.SchemaByID(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged schema %d (id %d) lost after kill -9: %v", i, id, err)
		}
		if !strings.Contains(sch.Schema, fmt.Sprintf(`"R%d"`, i)) {
			t.Fatalf("id %d holds %s, want R%d", id, sch.Schema, i)
		}
	}
}
