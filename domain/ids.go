package domain

import (
	"fmt"
	"strconv"
	"time"
)

// IIN is a person's individual identification number: 12 digits, the first six the birth date
// (YYMMDD), the seventh the century and sex, the twelfth a check digit. A value of this type
// has passed ParseIIN (or was built by the generator, which only makes valid ones).
type IIN string

// BIN is an organisation's business identification number: 12 digits with a check digit.
type BIN string

// ErrInvalidID describes why an IIN or BIN was refused; its message says what to fix.
type ErrInvalidID struct {
	Kind   string // "IIN" or "BIN"
	Value  string
	Reason string
}

func (e *ErrInvalidID) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Kind, e.Value, e.Reason)
}

// CheckDigit computes the check digit of the first 11 digits of an IIN or BIN: weights 1..11
// mod 11; if that gives 10, weights 3..11,1,2 mod 11; if 10 again, no number with these 11
// digits is valid (ok is false).
func CheckDigit(first11 string) (digit int, ok bool) {
	if len(first11) != 11 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 11; i++ {
		d := int(first11[i] - '0')
		if d < 0 || d > 9 {
			return 0, false
		}
		sum += d * (i + 1)
	}
	if c := sum % 11; c != 10 {
		return c, true
	}
	sum = 0
	for i := 0; i < 11; i++ {
		w := (i+2)%11 + 1 // 3..11,1,2
		sum += int(first11[i]-'0') * w
	}
	if c := sum % 11; c != 10 {
		return c, true
	}
	return 0, false
}

func checkDigits(kind, s string) error {
	if len(s) != 12 {
		return &ErrInvalidID{kind, s, fmt.Sprintf("must be 12 digits, got %d characters", len(s))}
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return &ErrInvalidID{kind, s, fmt.Sprintf("must contain digits only, character %d is %q", i+1, s[i])}
		}
	}
	want, ok := CheckDigit(s[:11])
	if !ok {
		return &ErrInvalidID{kind, s, "no check digit exists for the first 11 digits, so the number cannot be valid"}
	}
	if got := int(s[11] - '0'); got != want {
		return &ErrInvalidID{kind, s, fmt.Sprintf("check digit should be %d, not %d", want, got)}
	}
	return nil
}

// ParseIIN validates s as an IIN: 12 digits, a real birth date, a century/sex digit 1..6 and
// the check digit.
func ParseIIN(s string) (IIN, error) {
	if err := checkDigits("IIN", s); err != nil {
		return "", err
	}
	c := s[6] - '0'
	if c < 1 || c > 6 {
		return "", &ErrInvalidID{"IIN", s, fmt.Sprintf("seventh digit (century and sex) must be 1-6, not %d", c)}
	}
	if _, err := IIN(s).birthDate(); err != nil {
		return "", &ErrInvalidID{"IIN", s, "first six digits are not a valid birth date YYMMDD"}
	}
	return IIN(s), nil
}

// MustIIN is ParseIIN for constants in tests and examples; it panics on an invalid IIN.
func MustIIN(s string) IIN {
	v, err := ParseIIN(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v IIN) birthDate() (Date, error) {
	s := string(v)
	yy, _ := strconv.Atoi(s[0:2])
	mm, _ := strconv.Atoi(s[2:4])
	dd, _ := strconv.Atoi(s[4:6])
	century := 1800 + 100*int((s[6]-'1')/2)
	d := NewDate(century+yy, time.Month(mm), dd)
	if d.Year() != century+yy || int(d.Month()) != mm || d.Day() != dd {
		return Date{}, fmt.Errorf("bad date")
	}
	return d, nil
}

// BirthDate is the birth date encoded in a valid IIN.
func (v IIN) BirthDate() Date { d, _ := v.birthDate(); return d }

// Sex is the sex encoded in a valid IIN.
func (v IIN) Sex() Sex {
	if (v[6]-'0')%2 == 1 {
		return Male
	}
	return Female
}

// String returns the 12 digits.
func (v IIN) String() string { return string(v) }

// ParseBIN validates s as a BIN: 12 digits and the check digit.
func ParseBIN(s string) (BIN, error) {
	if err := checkDigits("BIN", s); err != nil {
		return "", err
	}
	return BIN(s), nil
}

// MustBIN is ParseBIN for constants; it panics on an invalid BIN.
func MustBIN(s string) BIN {
	v, err := ParseBIN(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the 12 digits.
func (v BIN) String() string { return string(v) }

// MakeIIN builds the IIN of a person born on birth with sex, and a serial of four digits
// (0..9999); ok is false when no check digit exists for that serial (try the next one).
func MakeIIN(birth Date, sex Sex, serial int) (IIN, bool) {
	c := (birth.Year()-1800)/100*2 + 1
	if sex == Female {
		c++
	}
	s := fmt.Sprintf("%02d%02d%02d%d%04d", birth.Year()%100, int(birth.Month()), birth.Day(), c, serial%10000)
	d, ok := CheckDigit(s)
	if !ok {
		return "", false
	}
	return IIN(s + strconv.Itoa(d)), true
}

// MakeBIN builds a BIN from 11 leading digits (registration year-month YYMM, a type digit and a
// serial); ok is false when no check digit exists for them.
func MakeBIN(first11 string) (BIN, bool) {
	d, ok := CheckDigit(first11)
	if !ok {
		return "", false
	}
	return BIN(first11 + strconv.Itoa(d)), true
}
