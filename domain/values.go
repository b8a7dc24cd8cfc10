package domain

import (
	"database/sql/driver"
	"fmt"

	"time"
)

// Tenge is an amount of money in whole tenge. National totals pass 2^31, so it is 64-bit.
type Tenge int64

// Sex is a person's sex as the register of individuals records it.
type Sex string

// The sexes.
const (
	Male   Sex = "M"
	Female Sex = "F"
)

// Date is a civil date (day precision, no time zone). The zero Date is "no date".
type Date struct{ t time.Time }

// NewDate returns the date y-m-d (normalised like time.Date).
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// MustDate is ParseDate for constants; it panics on a malformed date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Year, Month and Day are the date's parts.
func (d Date) Year() int          { return d.t.Year() }
func (d Date) Month() time.Month  { return d.t.Month() }
func (d Date) Day() int           { return d.t.Day() }
func (d Date) Time() time.Time    { return d.t }
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before and After compare dates.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }
func (d Date) After(o Date) bool  { return d.t.After(o.t) }

// MonthOf is the month the date falls in.
func (d Date) MonthOf() Month { return MonthOfYear(d.Year(), d.Month()) }

// String formats YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// AgeOn is the age in whole years on day on.
func (d Date) AgeOn(on Date) int {
	age := on.Year() - d.Year()
	if on.Month() < d.Month() || (on.Month() == d.Month() && on.Day() < d.Day()) {
		age--
	}
	return age
}

// MarshalText and UnmarshalText use YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// Value stores a Date as YYYY-MM-DD text (portable and sortable on SQLite and PostgreSQL).
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a Date stored by Value (text, bytes or a time).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	case time.Time:
		*d = NewDate(v.Year(), v.Month(), v.Day())
		return nil
	}
	return fmt.Errorf("domain.Date: cannot scan %T", src)
}

// Month is a calendar month, counted as year*12 + month-1.
type Month int32

// MonthOfYear returns the month m of year y.
func MonthOfYear(y int, m time.Month) Month { return Month(y*12 + int(m) - 1) }

// ParseMonth parses YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return MonthOfYear(t.Year(), t.Month()), nil
}

// MustMonth is ParseMonth for constants; it panics on a malformed month.
func MustMonth(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Year and Of are the month's parts.
func (m Month) Year() int            { return int(m) / 12 }
func (m Month) Of() time.Month       { return time.Month(int(m)%12 + 1) }
func (m Month) Add(n int) Month      { return m + Month(n) }
func (m Month) First() Date          { return NewDate(m.Year(), m.Of(), 1) }
func (m Month) Last() Date           { return m.Add(1).First().AddDays(-1) }
func (m Month) String() string       { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.Of())) }
func (m Month) Contains(d Date) bool { return d.MonthOf() == m }

// MarshalText and UnmarshalText use YYYY-MM.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	*m = v
	return err
}

// Value stores a Month as YYYY-MM text.
func (m Month) Value() (driver.Value, error) { return m.String(), nil }

// Scan reads a Month stored by Value.
func (m *Month) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return m.UnmarshalText([]byte(v))
	case []byte:
		return m.UnmarshalText(v)
	case int64:
		*m = Month(v)
		return nil
	}
	return fmt.Errorf("domain.Month: cannot scan %T", src)
}
