package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/birlik/birlik/bench/internal/kit"
)

// An answer to kit.CitizenQuery and PostGraphile's answer with the same data, its numbers as
// strings, lists in another order and region names missing, normalize to the same JSON; a
// difference in one payment does not.
func TestNormalizeComparesTheSameData(t *testing.T) {
	birlik := `{"data":{"person":{"iin":"061203519922","lastName":"Қасымов","firstName":"Дархан","patronymic":"","birthDate":"2006-12-03","sex":"M","deathDate":null,
	  "region":{"kato":"470000000","name":"Mangystau Region"},
	  "family":{"platformID":"F00000011","region":{"kato":"470000000"},"members":[
	    {"iin":"721220324432","role":"head","from":"2007-02-22","to":null,"person":{"lastName":"Қасымов","firstName":"Айдос","birthDate":"1972-12-20"}},
	    {"iin":"061203519922","role":"child","from":"2006-12-03","to":null,"person":null}]},
	  "enrollments":[{"grade":1,"year":2023,"from":"2023-09-01","to":"2024-08-31","school":{"bin":"040740001505","name":"Колледж","kind":"college","region":{"kato":"470000000","name":"Mangystau Region"},"designCapacity":8}}],
	  "payments":{"totalCount":2,"edges":[{"node":{"kind":"disability_benefit","amount":49100,"period":"2025-01","paidOn":"2025-01-25"}},{"node":{"kind":"disability_benefit","amount":49100,"period":"2025-02","paidOn":null}}]}}},
	  "extensions":{"cost":{"rows":9}}}`
	pg := `{"data":{"allPeople":{"nodes":[{"iin":"061203519922","lastName":"Қасымов","firstName":"Дархан","patronymic":"","birthDate":"2006-12-03","sex":"M","deathDate":null,"regionKato":"470000000",
	  "familyMembershipsByPersonId":{"nodes":[{"familyByFamilyId":{"platformId":"F00000011","regionKato":"470000000","familyMembershipsByFamilyId":{"nodes":[
	    {"iin":"061203519922","role":"child","from":"2006-12-03","to":null,"personByPersonId":null},
	    {"iin":"721220324432","role":"head","from":"2007-02-22","to":null,"personByPersonId":{"lastName":"Қасымов","firstName":"Айдос","birthDate":"1972-12-20"}}]}}}]},
	  "enrollmentsByChildId":{"nodes":[{"grade":"1","year":"2023","from":"2023-09-01","to":"2024-08-31","schoolBySchoolId":{"bin":"040740001505","name":"Колледж","kind":"college","regionKato":"470000000","buildingByBuildingId":{"designCapacity":"8"}}}]},
	  "paymentsByRecipientId":{"totalCount":2,"nodes":[{"kind":"disability_benefit","amount":"49100","period":"2025-02","paidOn":null},{"kind":"disability_benefit","amount":"49100","period":"2025-01","paidOn":"2025-01-25"}]}}]}}}`
	a, err := normalizeBirlik([]byte(birlik))
	if err != nil || a == nil {
		t.Fatalf("normalizeBirlik: %v, %v", a, err)
	}
	b, err := normalizePostGraphile([]byte(pg))
	if err != nil || b == nil {
		t.Fatalf("normalizePostGraphile: %v, %v", b, err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("the same data normalized differently:\n%s\n%s", ja, jb)
	}
	b.Payments[0].Amount++
	jb, _ = json.Marshal(b)
	if string(ja) == string(jb) {
		t.Error("a different amount normalized the same")
	}
	if c, err := normalizeBirlik([]byte(`{"data":{"person":null}}`)); c != nil || err != nil {
		t.Errorf("no person: %v, %v; want nil, nil", c, err)
	}
	if _, err := normalizePostGraphile([]byte(`{"errors":[{"message":"boom"}]}`)); err == nil {
		t.Error("an answer with errors was accepted")
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{7.25: "7.2", 99.96: "100.0", 653.4: "653", 1194.6: "1,195", 1234567: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

// A page of Birlik's change feed and PostGraphile's page of the same rows, seq as a string, the
// time in another zone with its trailing zeros, normalize to the same rows; a different key,
// a missing row or an answer with errors do not pass.
func TestNormalizeFeedComparesTheSameRows(t *testing.T) {
	birlik := `{"data":{"changes":{"edges":[
	  {"node":{"seq":501,"entity":"person","key":"721220324432","iin":"721220324432","op":"create","at":"2025-03-01T08:00:00.1234Z"}},
	  {"node":{"seq":502,"entity":"coverage","key":"721220324432|2024-01-01","iin":"721220324432","op":"update","at":"2025-03-01T08:00:01Z"}}],
	  "pageInfo":{"hasNextPage":true,"endCursor":"b-cursor"}}},"extensions":{"cost":{"rows":2}}}`
	pg := `{"data":{"allChanges":{"nodes":[
	  {"seq":"501","entity":"person","key":"721220324432","iin":"721220324432","op":"create","at":"2025-03-01T13:00:00.123400+05:00"},
	  {"seq":"502","entity":"COVERAGE","key":"721220324432|2024-01-01","iin":"721220324432","op":"UPDATE","at":"2025-03-01T08:00:01.000000+00:00"}],
	  "pageInfo":{"hasNextPage":true,"endCursor":"WyJzZXFfYXNjIiw1MDJd"}}}}`
	a, err := normalizeFeed([]byte(birlik), false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := normalizeFeed([]byte(pg), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameRows(a.Rows, b.Rows, "postgraphile"); err != nil {
		t.Errorf("the same rows compared unequal: %v", err)
	}
	if a.Rows[0].At != "2025-03-01T08:00:00.123400Z" || a.Rows[1].Seq != 502 {
		t.Errorf("Birlik's rows read as %+v", a.Rows)
	}
	if !a.HasNext || a.EndCursor != "b-cursor" || !b.HasNext || b.EndCursor != "WyJzZXFfYXNjIiw1MDJd" {
		t.Errorf("page info: %+v, %+v", a, b)
	}
	c := slices.Clone(b.Rows)
	c[1].Key = "721220324432|2024-02-01"
	if err := sameRows(a.Rows, c, "postgraphile"); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("a different key: %v; want row 2 named", err)
	}
	if err := sameRows(a.Rows, b.Rows[:1], "floor"); err == nil {
		t.Error("a missing row passed")
	}
	if _, err := normalizeFeed([]byte(`{"errors":[{"message":"boom"}],"data":null}`), false); err == nil {
		t.Error("an answer with errors was accepted")
	}
	if _, err := normalizeFeed([]byte(birlik), true); err == nil {
		t.Error("Birlik's answer read as PostGraphile's")
	}
	if _, err := normalizeFeed([]byte(strings.Replace(pg, "2025-03-01T13:00:00.123400+05:00", "yesterday", 1)), true); err == nil {
		t.Error("a time that is not RFC 3339 was accepted")
	}

	// The floor's rows read the same.
	at, _ := time.Parse(time.RFC3339, "2025-03-01T08:00:00.1234Z")
	floor := floorRows([]kit.FloorChange{
		{Seq: 501, Entity: "person", Key: "721220324432", IIN: "721220324432", Op: "create", At: at.In(time.FixedZone("", 5*3600))},
		{Seq: 502, Entity: "coverage", Key: "721220324432|2024-01-01", IIN: "721220324432", Op: "update", At: at.Add(876600 * time.Microsecond)},
	})
	if err := sameRows(a.Rows, floor, "floor"); err != nil {
		t.Errorf("the floor's rows: %v", err)
	}

	// What a client following the feed reads of a page.
	for _, tc := range []struct {
		body string
		pg   bool
		end  string
	}{{birlik, false, "b-cursor"}, {pg, true, "WyJzZXFfYXNjIiw1MDJd"}} {
		n, more, end, err := feedSummary([]byte(tc.body), tc.pg)
		if err != nil || n != 2 || !more || end != tc.end {
			t.Errorf("feedSummary = %d, %v, %q, %v; want 2 rows, more, %q", n, more, end, err, tc.end)
		}
	}
	if n, more, end, err := feedSummary([]byte(`{"data":{"changes":{"edges":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`), false); err != nil || n != 0 || more || end != "" {
		t.Errorf("the empty page: %d, %v, %q, %v", n, more, end, err)
	}
	if _, _, _, err := feedSummary([]byte(`{"data":{"person":null}}`), false); err == nil {
		t.Error("an answer without the feed was read as a page")
	}
}

// A client of the feed starts at one of the starts, follows each page's end while more follow,
// and starts again at random after the last page or an error; a page counts its rows, and an
// empty page is an error.
func TestFeedClientsFollowTheFeed(t *testing.T) {
	// A feed of 1,234 changes, seq 1…1234: pages of 500, 500 and 234.
	const total = 1234
	ends := []int64{500, 1000, 1234}
	starts := feedStarts(0, ends)
	if !slices.Equal(starts, []int64{0, 500, 1000}) {
		t.Fatalf("starts %v; want 0, 500, 1000", starts)
	}
	var asked []int64
	failAt := int64(-1)
	page := func(_ context.Context, after int64) (int, int64, bool, error) {
		asked = append(asked, after)
		if after == failAt {
			return 0, 0, false, errors.New("boom")
		}
		n := min(500, total-int(after))
		return n, after + int64(n), after+int64(n) < total, nil
	}
	client := feedClients(starts, page)(0)
	rnd := rand.New(rand.NewPCG(1, 2))
	rows := 0
	for range 300 {
		n, err := client(context.Background(), rnd)
		if err != nil {
			t.Fatal(err)
		}
		rows += n
	}
	for i := 1; i < len(asked); i++ {
		prev, cur := asked[i-1], asked[i]
		if prev < 1000 && cur != prev+500 {
			t.Fatalf("request %d asked after %d, the one before after %d: want the next page", i+1, cur, prev)
		}
		if prev == 1000 && !slices.Contains(starts, cur) {
			t.Fatalf("after the last page the client asked after %d, not a start", cur)
		}
	}
	want := 0
	for _, a := range asked {
		want += min(500, total-int(a))
	}
	if rows != want || !slices.Contains(asked, 0) || !slices.Contains(asked, 1000) {
		t.Errorf("%d rows counted, pages after %v; want %d and every start", rows, asked, want)
	}

	// An error ends the walk: the next request starts again.
	asked, failAt = nil, 500
	for range 50 {
		_, _ = client(context.Background(), rnd)
	}
	for i := 1; i < len(asked); i++ {
		if asked[i-1] == 500 && !slices.Contains(starts, asked[i]) {
			t.Fatalf("after an error the client asked after %d, not a start", asked[i])
		}
	}
	empty := feedClients([]int64{0}, func(context.Context, int64) (int, int64, bool, error) { return 0, 0, false, nil })(0)
	if _, err := empty(context.Background(), rnd); err == nil {
		t.Error("an empty page passed")
	}
	if got := feedStarts[any](nil, []any{"a"}); len(got) != 1 || got[0] != nil {
		t.Errorf("one page: starts %v; want the feed's start only", got)
	}
}

func TestFeedCheckPages(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	got := feedCheckPages(100, 5, rnd)
	if len(got) != 5 || got[0] != 0 || got[4] != 99 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != 5 {
		t.Errorf("5 of 100: %v; want the first, the last and 3 others, in order", got)
	}
	if got := feedCheckPages(3, 50, rnd); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("50 of 3: %v; want every page", got)
	}
	if got := feedCheckPages(10, 1, rnd); !slices.Equal(got, []int{0}) {
		t.Errorf("1 of 10: %v; want the first", got)
	}
	if got := feedCheckPages(10, 0, rnd); got != nil {
		t.Errorf("0 of 10: %v; want none", got)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil || !slices.Equal(o.workloads, []string{"citizen", "feed"}) || len(o.servers) != 5 || !slices.Equal(o.concurrency, []int{1, 16, 64}) {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for arg, want := range map[string][]string{"feed": {"feed"}, "citizen": {"citizen"}, " feed , citizen,feed": {"citizen", "feed"}} {
		o, err := parseOptions([]string{"-workloads", arg})
		if err != nil || !slices.Equal(o.workloads, want) {
			t.Errorf("-workloads %q: %v, %v; want %v", arg, o.workloads, err, want)
		}
	}
	for _, bad := range [][]string{{"-workloads", "umis"}, {"-workloads", ""}, {"-workloads", "citizen,"}, {"-servers", "hasura"}, {"-concurrency", "0"}} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The change feed's table shows rows per second, CPU per 1,000 rows and the ratio to
// PostGraphile's rows per second, – for Apollo, and the feed's target.
func TestPrintTableFeed(t *testing.T) {
	o := options{people: 2000, duration: 10 * time.Second, warmup: time.Second, concurrency: []int{1, 16},
		servers: []string{srvBirlik, srvApollo, srvPostGraphile}, workloads: []string{wlCitizen, wlFeed}}
	cell := func(pages, rows int, cpu time.Duration) kit.Cell {
		return kit.Cell{Requests: pages, Rows: rows, Elapsed: 10 * time.Second, P50: 4 * time.Millisecond, P99: 9 * time.Millisecond,
			CPU: kit.CPU{Process: cpu, Machine: 2 * cpu, OK: true}}
	}
	rows := []row{
		{wlFeed, srvBirlik, 1, cell(40, 39*500+400, time.Second)}, // 19,900 rows: 1,990 rows/s
		{wlFeed, srvPostGraphile, 1, cell(20, 9950, time.Second)}, // 995 rows/s
		{wlFeed, srvBirlik, 16, cell(60, 30000, 3*time.Second)},   // 3,000 rows/s, 100 ms per 1,000 rows
		{wlFeed, srvPostGraphile, 16, cell(40, 20000, time.Second)},
	}
	var b strings.Builder
	printTable(&b, o, rows, "0.1 0.1 0.1", "0.2 0.2 0.2")
	out := b.String()
	_, feed, ok := strings.Cut(out, "change feed, pages of 500")
	if !ok {
		t.Fatalf("no table of the change feed:\n%s", out)
	}
	line := func(title string) string {
		for _, l := range strings.Split(feed, "\n") {
			if strings.HasPrefix(l, title) {
				return l
			}
		}
		t.Fatalf("no line %q in the feed's table:\n%s", title, feed)
		return ""
	}
	for _, want := range []string{"1,990 (4.0 / 9.0)", "3,000 (4.0 / 9.0)", "100.00 / 200.00", "2.00 / 1.50"} {
		if l := line(serverTitles[srvBirlik]); !strings.Contains(l, want) {
			t.Errorf("Birlik's line %q lacks %q", l, want)
		}
	}
	if l := line(serverTitles[srvApollo]); strings.Count(l, "–") < 4 {
		t.Errorf("Apollo's line %q: want – in every cell", l)
	}
	for _, want := range []string{"1 client: rows/s (p50 / p99 ms)", "server / machine CPU ms per 1,000 rows at 16", "x PostGraphile rows/s",
		"target: Birlik ≥ 2x PostGraphile's rows/s on the change feed at 1: 2.00x (met)",
		"target: Birlik ≥ 2x PostGraphile's rows/s on the change feed at 16: 1.50x (NOT met)"} {
		if !strings.Contains(feed, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "target: Birlik ≥ 1.5x") {
		t.Errorf("a citizen target without citizen cells:\n%s", out)
	}
}
