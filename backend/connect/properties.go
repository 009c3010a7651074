package connect

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Property is one key=value with where it was written (for errors).
type Property struct {
	Key, Value string
	Where      string // "client.properties:12", "-X"
}

// ReadPropertiesFile reads a Java client.properties file.
func ReadPropertiesFile(path string) ([]Property, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("properties file: %w", err)
	}
	defer f.Close()
	return ParseProperties(f, path)
}

// ParseProperties reads the Java properties format: key=value, key: value
// or key value; '#' and '!' comments; a trailing backslash continues the
// line; \t \n \r \f \uXXXX and \<char> escapes. name labels errors.
func ParseProperties(r io.Reader, name string) ([]Property, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []Property
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) && sc.Scan() {
			lineNo++
			line = line[:len(line)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8", name, start)
		}
		k, v := splitProperty(line)
		key, err := unescape(k)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: key: %v", name, start, err)
		}
		val, err := unescape(v)
		if err != nil {
			// The value may be a secret: name the key, not the value.
			return nil, fmt.Errorf("%s:%d: value of %s: %v", name, start, key, err)
		}
		out = append(out, Property{Key: key, Value: val, Where: fmt.Sprintf("%s:%d", name, start)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// continues reports whether line ends in an odd number of backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits at the first unescaped '=', ':' or whitespace.
func splitProperty(line string) (string, string) {
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '\\':
			i++
		case '=', ':', ' ', '\t', '\f':
			key := line[:i]
			rest := strings.TrimLeft(line[i+1:], " \t\f")
			if c == ' ' || c == '\t' || c == '\f' {
				// "key = value": the separator may follow the blanks.
				if rest != "" && (rest[0] == '=' || rest[0] == ':') {
					rest = strings.TrimLeft(rest[1:], " \t\f")
				}
			}
			return key, rest
		}
	}
	return line, ""
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i == len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("short \\u escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad \\u escape")
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// ParseOverride parses one -X key=value.
func ParseOverride(s string) (Property, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return Property{}, fmt.Errorf("-X %q: want key=value", firstWord(s))
	}
	return Property{Key: k, Value: v, Where: "-X"}, nil
}

// firstWord keeps a malformed -X argument (maybe a password) out of the
// error: only what is before a '=' or the first 20 bytes.
func firstWord(s string) string {
	if i := strings.IndexAny(s, "= "); i >= 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	return s
}

// Apply sets the properties on p in order (later wins). An unknown key is
// an error naming it and the closest known one.
func (p *Profile) Apply(props []Property) error {
	for _, pr := range props {
		if err := p.Set(pr.Key, pr.Value, pr.Where); err != nil {
			return err
		}
	}
	return nil
}

// Set applies one property. where labels errors and says where a secret
// came from.
func (p *Profile) Set(key, value, where string) error {
	k := strings.TrimSpace(key)
	v := strings.TrimSpace(value)
	if set, ok := setters[k]; ok {
		if err := set(p, v, where); err != nil {
			return fmt.Errorf("%s: %s: %w", where, k, err)
		}
		return nil
	}
	if ignoredProperty(k) {
		if !contains(p.Ignored, k) {
			p.Ignored = append(p.Ignored, k)
		}
		return nil
	}
	msg := fmt.Sprintf("%s: unknown property %q", where, k)
	if s := closest(k); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s", msg)
}

// KnownProperties lists the properties rewind acts on, sorted.
func KnownProperties() []string {
	out := make([]string, 0, len(setters))
	for k := range setters {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the known property nearest to k by edit distance, if it
// is near enough to be a typo.
func closest(k string) string {
	best, bestD := "", len(k)/3+2
	cands := KnownProperties()
	for c := range ignored {
		cands = append(cands, c)
	}
	sort.Strings(cands)
	for _, cand := range cands {
		if d := editDistance(k, cand); d < bestD {
			best, bestD = cand, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
