package connectors

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is what a feed cursor keeps for each list of a source: a sequence number, row
// version or record id (int64, never negative), or the source's own page token (string).
type Position interface{ int64 | string }

// Cursor is a change feed's place in a source whose records come in several lists: the list
// being read (Stage, always 0 for a feed without stages) and how far each list has been read
// (At, one entry per list).
type Cursor[P Position] struct {
	Stage int
	At    []P
}

// CursorFormat is the text form of a connector's Cursor, the opaque Page.Cursor that sync
// stores: Prefix, then the fields joined by Sep: the stage first when Staged, then each list's
// position, each after its label when Labels are given (one a list). Every connector declares
// its format once and parses and writes cursors only through it, so that a cursor a connector
// did not issue is refused with the same message everywhere. String positions must not
// contain Sep.
type CursorFormat[P Position] struct {
	Source Source
	Prefix string   // e.g. "edu1:"
	Sep    string   // e.g. ":"
	Staged bool     // the first field is the stage
	Lists  int      // how many lists, so how many positions
	Labels []string // nil, or one label a list written before its position, e.g. "p="
}

// Start is the cursor of a feed read from the beginning: the first list, every position zero.
func (f CursorFormat[P]) Start() Cursor[P] { return Cursor[P]{At: make([]P, f.Lists)} }

// Format writes k in f's text form.
func (f CursorFormat[P]) Format(k Cursor[P]) string {
	var b strings.Builder
	b.WriteString(f.Prefix)
	if f.Staged {
		b.WriteString(strconv.Itoa(k.Stage))
	}
	for i, p := range k.At {
		if i > 0 || f.Staged {
			b.WriteString(f.Sep)
		}
		if f.Labels != nil {
			b.WriteString(f.Labels[i])
		}
		switch p := any(p).(type) {
		case int64:
			b.WriteString(strconv.FormatInt(p, 10))
		case string:
			b.WriteString(p)
		}
	}
	return b.String()
}

// Parse reads a cursor that Format wrote; "" is Start. Anything else is an error that names
// the source and the form it wants.
func (f CursorFormat[P]) Parse(s string) (Cursor[P], error) {
	k := f.Start()
	if s == "" {
		return k, nil
	}
	rest, ok := strings.CutPrefix(s, f.Prefix)
	fields := strings.Split(rest, f.Sep)
	want := f.Lists
	if f.Staged {
		want++
	}
	if !ok || len(fields) != want {
		return Cursor[P]{}, f.refuse(s)
	}
	if f.Staged {
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 0 || n >= f.Lists {
			return Cursor[P]{}, f.refuse(s)
		}
		k.Stage, fields = n, fields[1:]
	}
	for i, field := range fields {
		if f.Labels != nil {
			if field, ok = strings.CutPrefix(field, f.Labels[i]); !ok {
				return Cursor[P]{}, f.refuse(s)
			}
		}
		switch at := any(&k.At[i]).(type) {
		case *int64:
			n, err := strconv.ParseInt(field, 10, 64)
			if err != nil || n < 0 {
				return Cursor[P]{}, f.refuse(s)
			}
			*at = n
		case *string:
			*at = field
		}
	}
	return k, nil
}

func (f CursorFormat[P]) refuse(s string) error {
	var want strings.Builder
	want.WriteString(f.Prefix)
	if f.Staged {
		want.WriteString("STAGE")
	}
	pos := "N"
	if _, ok := any(*new(P)).(string); ok {
		pos = "TOKEN"
	}
	for i := range f.Lists {
		if i > 0 || f.Staged {
			want.WriteString(f.Sep)
		}
		if f.Labels != nil {
			want.WriteString(f.Labels[i])
		}
		want.WriteString(pos)
	}
	return fmt.Errorf("%s: cursor %q is not one this connector issued (want %s, or empty to start over)", f.Source, s, want.String())
}

// ReadInTurn returns the page after cur of a feed that reads its lists in turn, each from its
// own position, and goes round again: read reads one page of list k.Stage from k.At[k.Stage]
// into p, moves k.At[k.Stage] past what it read, and returns how many records the source sent
// (valid or not) and whether that list holds more after them. A list that sends nothing or
// holds no more gives way to the next; the page that passes the last list is Done, and its
// cursor starts the next round at the first list, whose position remembers where it stopped,
// so the next pull asks only for what was added. The page carries f.Source and its cursor;
// the caller sets Total.
func (f CursorFormat[P]) ReadInTurn(cur string, read func(k *Cursor[P], p *Page) (n int, more bool, err error)) (*Page, error) {
	k, err := f.Parse(cur)
	if err != nil {
		return nil, err
	}
	for {
		p := &Page{Source: f.Source}
		n, more, err := read(&k, p)
		if err != nil {
			return nil, err
		}
		if n == 0 || !more {
			k.Stage++
		}
		if k.Stage == f.Lists {
			k.Stage, p.Done = 0, true
		}
		if n > 0 || p.Done {
			p.Cursor = f.Format(k)
			return p, nil
		}
	}
}
