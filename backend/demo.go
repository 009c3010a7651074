package backend

// The demo world: what a first start of rewind shows. DESIGN.md puts demo
// definitions in testdata/, but Go cannot import or embed from a testdata
// directory into a package, so the (deterministic) generator lives here.
//
// Seeding happens once per data dir. A "demo-seeding" marker is written
// before anything is created and "demo-seeded" after everything succeeded;
// if a start finds "demo-seeding" without "demo-seeded", the previous
// seeding was interrupted, and the demo topics and groups are deleted and
// seeded again. Demo topics that exist without either marker belong to the
// user and are never touched.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	demoSeededMarker  = "demo-seeded"
	demoSeedingMarker = "demo-seeding"

	// demoSeed fixes the generator: the same records on every machine.
	demoSeed = 0x5EED_2026

	// demoWindow is how far back seeded record timestamps reach, so that
	// seeking by time lands somewhere meaningful.
	demoWindow = 48 * time.Hour

	demoOrders     = "orders"
	demoCustomers  = "customers"
	demoPayments   = "payments"
	demoSensors    = "sensor-frames"
	demoAudit      = "audit-events"
	demoBilling    = "billing-service"
	demoAnalytics  = "analytics-etl"
	demoEmail      = "email-notifier"
	demoFraud      = "fraud-audit"
	demoInventory  = "inventory-sync"
	demoRetention7 = "604800000" // 7 days
	demoAuditRetMs = "86400000"  // 1 day: half of the 48h seeded audit trail is expired
)

type demoTopic struct {
	name       string
	partitions int32
	configs    map[string]string
}

var demoTopicDefs = []demoTopic{
	{demoOrders, 6, map[string]string{"cleanup.policy": "delete", "retention.ms": demoRetention7}},
	// retention.ms=-1: Kafka ignores time retention on compact-only topics,
	// but kfake's compaction pass applies it; -1 keeps the changelog whole.
	{demoCustomers, 3, map[string]string{"cleanup.policy": "compact", "retention.ms": "-1", "delete.retention.ms": "86400000"}},
	{demoPayments, 3, map[string]string{"cleanup.policy": "delete", "retention.ms": demoRetention7}},
	{demoSensors, 2, map[string]string{"cleanup.policy": "delete", "retention.ms": "259200000"}},
	{demoAudit, 3, map[string]string{"cleanup.policy": "delete", "retention.ms": demoAuditRetMs}},
}

var demoGroups = []string{demoBilling, demoAnalytics, demoEmail, demoFraud, demoInventory}

// demoRecord is one generated record; at is its time from the window start.
type demoRecord struct {
	topic   string
	key     []byte
	value   []byte
	headers []kgo.RecordHeader
	at      time.Duration
}

// demoData is the whole generated world, per topic in timestamp order.
type demoData struct {
	byTopic   map[string][]demoRecord
	customers []string // customer ids that orders refer to
}

// money marshals with exactly two decimals, as amounts are shown.
type money float64

func (m money) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m), 'f', 2, 64), nil
}

func round2(f float64) money { return money(math.Round(f*100) / 100) }

type orderItem struct {
	SKU   string `json:"sku"`
	Qty   int    `json:"qty"`
	Price money  `json:"price"`
}

type orderEvent struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Amount     money       `json:"amount"`
	Currency   string      `json:"currency"`
	Status     string      `json:"status"`
	Items      []orderItem `json:"items"`
	CreatedAt  string      `json:"created_at"`
}

type customerEvent struct {
	CustomerID string `json:"customer_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Tier       string `json:"tier"`
	Country    string `json:"country"`
	UpdatedAt  string `json:"updated_at"`
}

type paymentEvent struct {
	PaymentID  string `json:"payment_id"`
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Amount     money  `json:"amount"`
	Currency   string `json:"currency"`
	Method     string `json:"method"`
	Status     string `json:"status"`
	PSP        string `json:"psp"`
	At         string `json:"at"`
}

type auditEvent struct {
	EventID  string `json:"event_id"`
	Actor    string `json:"actor"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	At       string `json:"at"`
}

