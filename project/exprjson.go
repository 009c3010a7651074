package project

// JSON field access for expressions: extracting the fields an expression
// reads from a value and converting them.

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func looksJSON(b []byte) bool {
	for _, ch := range b {
		switch ch {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return true
		}
		return false
	}
	return false
}

// extractVals validates raw (it must be one JSON document, as on the full
// path) and reads the used fields into c.vals (and c.valErr); it reports
// whether raw is valid. When every path is a top-level field, validating
// and reading are one scan. A path is read as the VM reads value.a.b: a
// missing last field is null; a step into null, a missing object or
// something that is not an object is an error (see pathErr). A duplicate
// key's last value wins, as in the full decode (and JSON.parse, Python,
// Go).
func (c *Compiled) extractVals(raw []byte) bool {
	for i := range c.vals {
		c.vals[i], c.valErr[i] = gjson.Result{}, nil
	}
	var member func(key []byte, esc bool, v []byte)
	if c.topLevel {
		if c.memberFn == nil {
			c.memberFn = c.member // one method value, not a closure per record
		}
		member = c.memberFn
	}
	object, ok := scanJSON(raw, member)
	if !ok {
		return false
	}
	doc := gjson.Parse(unsafe.String(unsafe.SliceData(raw), len(raw)))
	if !object {
		for i, sg := range c.segs {
			c.valErr[i] = pathErr(sg[0], doc)
		}
		return true
	}
	if !c.topLevel {
		for i, sg := range c.segs {
			c.vals[i], c.valErr[i] = lastPath(doc, sg)
		}
	}
	return true
}

// member takes one top-level member of the value for the fields used.
func (c *Compiled) member(key []byte, esc bool, v []byte) {
	k := unsafe.String(unsafe.SliceData(key), len(key))
	if esc {
		k = gjson.Parse(`"` + k + `"`).Str
	}
	for i, sg := range c.segs {
		if sg[0] == k {
			// No copy: results point into raw, which outlives them (keys
			// kept in the table cache are cloned).
			c.vals[i] = gjson.Parse(unsafe.String(unsafe.SliceData(v), len(v)))
		}
	}
}

// lastField is the value of key s of object obj; a duplicate key's last
// value wins.
func lastField(obj gjson.Result, s string) gjson.Result {
	var found gjson.Result
	obj.ForEach(func(k, v gjson.Result) bool {
		if k.Str == s {
			found = v
		}
		return true
	})
	return found
}

// lastPath follows segs through nested objects like the VM's value.a.b.
func lastPath(doc gjson.Result, segs []string) (gjson.Result, error) {
	cur := doc
	for _, s := range segs {
		if !cur.IsObject() {
			return gjson.Result{}, pathErr(s, cur)
		}
		cur = lastField(cur, s)
	}
	return cur, nil
}

// pathErr is the VM's error for reading field s of something that is not
// an object.
func pathErr(s string, of gjson.Result) error {
	switch {
	case !of.Exists() || of.Type == gjson.Null:
		return fmt.Errorf("cannot fetch %s from <nil>", s)
	case of.IsArray():
		return fmt.Errorf("cannot fetch %s from an array", s)
	}
	return fmt.Errorf("cannot fetch %s from a %s", s, strings.ToLower(of.Type.String()))
}

// jsonValue converts a JSON value for the VM: objects are map[string]any
// (a duplicate key's last value wins), arrays []any, numbers float64
// (1e400 is +Inf, refused where a number is aggregated).
func jsonValue(r gjson.Result) any {
	switch {
	case r.IsObject():
		m := map[string]any{}
		r.ForEach(func(k, v gjson.Result) bool {
			m[k.Str] = jsonValue(v)
			return true
		})
		return m
	case r.IsArray():
		var a []any
		r.ForEach(func(_, v gjson.Result) bool {
			a = append(a, jsonValue(v))
			return true
		})
		if a == nil {
			a = []any{}
		}
		return a
	}
	switch r.Type {
	case gjson.Number:
		return r.Num
	case gjson.String:
		return r.Str
	case gjson.True:
		return true
	case gjson.False:
		return false
	}
	return nil
}

func resultKey(r gjson.Result) (string, bool) {
	switch r.Type {
	case gjson.String:
		return r.Str, true
	case gjson.Null:
		return "", false
	case gjson.Number:
		return keyString(r.Num)
	}
	if !r.Exists() {
		return "", false
	}
	return keyString(r.Value())
}

// extract builds value from just the fields the expressions use, as the
// full decode would hold them: along each path objects are maps; where a
// path meets something that is not an object, that value itself is kept,
// so the VM meets the same thing (and the same error) either way. A value
// that is not an object is converted whole.
func (c *Compiled) extract(raw []byte) any {
	doc := gjson.ParseBytes(raw)
	if !doc.IsObject() {
		return jsonValue(doc)
	}
	m := map[string]any{}
	for _, sg := range c.segs {
		cur, node := m, doc
		for j, s := range sg {
			node = lastField(node, s)
			if !node.Exists() {
				break
			}
			if j == len(sg)-1 || !node.IsObject() {
				if _, ok := cur[s]; !ok || !node.IsObject() {
					cur[s] = jsonValue(node)
				}
				break
			}
			next, ok := cur[s].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[s] = next
			}
			cur = next
		}
	}
	return m
}

func keyString(v any) (string, bool) {
	switch k := v.(type) {
	case nil:
		return "", false
	case string:
		return k, true
	case float64:
		if k == math.Trunc(k) && math.Abs(k) < 1e18 {
			return strconv.FormatInt(int64(k), 10), true
		}
		return strconv.FormatFloat(k, 'g', -1, 64), true
	case int:
		return strconv.Itoa(k), true
	case int64:
		return strconv.FormatInt(k, 10), true
	case bool:
		return strconv.FormatBool(k), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v), true
	}
	return string(b), true
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}
