// Package registry is rewind's embedded schema registry: the Confluent
// Schema Registry REST API (franz-go's pkg/sr/srfake, in memory) made
// durable by a journal in the data dir, so subjects, versions and ids
// survive a restart and a kill -9.
//
// Durability: every request that changes state (register, delete, config,
// mode) is applied under one lock, appended to DIR/journal.jsonl and
// fsynced before its answer leaves; on start the journal is replayed
// through the same handler, which assigns the same ids in the same order.
// A line torn by a crash mid-append was never acknowledged and is cut off.
//
// srfake's limits apply: compatibility checks always pass, and there are
// no import mode or schema-linking features. Schemas are checked the way
// rewind will read them (Avro parsed, Protobuf compiled) before they are
// accepted, so an invalid schema is refused with 422 like Confluent does.
package registry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rewind-log/rewind/backend/decode"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// DefaultListen is the documented default address, the Confluent port
// shifted by 10000 like the embedded log's 19092.
const DefaultListen = "127.0.0.1:18081"

// journalName is the journal's file name in Config.Dir.
const journalName = "journal.jsonl"

// maxBody bounds a request body (srfake's own limit is 1 MiB).
const maxBody = 1 << 20

// Config configures Start.
type Config struct {
	// Dir holds the journal. Required. The caller owns its locking (the
	// embedded log's data dir lock covers it).
	Dir string
	// Listen is host:port; port 0 picks a free port. Default DefaultListen.
	Listen string
	// ReadOnly refuses every change (42205, as a registry in READONLY mode).
	ReadOnly bool
}

// Server is a running embedded registry.
type Server struct {
	reg     *srfake.Registry
	handler http.Handler
	ln      net.Listener
	srv     *http.Server
	url     string
	ro      bool

	mu      sync.Mutex // serialises changes: journal order is apply order
	journal *os.File
	broken  error // a failed journal write: further changes are refused

	done chan struct{}
}

// Start replays the journal, then listens.
func Start(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("schema registry: no directory given")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("schema registry dir %s: %w", cfg.Dir, err)
	}
	s := &Server{reg: srfake.NewRegistry(), ro: cfg.ReadOnly, done: make(chan struct{})}
	s.handler = s.reg.Handler()
	path := filepath.Join(cfg.Dir, journalName)
	if err := s.replay(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("schema registry journal %s: %w", path, err)
	}
	s.journal = f
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		f.Close()
		return nil, listenError(cfg.Listen, err)
	}
	s.ln = ln
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is http://HOST:PORT, dialable (an unspecified bind host is reported
// as 127.0.0.1).
func (s *Server) URL() string { return s.url }

// Addr is HOST:PORT of URL.
func (s *Server) Addr() string { return strings.TrimPrefix(s.url, "http://") }

// Close stops serving and closes the journal. Idempotent.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	s.srv = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if cerr := s.journal.Close(); err == nil {
		err = cerr
	}
	return err
}

func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("schema registry cannot listen on %s: address already in use (pick another with --registry-listen)", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("schema registry cannot listen on %s: address not available on this machine (pick another with --registry-listen)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("schema registry cannot listen on %s: permission denied (pick a port above 1023 with --registry-listen)", addr)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fmt.Errorf("schema registry cannot listen on %s: %w", addr, err)
}

// entry is one journal line: a state-changing request as received (body
// normalised).
type entry struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
	Time   string          `json:"time"`
}

