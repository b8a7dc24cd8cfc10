package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseIIN(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		wantErr  string // substring of the error; "" for valid
		birth    string
		sex      Sex
	}{
		{"1990 female", "900215400122", "", "1990-02-15", Female},
		{"1985 male", "850101300451", "", "1985-01-01", Male},
		{"2020 male", "200305500012", "", "2020-03-05", Male},
		{"1971 male", "710923300770", "", "1971-09-23", Male},
		{"wrong check digit", "900215400123", "check digit should be 2, not 3", "", ""},
		{"too short", "90021540012", "must be 12 digits, got 11", "", ""},
		{"too long", "9002154001220", "must be 12 digits, got 13", "", ""},
		{"letter", "90021540O122", "character 9 is 'O'", "", ""},
		{"empty", "", "must be 12 digits, got 0", "", ""},
		{"century digit 0", "900215000122", "", "", ""}, // refused: see below
		{"century digit 7", "900215700122", "", "", ""},
		{"impossible date", "900231400122", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := ParseIIN(tc.in)
			if tc.birth == "" {
				if err == nil {
					t.Fatalf("ParseIIN(%q) accepted", tc.in)
				}
				var ie *ErrInvalidID
				if !errors.As(err, &ie) || ie.Kind != "IIN" || ie.Value != tc.in {
					t.Errorf("error %v (%T), want *ErrInvalidID naming the IIN", err, err)
				}
				if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q, want it to say %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseIIN(%q): %v", tc.in, err)
			}
			if v.BirthDate() != MustDate(tc.birth) || v.Sex() != tc.sex || v.String() != tc.in {
				t.Errorf("%q: birth %s sex %s, want %s %s", tc.in, v.BirthDate(), v.Sex(), tc.birth, tc.sex)
			}
		})
	}
}

func TestParseBIN(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"valid", "150440001236", true},
		{"valid 2", "981140007779", true},
		{"wrong check digit", "150440001237", false},
		{"short", "15044000123", false},
		{"spaces", "150440 01236", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBIN(tc.in)
			if (err == nil) != tc.ok {
				t.Errorf("ParseBIN(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			}
		})
	}
}

func TestCheckDigitSecondWeights(t *testing.T) {
	t.Parallel()
	// Find 11 digits whose first weighted sum is 10 mod 11, so the second weights decide.
	found := false
	for n := 0; n < 100000 && !found; n++ {
		s := "9001014" + string(rune('0'+n/1000%10)) + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
		sum := 0
		for i := 0; i < 11; i++ {
			sum += int(s[i]-'0') * (i + 1)
		}
		if sum%11 != 10 {
			continue
		}
		found = true
		sum2 := 0
		for i, w := range []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2} {
			sum2 += int(s[i]-'0') * w
		}
		d, ok := CheckDigit(s)
		if sum2%11 == 10 {
			if ok {
				t.Errorf("CheckDigit(%q) = %d, want no valid digit", s, d)
			}
		} else if !ok || d != sum2%11 {
			t.Errorf("CheckDigit(%q) = %d,%v, want %d from the second weights", s, d, ok, sum2%11)
		}
	}
	if !found {
		t.Fatal("no case for the second weights")
	}
}

func TestMakeIINRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		birth Date
		sex   Sex
	}{
		{NewDate(1899, time.December, 31), Male}, {NewDate(1950, time.June, 1), Female},
		{NewDate(2000, time.February, 29), Male}, {NewDate(2025, time.December, 31), Female},
	} {
		t.Run(tc.birth.String()+string(tc.sex), func(t *testing.T) {
			for serial := 0; serial < 50; serial++ {
				v, ok := MakeIIN(tc.birth, tc.sex, serial)
				if !ok {
					continue
				}
				p, err := ParseIIN(string(v))
				if err != nil || p.BirthDate() != tc.birth || p.Sex() != tc.sex {
					t.Fatalf("MakeIIN gave %q: %v, birth %s sex %s", v, err, p.BirthDate(), p.Sex())
				}
			}
		})
	}
}
