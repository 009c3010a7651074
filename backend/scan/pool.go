package scan

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rewind-log/rewind/backend"
	"github.com/rewind-log/rewind/backend/decode"
)

// pool evaluates the query on the records of a fetch response in
// parallel: workers each own a compiled Matcher (they are not safe for
// concurrent use) and take chunks of records. The caller waits for the
// whole response, so records are never used after the read moved on.
type pool struct {
	local *Matcher // the caller's own, for responses too small to share
	jobs  chan *job
	wg    sync.WaitGroup
}

// chunk is how many records one job evaluates: large enough that handing
// it over costs little next to evaluating it.
const chunk = 256

type job struct {
	recs     []*kgo.Record
	verdicts []Verdict
	base     int // index of recs[0] in its batch
	res      *batchResult
	mu       *sync.Mutex
	done     *sync.WaitGroup
}

// batchResult is the verdict on each record of a batch, with the error
// of those that failed.
type batchResult struct {
	verdicts []Verdict
	errs     map[int]error
}

func newPool(q Query, dec *decode.Decoder, workers int) (*pool, error) {
	local, err := Compile(q, dec)
	if err != nil {
		return nil, err
	}
	p := &pool{local: local}
	if workers <= 1 {
		return p, nil
	}
	ms := make([]*Matcher, workers)
	for i := range ms {
		if ms[i], err = Compile(q, dec); err != nil {
			return nil, err
		}
	}
	p.jobs = make(chan *job)
	for _, m := range ms {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				j.run(m)
			}
		}()
	}
	return p, nil
}

func (p *pool) close() {
	if p.jobs != nil {
		close(p.jobs)
		p.wg.Wait()
		p.jobs = nil
	}
}

func (j *job) run(m *Matcher) {
	var errs map[int]error
	for i, r := range j.recs {
		v, err := m.Test(r)
		j.verdicts[i] = v
		if err != nil {
			if errs == nil {
				errs = map[int]error{}
			}
			errs[j.base+i] = err
		}
	}
	if errs != nil {
		j.mu.Lock()
		if j.res.errs == nil {
			j.res.errs = map[int]error{}
		}
		for i, err := range errs {
			j.res.errs[i] = err
		}
		j.mu.Unlock()
	}
	if j.done != nil {
		j.done.Done()
	}
}

// eval returns the verdicts on every record of batches.
func (p *pool) eval(batches []*backend.Batch) []batchResult {
	out := make([]batchResult, len(batches))
	total := 0
	for i, b := range batches {
		out[i].verdicts = make([]Verdict, len(b.Records))
		total += len(b.Records)
	}
	var mu sync.Mutex
	if p.jobs == nil || total <= chunk {
		for i, b := range batches {
			(&job{recs: b.Records, verdicts: out[i].verdicts, res: &out[i], mu: &mu}).run(p.local)
		}
		return out
	}
	var done sync.WaitGroup
	for i, b := range batches {
		for lo := 0; lo < len(b.Records); lo += chunk {
			hi := min(lo+chunk, len(b.Records))
			done.Add(1)
			p.jobs <- &job{recs: b.Records[lo:hi], verdicts: out[i].verdicts[lo:hi], base: lo, res: &out[i], mu: &mu, done: &done}
		}
	}
	done.Wait()
	return out
}
