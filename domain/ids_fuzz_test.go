package domain

import "testing"

// FuzzParseIIN: any input either parses into an IIN that agrees with itself (12 digits, check
// digit, century/sex digit, a real birth date that MakeIIN would encode the same way) or is
// refused with an *ErrInvalidID — never a panic.
func FuzzParseIIN(f *testing.F) {
	for _, s := range []string{"900215400122", "850101300451", "900215400123", "", "90021540012", "900231400122", "000229500011"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseIIN(s)
		if err != nil {
			if _, ok := err.(*ErrInvalidID); !ok {
				t.Fatalf("ParseIIN(%q) error %T, want *ErrInvalidID", s, err)
			}
			return
		}
		if string(v) != s || len(s) != 12 {
			t.Fatalf("ParseIIN(%q) = %q", s, v)
		}
		d, ok := CheckDigit(s[:11])
		if !ok || int(s[11]-'0') != d {
			t.Fatalf("ParseIIN(%q) accepted a wrong check digit", s)
		}
		b := v.BirthDate()
		if b.IsZero() || b.Year()%100 != int(s[0]-'0')*10+int(s[1]-'0') {
			t.Fatalf("ParseIIN(%q): birth date %s does not match", s, b)
		}
		if _, err := ParseBIN(s); err != nil {
			t.Fatalf("valid IIN %q is not a valid 12-digit number for ParseBIN: %v", s, err)
		}
	})
}

// FuzzParseBIN: any input parses into 12 digits with the right check digit, or is refused.
func FuzzParseBIN(f *testing.F) {
	for _, s := range []string{"150440001236", "981140007779", "150440001237", "", "1504400012360", "15044000123x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBIN(s)
		if err != nil {
			if _, ok := err.(*ErrInvalidID); !ok {
				t.Fatalf("ParseBIN(%q) error %T", s, err)
			}
			return
		}
		if string(v) != s || len(s) != 12 {
			t.Fatalf("ParseBIN(%q) = %q", s, v)
		}
		for i := 0; i < 12; i++ {
			if s[i] < '0' || s[i] > '9' {
				t.Fatalf("ParseBIN(%q) accepted a non-digit", s)
			}
		}
		if d, ok := CheckDigit(s[:11]); !ok || int(s[11]-'0') != d {
			t.Fatalf("ParseBIN(%q) accepted a wrong check digit", s)
		}
		if mk, ok := MakeBIN(s[:11]); !ok || mk != v {
			t.Fatalf("MakeBIN(%q) = %q,%v, want %q", s[:11], mk, ok, v)
		}
	})
}
