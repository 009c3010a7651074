package decode

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// RegistryConfig is how to reach a Confluent-compatible schema registry.
// It is a plain struct so connection profiles (-X schema.registry.url=...,
// a context's schema_registry block) can fill it.
type RegistryConfig struct {
	// URL is one base URL, or several separated by commas (tried in turn).
	// Credentials in a URL (http://user:pass@host) are moved to basic auth
	// and never shown.
	URL string
	// Username and Password: basic auth (schema.registry.basic.auth.user.info).
	Username, Password string
	// BearerToken: an Authorization: Bearer token.
	BearerToken string
	// TLS for https URLs; nil uses the system roots.
	TLS *tls.Config
	// Timeout per request; 0 means 5s.
	Timeout time.Duration
}

// Enabled reports whether a registry is configured.
func (c RegistryConfig) Enabled() bool { return strings.TrimSpace(c.URL) != "" }

// Registry error kinds a reason can be tested for.
var (
	ErrSchemaNotFound = errors.New("schema not found in registry")
	ErrUnreachable    = errors.New("schema registry unreachable")
)

const (
	notFoundTTL   = 30 * time.Second // a missing id may be registered soon
	minBackoff    = 2 * time.Second  // outage: first retry
	maxBackoff    = 30 * time.Second // outage: retries at most this far apart
	maxRefs       = 100              // references per schema, transitively
	maxRefDepth   = 32
	maxRespBytes  = 16 << 20 // a registry answer larger than this is refused
	schemaTextCap = 4 << 20
)

// registry is a caching client. Schema ids are immutable, so a schema that
// was fetched and compiled is kept for the life of the process; a missing
// id is retried after notFoundTTL; while the registry is unreachable,
// lookups fail at once (no request per record) and are retried with
// backoff. The first failure and the recovery each produce one warning.
type registry struct {
	cl      *sr.Client
	display string // the URL as shown: no credentials
	warn    func(string)
	now     func() time.Time

	mu      sync.Mutex
	schemas map[int]*schemaEntry
	down    bool
	downErr string
	retryAt time.Time
	backoff time.Duration
}

// schemaEntry is one schema id, being fetched (ready open) or done.
type schemaEntry struct {
	ready   chan struct{}
	err     error
	errAt   time.Time
	id      int
	typ     sr.SchemaType
	text    string
	refs    []sr.SchemaReference
	usages  []sr.SubjectVersion // subject/version pairs that use this id
	avro    *avroSchema
	proto   *protoFile
	msgMu   sync.Mutex
	msgs    map[string]protoreflect.MessageDescriptor
	refText map[string]string // references' names -> text, for display
}

func newRegistry(cfg RegistryConfig, warn func(string)) (*registry, error) {
	var urls []string
	user, pass := cfg.Username, cfg.Password
	display := ""
	for _, raw := range strings.Split(cfg.URL, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("schema registry URL %q: want http://HOST:PORT or https://HOST:PORT", redactURL(raw))
		}
		if u.User != nil {
			if user == "" {
				user = u.User.Username()
				pass, _ = u.User.Password()
			}
			u.User = nil
		}
		urls = append(urls, u.String())
		if display == "" {
			display = u.String()
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("schema registry: no URL given")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS
	}
	httpcl := &http.Client{Timeout: timeout, Transport: limitTransport{tr}}
	opts := []sr.ClientOpt{sr.URLs(urls...), sr.HTTPClient(httpcl), sr.UserAgent("rewind")}
	if user != "" || pass != "" {
		opts = append(opts, sr.BasicAuth(user, pass))
	}
	if cfg.BearerToken != "" {
		opts = append(opts, sr.BearerToken(cfg.BearerToken))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry %s: %w", display, err)
	}
	if warn == nil {
		warn = func(string) {}
	}
	return &registry{cl: cl, display: display, warn: warn, now: time.Now, schemas: map[int]*schemaEntry{}}, nil
}

// redactURL drops credentials from a URL for messages.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + raw[i+1:]
		}
	}
	return raw
}

// limitTransport refuses registry answers larger than maxRespBytes: the sr
// client reads bodies whole.
type limitTransport struct{ rt http.RoundTripper }