var (
	demoFirstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis", "Radia", "Leslie", "Hedy", "Linus", "Sophie", "Tim", "Katherine", "John", "Mary", "Niklaus", "Yukihiro", "Guido", "Rob", "Anita"}
	demoLastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie", "Perlman", "Lamport", "Lamarr", "Torvalds", "Wilson", "Berners-Lee", "Johnson", "Backus", "Jackson", "Wirth", "Matsumoto", "van Rossum", "Pike", "Borg"}
	demoCountries  = []string{"DE", "FR", "US", "GB", "NL", "ES", "IT", "SE", "PL", "BR", "JP", "IN"}
	demoTiers      = []string{"bronze", "bronze", "silver", "silver", "gold", "platinum"}
	demoMethods    = []string{"card", "card", "card", "paypal", "bank_transfer", "apple_pay"}
	demoPSPs       = []string{"stripe", "adyen"}
	demoActors     = []string{"alice@corp.example", "bob@corp.example", "svc-billing", "svc-fulfilment", "svc-support", "carol@corp.example"}
	demoActions    = []string{"login", "refund.approve", "order.view", "customer.export", "config.change", "role.grant", "logout"}
)

func demoTime(base time.Time, at time.Duration) string {
	return base.Add(at).UTC().Format("2006-01-02T15:04:05.000Z")
}

func traceID(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b[:])
}

func hdr(k, v string) kgo.RecordHeader { return kgo.RecordHeader{Key: k, Value: []byte(v)} }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed demo types are marshalled
	}
	return b
}

// rawName replaces the JSON-escaped placeholder with raw bytes, so that the
// value carries real escape sequences / invalid UTF-8 (json.Marshal would
// escape them). These values are deliberately not valid JSON.
func rawName(value []byte, placeholder string, raw string) []byte {
	return bytes.Replace(value, []byte(placeholder), []byte(raw), 1)
}

// hostileName/badUTF8Name: the sanitiser showcase in the customers topic.
const (
	hostileName = "Mallory\x1b[2J\x1b]0;pwned\x07"
	badUTF8Name = "Bj\xf6rn Bad-UTF8 \xc3\x28"
)

// demoCustomerIdentity is customer i's id, name and email. It is derived
// from i alone so the live producer's updates keep each customer's name.
func demoCustomerIdentity(i int) (id, name, email string) {
	first := demoFirstNames[(i*7)%len(demoFirstNames)]
	last := demoLastNames[(i+i/len(demoFirstNames))%len(demoLastNames)]
	id = fmt.Sprintf("cus-%05d", i+1)
	email = strings.ToLower(first+"."+strings.ReplaceAll(last, " ", "")) + fmt.Sprintf("%d@example.com", i+1)
	switch i {
	case 41:
		return id, hostileName, email
	case 77:
		return id, badUTF8Name, email
	}
	return id, first + " " + last, email
}

// customerValue encodes a customer; hostile names go in as raw bytes (see
// rawName), making those values deliberately invalid JSON.
func customerValue(c customerEvent) []byte {
	v := mustJSON(c)
	if c.Name == hostileName || c.Name == badUTF8Name {
		v = rawName(v, mustJSONString(c.Name), `"`+c.Name+`"`)
	}
	return v
}

func scaled(n int, scale float64) int { return max(1, int(math.Round(float64(n)*scale))) }

