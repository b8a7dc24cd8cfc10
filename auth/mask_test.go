package auth

import (
	"reflect"
	"testing"

	"github.com/birlik/birlik/domain"
)

func TestMaskComposite(t *testing.T) {
	iin, ok := domain.MakeIIN(domain.MustDate("1985-07-01"), domain.Male, 201)
	if !ok {
		t.Fatal("no check digit for this serial: pick another")
	}
	s := string(iin)
	cases := map[string]string{
		s:                                        s[:6] + "******",
		"F00000001|" + s + "|2020-01-01":         "F00000001|" + s[:6] + "******|2020-01-01",
		"pension|" + s + "|170200777701|2025-01": "pension|" + s[:6] + "******|170200777701|2025-01", // a BIN is no IIN
		"Сейтов":                                 "С***",
		"C-1234":                                 "C***",
		"":                                       "",
		"1" + s:                                  "1***", // 13 digits: no IIN stands alone in it
	}
	for in, want := range cases {
		if got := MaskString(in); got != want {
			t.Errorf("MaskString(%q) = %q, want %q", in, got, want)
		}
	}
	ev := map[string]any{"month": "2025-03", "facts": []any{map[string]any{"iin": s, "deathDate": "2025-02-14", "bin": "170200777701"}}}
	want := map[string]any{"month": "2025-03", "facts": []any{map[string]any{"iin": s[:6] + "******", "deathDate": "2025-**-**", "bin": "170200777701"}}}
	if got := MaskValue(ev); !reflect.DeepEqual(got, want) {
		t.Errorf("MaskValue = %v, want %v", got, want)
	}
	if ev["facts"].([]any)[0].(map[string]any)["iin"] != s {
		t.Error("MaskValue changed its argument")
	}
	if got := IINsIn(ev); !reflect.DeepEqual(got, []domain.IIN{iin}) {
		t.Errorf("IINsIn(evidence) = %v, want [%s]", got, iin)
	}
	if got := IINsIn("F1|" + s + "|x"); !reflect.DeepEqual(got, []domain.IIN{iin}) {
		t.Errorf("IINsIn(key) = %v", got)
	}
	p := s
	if got := IINsIn(&p); len(got) != 1 {
		t.Errorf("IINsIn(*string) = %v", got)
	}
}