func (l limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxRespBytes}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("registry answer larger than %d MiB", maxRespBytes>>20)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Status reports whether the registry is currently considered down, and why.
func (r *registry) status() (down bool, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down, r.downErr
}

// lookup returns the compiled schema for id, fetching it once.
func (r *registry) lookup(ctx context.Context, id int) (*schemaEntry, error) {
	for {
		r.mu.Lock()
		e, ok := r.schemas[id]
		if ok && e.isReady() && e.err == nil { // the per-record path: no clock
			r.mu.Unlock()
			return e, nil
		}
		now := r.now()
		if ok {
			select {
			case <-e.ready:
				if e.err == nil || !errors.Is(e.err, ErrSchemaNotFound) || now.Sub(e.errAt) < notFoundTTL {
					r.mu.Unlock()
					return e, e.err
				}
				delete(r.schemas, id) // a missing id: ask again
				ok = false
			default:
			}
		}
		if ok { // someone else is fetching it
			r.mu.Unlock()
			select {
			case <-e.ready:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if r.down && now.Before(r.retryAt) {
			why := r.downErr
			r.mu.Unlock()
			return nil, fmt.Errorf("%w: %s (showing raw bytes)", ErrUnreachable, why)
		}
		e = &schemaEntry{ready: make(chan struct{}), id: id}
		r.schemas[id] = e
		r.mu.Unlock()

		err := r.fetch(ctx, e)
		r.mu.Lock()
		var warning string
		switch {
		case err == nil || errors.Is(err, ErrSchemaNotFound) || errors.Is(err, errBadSchema):
			e.err, e.errAt = err, r.now()
			warning = r.up()
		case ctx.Err() != nil:
			delete(r.schemas, id)
			e.err = ctx.Err()
		default:
			delete(r.schemas, id)
			var why string
			why, warning = r.outage(err)
			e.err = fmt.Errorf("%w: %s (showing raw bytes)", ErrUnreachable, why)
		}
		close(e.ready)
		r.mu.Unlock()
		if warning != "" {
			r.warn(warning) // outside the lock: the callback may do anything
		}
		return e, e.err
	}
}

// isReady: the fetch of e has finished (e.err is set before ready closes).
func (e *schemaEntry) isReady() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

// errBadSchema marks a schema the registry has but we cannot use: cached
// like a success (the id's text will not change).
var errBadSchema = errors.New("unusable schema")

// up records a successful exchange and returns the warning to give, if
// any. Caller holds r.mu.
func (r *registry) up() string {
	if !r.down {
		return ""
	}
	r.down, r.backoff = false, 0
	return fmt.Sprintf("schema registry %s is reachable again", r.display)
}

// outage records a failed exchange and returns the one-line reason, and
// the warning to give (only on the first failure). Caller holds r.mu.
func (r *registry) outage(err error) (why, warning string) {
	why = describeRegistryErr(r.display, err)
	if r.backoff == 0 {
		r.backoff = minBackoff
	} else if r.backoff *= 2; r.backoff > maxBackoff {
		r.backoff = maxBackoff
	}
	r.retryAt = r.now().Add(r.backoff)
	if !r.down {
		r.down = true
		warning = why + "; showing raw bytes"
	}
	r.downErr = why
	return why, warning
}

func describeRegistryErr(display string, err error) string {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		msg := clipMsg(re.Message)
		if msg == "" {
			msg = http.StatusText(re.StatusCode)
		}
		return fmt.Sprintf("schema registry %s answered %d: %s", display, re.StatusCode, msg)
	}
	msg := err.Error()
	// The sr client prefixes "unable to GET \"URL\": "; the URL is ours.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return fmt.Sprintf("schema registry %s unreachable: %s", display, clipMsg(msg))
}

func isNotFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && (re.StatusCode == http.StatusNotFound || re.ErrorCode == sr.ErrSchemaNotFound.Code)
}