// replay applies the journal. A last line without its newline was torn by
// a crash before it was acknowledged: it is cut off. Any other bad line is
// an error naming the file and line, never skipped silently.
func (s *Server) replay(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schema registry journal %s: %w", path, err)
	}
	good := 0
	line := 0
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break // torn tail
		}
		line++
		raw := data[off : off+nl]
		off += nl + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			good = off
			continue
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil || e.Method == "" || !strings.HasPrefix(e.Path, "/") {
			return fmt.Errorf("schema registry journal %s line %d is damaged (move the file away to start with an empty registry)", path, line)
		}
		req := httptest.NewRequest(e.Method, e.Path, bytes.NewReader(e.Body))
		req.URL.RawQuery = e.Query
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			return fmt.Errorf("schema registry journal %s line %d: replaying %s %s failed with %d: %s", path, line, e.Method, e.Path, rec.Code, clip(rec.Body.String()))
		}
		good = off
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return fmt.Errorf("schema registry journal %s: cutting off a torn last line: %w", path, err)
		}
	}
	return nil
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// ServeHTTP answers the Confluent REST API. Reads go straight to srfake;
// changes are serialised, checked, applied, journaled and fsynced before
// the answer is sent.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == ""):
		respond(w, http.StatusOK, map[string]any{})
		return
	case r.Method == http.MethodGet && r.URL.Path == "/schemas/types":
		respond(w, http.StatusOK, []string{"JSON", "PROTOBUF", "AVRO"})
		return
	}
	if !changes(r) {
		s.readBody(w, r, false)
		return
	}
	if s.ro {
		respondErr(w, http.StatusUnprocessableEntity, 42205, "the embedded schema registry runs read-only (--read-only): changes are refused")
		return
	}
	body, ok := s.readBody(w, r, true)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		respondErr(w, http.StatusInternalServerError, 50001, "the schema registry could not persist an earlier change and refuses further ones: "+s.broken.Error())
		return
	}
	if isRegister(r) {
		if err := s.checkSchema(r.Context(), body); err != nil {
			respondErr(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: "+err.Error())
			return
		}
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	if rec.Code < 300 {
		if err := s.append(entry{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: jsonOrNil(body), Time: time.Now().UTC().Format(time.RFC3339)}); err != nil {
			s.broken = err
			respondErr(w, http.StatusInternalServerError, 50001, "the change was not persisted: "+err.Error())
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// readBody reads and normalises a request body. With keep it returns the
// body; without, it passes the request on to srfake itself (reads, and
// lookups by POST).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, keep bool) ([]byte, bool) {
	var body []byte
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			respondErr(w, http.StatusRequestEntityTooLarge, 42201, fmt.Sprintf("request body larger than %d KiB", maxBody>>10))
			return nil, false
		}
		body = normalise(r, b)
	}
	if keep {
		return body, true
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	s.handler.ServeHTTP(w, req)
	return nil, true
}

func jsonOrNil(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 || !json.Valid(b) {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil
	}
	return buf.Bytes()
}

// changes reports whether a request changes state: every method but GET
// and HEAD, except the POSTs that only look up (POST /subjects/{s} and the
// compatibility checks).
func changes(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	p := stripContext(r.URL.Path)
	if r.Method == http.MethodPost {
		if strings.HasPrefix(p, "/compatibility/") {
			return false
		}
		if strings.HasPrefix(p, "/subjects/") && !strings.HasSuffix(strings.TrimSuffix(p, "/"), "/versions") {
			return false
		}
	}
	return true
}

func isRegister(r *http.Request) bool {
	p := strings.TrimSuffix(stripContext(r.URL.Path), "/")
	return r.Method == http.MethodPost && strings.HasPrefix(p, "/subjects/") && strings.HasSuffix(p, "/versions")
}

// stripContext drops a /contexts/{name} prefix.
func stripContext(p string) string {
	if rest, ok := strings.CutPrefix(p, "/contexts/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return p
}

// schemaFields are the body fields srfake understands for schemas.
var schemaFields = map[string]bool{"schema": true, "schemaType": true, "references": true, "metadata": true, "ruleSet": true}

// normalise drops the fields newer Confluent clients send that srfake
// would reject as unknown (id and version for import mode, normalize,
// ...), so real clients can register here.
func normalise(r *http.Request, b []byte) []byte {
	p := stripContext(r.URL.Path)
	if r.Method != http.MethodPost || !(strings.HasPrefix(p, "/subjects/") || strings.HasPrefix(p, "/compatibility/")) {
		return b
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b // srfake answers the error
	}
	changed := false
	for k, v := range m {
		if !schemaFields[k] || string(v) == "null" {
			delete(m, k)
			changed = true
		}
	}
	if !changed {
		return b
	}
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}

// append writes one journal line and fsyncs it. Caller holds s.mu.
func (s *Server) append(e entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := s.journal.Write(line); err != nil {
		return fmt.Errorf("writing %s: %w", s.journal.Name(), err)
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", s.journal.Name(), err)
	}
	return nil
}

func respond(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func respondErr(w http.ResponseWriter, code, errCode int, msg string) {
	respond(w, code, map[string]any{"error_code": errCode, "message": msg})
}

// Register registers schema under subject through the same path as an
// HTTP client (checked, journaled): for seeding.
func (s *Server) Register(ctx context.Context, subject string, schema sr.Schema) (id int, err error) {
	cl, err := sr.NewClient(sr.URLs(s.url), sr.UserAgent("rewind"))
	if err != nil {
		return 0, err
	}
	ss, err := cl.CreateSchema(ctx, subject, schema)
	if err != nil {
		return 0, fmt.Errorf("registering %s in the embedded schema registry: %w", subject, err)
	}
	return ss.ID, nil
}

// Subjects lists the registered subjects (for tests and status lines).
func (s *Server) Subjects() []string {
	req := httptest.NewRequest(http.MethodGet, "/subjects", nil)
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	var out []string
	_ = json.NewDecoder(bufio.NewReader(rec.Body)).Decode(&out)
	return out
}

// checkSchema refuses a schema rewind could not read, resolving its
// references from the registry's own state. Caller holds s.mu.
func (s *Server) checkSchema(ctx context.Context, body []byte) error {
	var sch sr.Schema
	if err := json.Unmarshal(body, &sch); err != nil {
		return nil // srfake answers malformed bodies itself
	}
	var refs []decode.Ref
	seen := map[string]bool{}
	var walk func(rs []sr.SchemaReference, depth int) error
	walk = func(rs []sr.SchemaReference, depth int) error {
		if depth > 32 {
			return errors.New("references nest deeper than 32")
		}
		for _, ref := range rs {
			if seen[ref.Name] {
				continue
			}
			seen[ref.Name] = true
			ss, ok := s.reg.GetSchema(ref.Subject, ref.Version)
			if !ok {
				return fmt.Errorf("reference %q: subject %s version %d not found", ref.Name, ref.Subject, ref.Version)
			}
			if err := walk(ss.References, depth+1); err != nil {
				return err
			}
			refs = append(refs, decode.Ref{Name: ref.Name, Text: ss.Schema.Schema})
		}
		return nil
	}
	if err := walk(sch.References, 0); err != nil {
		return err
	}
	return decode.CheckSchema(ctx, sch.Type, sch.Schema, refs)
}
