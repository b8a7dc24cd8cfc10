package domain

import (
	"bytes"
	"testing"
)

func TestWelfareCategoryRankAndParse(t *testing.T) {
	for i, c := range WelfareCategories {
		if c.Rank() != i+1 {
			t.Errorf("%s rank %d, want %d", c, c.Rank(), i+1)
		}
		if p, err := ParseWelfareCategory(string(c)); err != nil || p != c {
			t.Errorf("ParseWelfareCategory(%s) = %s, %v", c, p, err)
		}
	}
	if _, err := ParseWelfareCategory("rich"); err == nil {
		t.Error("ParseWelfareCategory(rich): want an error")
	}
}

func TestWelfareCategoryGQL(t *testing.T) {
	var b bytes.Buffer
	Crisis.MarshalGQL(&b)
	if b.String() != `"crisis"` {
		t.Errorf("MarshalGQL: %s, want \"crisis\"", b.String())
	}
	var c WelfareCategory
	if err := c.UnmarshalGQL("prosperous"); err != nil || c != Prosperous {
		t.Errorf("UnmarshalGQL(prosperous) = %s, %v", c, err)
	}
	if err := c.UnmarshalGQL("rich"); err == nil {
		t.Error("UnmarshalGQL(rich): want an error")
	}
	if err := c.UnmarshalGQL(3); err == nil {
		t.Error("UnmarshalGQL(3): want an error")
	}
}