// fetch loads the schema text, its references and its subjects, and
// compiles it.
func (r *registry) fetch(ctx context.Context, e *schemaEntry) error {
	s, err := r.cl.SchemaByID(ctx, e.id)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("%w: schema id %d not found in registry %s", ErrSchemaNotFound, e.id, r.display)
		}
		return err
	}
	if len(s.Schema) > schemaTextCap {
		return fmt.Errorf("%w: schema id %d is larger than %d MiB", errBadSchema, e.id, schemaTextCap>>20)
	}
	e.typ, e.text, e.refs = s.Type, s.Schema, s.References
	// Which subjects use the id: best effort, only for display.
	if us, err := r.cl.SchemaVersionsByID(ctx, e.id); err == nil {
		sort.Slice(us, func(i, j int) bool {
			if us[i].Subject != us[j].Subject {
				return us[i].Subject < us[j].Subject
			}
			return us[i].Version < us[j].Version
		})
		e.usages = us
	} else if !isNotFound(err) && !isResponse(err) {
		return err
	}
	refs, order, err := r.references(ctx, s.References)
	if err != nil {
		return err
	}
	e.refText = refs
	switch s.Type {
	case sr.TypeAvro:
		texts := make([]string, len(order))
		for i, n := range order {
			texts[i] = refs[n]
		}
		a, err := compileAvro(s.Schema, texts)
		if err != nil {
			return fmt.Errorf("%w: schema id %d: %s", errBadSchema, e.id, err.Error())
		}
		e.avro = a
	case sr.TypeProtobuf:
		p, err := compileProto(ctx, s.Schema, refs)
		if err != nil {
			return fmt.Errorf("%w: schema id %d: %s", errBadSchema, e.id, err.Error())
		}
		e.proto = p
		e.msgs = map[string]protoreflect.MessageDescriptor{}
	case sr.TypeJSON:
		// The payload is JSON; the schema is shown, not enforced.
	default:
		return fmt.Errorf("%w: schema id %d has unknown type %d", errBadSchema, e.id, s.Type)
	}
	return nil
}

func isResponse(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re)
}

// references resolves refs transitively. It returns name -> text and the
// names in dependency order (a schema after the ones it references).
func (r *registry) references(ctx context.Context, refs []sr.SchemaReference) (map[string]string, []string, error) {
	texts := map[string]string{}
	var order []string
	var walk func(refs []sr.SchemaReference, depth int) error
	walk = func(refs []sr.SchemaReference, depth int) error {
		if depth > maxRefDepth {
			return fmt.Errorf("%w: schema references nest deeper than %d", errBadSchema, maxRefDepth)
		}
		for _, ref := range refs {
			if _, ok := texts[ref.Name]; ok {
				continue
			}
			if len(texts) >= maxRefs {
				return fmt.Errorf("%w: more than %d schema references", errBadSchema, maxRefs)
			}
			texts[ref.Name] = "" // mark: cycles stop here
			ss, err := r.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
			if err != nil {
				if isResponse(err) {
					return fmt.Errorf("%w: reference %q (subject %s version %d): %s", errBadSchema, ref.Name, ref.Subject, ref.Version, describeRegistryErr(r.display, err))
				}
				return err
			}
			if err := walk(ss.References, depth+1); err != nil {
				return err
			}
			texts[ref.Name] = ss.Schema.Schema
			order = append(order, ref.Name)
		}
		return nil
	}
	if err := walk(refs, 0); err != nil {
		return nil, nil, err
	}
	return texts, order, nil
}

// message returns the Protobuf message type for an index list, cached.
func (e *schemaEntry) message(idx []int) (protoreflect.MessageDescriptor, error) {
	key := fmt.Sprint(idx)
	e.msgMu.Lock()
	defer e.msgMu.Unlock()
	if md, ok := e.msgs[key]; ok {
		return md, nil
	}
	md, err := e.proto.message(idx)
	if err != nil {
		return nil, err
	}
	e.msgs[key] = md
	return md, nil
}

// subject picks the subject to show for a record of topic: the
// TopicNameStrategy subject (topic-value / topic-key) if it uses the id,
// else the first one that does.
func (e *schemaEntry) subject(topic string, key bool) (string, int) {
	suffix := "-value"
	if key {
		suffix = "-key"
	}
	for _, u := range e.usages { // TopicNameStrategy, without building the name
		if len(u.Subject) == len(topic)+len(suffix) && strings.HasPrefix(u.Subject, topic) && strings.HasSuffix(u.Subject, suffix) {
			return u.Subject, u.Version
		}
	}
	if len(e.usages) > 0 {
		return e.usages[0].Subject, e.usages[0].Version
	}
	return "", 0
}