// generateDemo builds the demo world. base is the window start, used only
// for timestamps inside values; the records are otherwise fixed by demoSeed.
func generateDemo(base time.Time, scale float64) *demoData {
	r := rand.New(rand.NewPCG(demoSeed, 1))
	d := &demoData{byTopic: map[string][]demoRecord{}}
	add := func(rec demoRecord) {
		if rec.at < 0 || rec.at >= demoWindow {
			return // beyond "now": would be a future timestamp
		}
		d.byTopic[rec.topic] = append(d.byTopic[rec.topic], rec)
	}
	jitter := func(span time.Duration) time.Duration { return time.Duration(r.Int64N(int64(span))) }

	// Customers: a changelog with several updates per key and some
	// tombstones; all created in the first 12h of the window.
	nCust := scaled(400, scale)
	for i := range nCust {
		id, name, email := demoCustomerIdentity(i)
		d.customers = append(d.customers, id)
		c := customerEvent{
			CustomerID: id,
			Name:       name,
			Email:      email,
			Tier:       demoTiers[r.IntN(len(demoTiers))],
			Country:    demoCountries[r.IntN(len(demoCountries))],
		}
		at := time.Duration(i) * 12 * time.Hour / time.Duration(nCust)
		emit := func() {
			c.UpdatedAt = demoTime(base, at)
			add(demoRecord{topic: demoCustomers, key: []byte(id), value: customerValue(c), at: at,
				headers: []kgo.RecordHeader{hdr("schema", "customers.v1"), hdr("source", "crm")}})
		}
		emit()
		for range r.IntN(6) {
			at += time.Hour + jitter(8*time.Hour)
			switch r.IntN(3) {
			case 0:
				c.Tier = demoTiers[r.IntN(len(demoTiers))]
			case 1:
				c.Email = strings.Replace(c.Email, "@example.com", "@example.org", 1)
			default:
				c.Country = demoCountries[r.IntN(len(demoCountries))]
			}
			emit()
		}
		if i%33 == 7 { // a few deleted customers: tombstones (nil value)
			at += time.Hour + jitter(4*time.Hour)
			add(demoRecord{topic: demoCustomers, key: []byte(id), value: nil, at: at,
				headers: []kgo.RecordHeader{hdr("schema", "customers.v1"), hdr("source", "gdpr-erasure")}})
		}
	}

	// Orders and their payments: a lifecycle per order, spread evenly over
	// the window, each status change a full order event keyed by order id.
	nOrders := scaled(8000, scale)
	var prices [200]float64
	for i := range prices {
		prices[i] = 2.5 + r.Float64()*247.5
	}
	for i := range nOrders {
		id := fmt.Sprintf("ord-%06d", i+1)
		cust := d.customers[r.IntN(len(d.customers))]
		created := time.Duration(i)*demoWindow/time.Duration(nOrders) + jitter(3*time.Minute)
		o := orderEvent{OrderID: id, CustomerID: cust, Status: "created", CreatedAt: demoTime(base, created)}
		total := 0.0
		for range 1 + r.IntN(4) {
			sku := r.IntN(len(prices))
			qty := 1 + r.IntN(3)
			price := float64(round2(prices[sku]))
			o.Items = append(o.Items, orderItem{SKU: fmt.Sprintf("SKU-%04d", 1000+sku), Qty: qty, Price: money(price)})
			total += float64(qty) * price
		}
		o.Amount = round2(total)
		switch u := r.Float64(); {
		case u < 0.6:
			o.Currency = "EUR"
		case u < 0.9:
			o.Currency = "USD"
		default:
			o.Currency = "GBP"
		}
		source := "web"
		if r.IntN(5) < 2 {
			source = "mobile"
		}
		trace := traceID(r)
		orderRec := func(at time.Duration) {
			hs := []kgo.RecordHeader{hdr("trace-id", trace), hdr("source", source), hdr("schema", "orders.v1")}
			if i%2500 == 1234 { // header bytes are untrusted too
				hs = append(hs, hdr("x-debug", "\x1b[31mred alert\x1b[0m\x07\xff"))
			}
			add(demoRecord{topic: demoOrders, key: []byte(id), value: mustJSON(o), headers: hs, at: at})
		}
		payRec := func(status string, at time.Duration) {
			p := paymentEvent{
				PaymentID: fmt.Sprintf("pay-%06d-%s", i+1, status[:3]), OrderID: id, CustomerID: cust,
				Amount: o.Amount, Currency: o.Currency, Method: demoMethods[(i*7)%len(demoMethods)],
				Status: status, PSP: demoPSPs[i%len(demoPSPs)], At: demoTime(base, at),
			}
			add(demoRecord{topic: demoPayments, key: []byte(id), value: mustJSON(p), at: at,
				headers: []kgo.RecordHeader{hdr("trace-id", trace), hdr("source", "psp-webhook"), hdr("schema", "payments.v1")}})
		}
		orderRec(created)
		switch u := r.Float64(); {
		case u < 0.10:
			o.Status = "cancelled"
			orderRec(created + 5*time.Minute + jitter(2*time.Hour))
		case u < 0.95:
			paid := created + time.Minute + jitter(30*time.Minute)
			if r.IntN(12) == 0 {
				payRec("failed", paid-30*time.Second)
			}
			payRec("captured", paid)
			o.Status = "paid"
			orderRec(paid)
			if r.Float64() < 0.8 {
				shipped := paid + 2*time.Hour + jitter(22*time.Hour)
				o.Status = "shipped"
				orderRec(shipped)
				if r.Float64() < 0.06 {
					refunded := shipped + time.Hour + jitter(24*time.Hour)
					payRec("refunded", refunded)
					o.Status = "refunded"
					orderRec(refunded)
				}
			}
		}
	}

	// Binary frames: a magic header, then random bytes that include NUL and
	// ESC, so the UI has to show them as hex, never raw.
	nFrames := scaled(1500, scale)
	for i := range nFrames {
		sensor := 1 + r.IntN(12)
		at := time.Duration(i)*demoWindow/time.Duration(nFrames) + jitter(time.Minute)
		payload := make([]byte, 16+r.IntN(144))
		for j := range payload {
			payload[j] = byte(r.Uint32())
		}
		payload[r.IntN(len(payload))] = 0x00
		payload[r.IntN(len(payload))] = 0x1b
		frame := []byte{0x89, 'R', 'W', 'F', 0x01}
		frame = binary.BigEndian.AppendUint16(frame, uint16(sensor))
		frame = binary.BigEndian.AppendUint32(frame, uint32(i))
		frame = binary.BigEndian.AppendUint64(frame, uint64(base.Add(at).UnixMilli()))
		frame = binary.BigEndian.AppendUint16(frame, uint16(len(payload)))
		frame = append(frame, payload...)
		frame = binary.BigEndian.AppendUint32(frame, crc32.ChecksumIEEE(frame))
		key := fmt.Sprintf("sensor-%02d", sensor)
		if i%500 == 250 {
			key = "sensor-\xff\xfe" // keys are untrusted bytes as well
		}
		add(demoRecord{topic: demoSensors, key: []byte(key), value: frame, at: at,
			headers: []kgo.RecordHeader{hdr("content-type", "application/x-rewind-frame"), hdr("encoding", "binary")}})
	}

	// Audit trail with 1-day retention over 48h of events: after the first
	// retention pass about half of it is gone, and fraud-audit's committed
	// offsets point into the deleted part.
	nAudit := scaled(3000, scale)
	for i := range nAudit {
		at := time.Duration(i)*demoWindow/time.Duration(nAudit) + jitter(30*time.Second)
		actor := demoActors[r.IntN(len(demoActors))]
		ev := auditEvent{
			EventID:  fmt.Sprintf("evt-%07d", i+1),
			Actor:    actor,
			Action:   demoActions[r.IntN(len(demoActions))],
			Resource: fmt.Sprintf("ord-%06d", 1+r.IntN(nOrders)),
			At:       demoTime(base, at),
		}
		hs := []kgo.RecordHeader{hdr("schema", "audit.v1")}
		if i%1000 == 999 {
			hs = append(hs, hdr("user-agent", "curl/8.5.0\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"))
		}
		add(demoRecord{topic: demoAudit, key: []byte(actor), value: mustJSON(ev), headers: hs, at: at})
	}

	for t := range d.byTopic {
		recs := d.byTopic[t]
		// Per-partition timestamps must not go backwards for seek-by-time.
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].at < recs[j].at })
	}
	return d
}

func mustJSONString(s string) string { return string(mustJSON(s)) }
