package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/birlik/birlik/bench/internal/kit"
)

// PostGraphileFeedQuery asks PostGraphile for the page of kit.UMISQuery in PostGraphile's own
// names: the all-rows connection of the changes table (allChanges), ordered by its unique seq
// column, with its own cursors; the same six columns.
const PostGraphileFeedQuery = `query Feed($after: Cursor) {
  allChanges(first: 500, after: $after, orderBy: SEQ_ASC) { nodes { seq entity key iin op at } pageInfo { hasNextPage endCursor } }
}`

// feedRow is one change of the feed in one shape for every server, so that two servers' pages
// compare. Every column is compared: the health role reads the IIN and the key (category
// IDENTITY) unmasked, so Birlik returns them as the peers do.
type feedRow struct {
	Seq                  int64
	Entity, Key, IIN, Op string
	At                   string // the instant in UTC to the microsecond (what PostgreSQL keeps)
}

// feedPage is a page of the feed: its rows, whether a next page follows and the cursor after it.
type feedPage struct {
	Rows      []feedRow
	HasNext   bool
	EndCursor string
}

type feedNode struct {
	Seq                      json.Number
	Entity, Key, IIN, Op, At string
}

type feedPageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// normalizeFeed reads a page of the change feed: an answer to kit.UMISQuery, or with
// postgraphile an answer to PostGraphileFeedQuery, which sends the bigint seq as a string and
// its timestamps in the time zone of PostgreSQL's connection. The enumerations' values are compared in
// lower case (PostGraphile would upper-case them were the columns PostgreSQL enums).
func normalizeFeed(body []byte, postgraphile bool) (*feedPage, error) {
	type conn struct {
		Edges    []struct{ Node feedNode }
		Nodes    []feedNode
		PageInfo feedPageInfo
	}
	var r struct {
		Data struct {
			Changes    *conn
			AllChanges *conn
		}
		Errors json.RawMessage
	}
	if err := decodeAnswer(body, &r, &r.Errors); err != nil {
		return nil, err
	}
	c := r.Data.Changes
	if postgraphile {
		c = r.Data.AllChanges
	}
	if c == nil {
		return nil, fmt.Errorf("no connection in the answer: %s", kit.Clip(body))
	}
	nodes := c.Nodes
	for _, e := range c.Edges {
		nodes = append(nodes, e.Node)
	}
	p := &feedPage{HasNext: c.PageInfo.HasNextPage, Rows: make([]feedRow, 0, len(nodes))}
	if c.PageInfo.EndCursor != nil {
		p.EndCursor = *c.PageInfo.EndCursor
	}
	for _, n := range nodes {
		seq, err := n.Seq.Int64()
		if err != nil {
			return nil, fmt.Errorf("seq %q: %w", n.Seq, err)
		}
		at, err := time.Parse(time.RFC3339Nano, n.At)
		if err != nil {
			return nil, fmt.Errorf("change %d: at: %w", seq, err)
		}
		p.Rows = append(p.Rows, feedRow{Seq: seq, Entity: strings.ToLower(n.Entity), Key: n.Key, IIN: n.IIN,
			Op: strings.ToLower(n.Op), At: instant(at)})
	}
	return p, nil
}

// instant writes t in UTC with microseconds, whatever zone and precision it came in.
func instant(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// floorRows is the floor's page in the shape of feedRow.
func floorRows(page []kit.FloorChange) []feedRow {
	rows := make([]feedRow, 0, len(page))
	for _, c := range page {
		rows = append(rows, feedRow{Seq: c.Seq, Entity: strings.ToLower(c.Entity), Key: c.Key, IIN: c.IIN, Op: strings.ToLower(c.Op), At: instant(c.At)})
	}
	return rows
}

// sameRows says where got, the page of the server named other, differs from want, Birlik's:
// nil when they hold the same rows in the same order.
func sameRows(want, got []feedRow, other string) error {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Errorf("row %d differs:\n birlik: %+v\n %s: %+v", i+1, want[i], other, got[i])
		}
	}
	if len(want) != len(got) {
		return fmt.Errorf("%d rows, where Birlik's page holds %d", len(got), len(want))
	}
	return nil
}

// feedSummary reads what a client following the feed needs of a page, without the rows'
// values: how many rows it holds, whether a next page follows and the cursor after it.
func feedSummary(body []byte, postgraphile bool) (rows int, more bool, end string, err error) {
	type conn struct {
		Edges    []struct{}
		Nodes    []struct{}
		PageInfo feedPageInfo
	}
	var r struct {
		Data struct {
			Changes    *conn
			AllChanges *conn
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, false, "", err
	}
	c := r.Data.Changes
	if postgraphile {
		c = r.Data.AllChanges
	}
	if c == nil {
		return 0, false, "", fmt.Errorf("not a page of the change feed: %s", kit.Clip(body))
	}
	if c.PageInfo.EndCursor != nil {
		end = *c.PageInfo.EndCursor
	}
	return len(c.Edges) + len(c.Nodes), c.PageInfo.HasNextPage, end, nil
}

// pageFunc asks a server for the page of the feed after a position (a cursor, a sequence
// number; the zero value for the feed's start) and returns its rows, the position after it and
// whether a next page follows.
type pageFunc[P any] func(ctx context.Context, after P) (rows int, next P, more bool, err error)

// clientFunc is what kit.MeasureClients runs: one client's request, returning the rows it got.
type clientFunc = func(ctx context.Context, rnd *rand.Rand) (int, error)

// feedClients are the clients of the change-feed workload: each starts at a random one of
// starts, asks for the page after it, follows the page's end while a next page follows, and
// starts again at random after the last page or after an error. A request is one page and
// counts the rows it returned; a page without rows is an error (no start is the feed's end).
func feedClients[P any](starts []P, page pageFunc[P]) func(int) clientFunc {
	return func(int) clientFunc {
		var after P
		walking := false
		return func(ctx context.Context, rnd *rand.Rand) (int, error) {
			if !walking {
				after = starts[rnd.IntN(len(starts))]
			}
			walking = false
			n, next, more, err := page(ctx, after)
			if err != nil {
				return 0, err
			}
			if n == 0 {
				return 0, errors.New("a page of the change feed without rows")
			}
			if more {
				after, walking = next, true
			}
			return n, nil
		}
	}
}

// feedStarts are the positions clients start from: the feed's start (first) and the end of
// every page but the last (after which no rows follow), from ends, the end of each page.
func feedStarts[P any](first P, ends []P) []P {
	starts := []P{first}
	if len(ends) > 1 {
		starts = append(starts, ends[:len(ends)-1]...)
	}
	return starts
}

// gqlFeedPage pages the feed of a GraphQL server with key: Birlik's changes, or with
// postgraphile PostGraphile's allChanges.
func gqlFeedPage(c *kit.Client, key string, postgraphile bool) pageFunc[any] {
	query := kit.UMISQuery
	if postgraphile {
		query = PostGraphileFeedQuery
	}
	return func(ctx context.Context, after any) (int, any, bool, error) {
		body, err := c.GQL(ctx, key, kit.PurposeUMIS, query, map[string]any{"after": after})
		if err != nil {
			return 0, nil, false, err
		}
		n, more, end, err := feedSummary(body, postgraphile)
		if err == nil && more && end == "" {
			err = fmt.Errorf("a page with a next page and no end cursor: %s", kit.Clip(body))
		}
		return n, end, more, err
	}
}

// floorFeedPage pages the feed the floor's way, after a sequence number.
func floorFeedPage(pool *pgxpool.Pool) pageFunc[int64] {
	return func(ctx context.Context, after int64) (int, int64, bool, error) {
		page, more, err := kit.FloorChanges(ctx, pool, after)
		if err != nil || len(page) == 0 {
			return 0, after, false, err
		}
		return len(page), page[len(page)-1].Seq, more, nil
	}
}

// feedCheckPages picks n of pages page numbers (0: the first) to compare: the first, the last
// and others at random, in order; every page when n ≥ pages.
func feedCheckPages(pages, n int, rnd *rand.Rand) []int {
	if n <= 0 || pages <= 0 {
		return nil
	}
	if n >= pages {
		all := make([]int, pages)
		for i := range all {
			all[i] = i
		}
		return all
	}
	picked := map[int]bool{0: true}
	if n > 1 {
		picked[pages-1] = true
	}
	for len(picked) < n {
		picked[rnd.IntN(pages)] = true
	}
	out := make([]int, 0, n)
	for i := range picked {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// feedPositions are the starting positions of the feed's clients on each server.
type feedPositions struct {
	birlik, postgraphile []any
	floor                []int64
}

// checkFeed finds where each server's clients may start on the change feed, and, for -check
// pages (at most every page), that PostGraphile and the floor return the same rows as Birlik:
// Birlik's pages from kit.Sample's cursors, PostGraphile's and the floor's from walking each
// one's whole feed once, page i of each after the end of its page i-1. Every server must count
// as many pages as Birlik. pg is nil when PostGraphile is not measured.
func (b *bench) checkFeed(ctx context.Context, g *kit.Gateway, pg *peerProc, out io.Writer) error {
	ends := b.samples.Cursors
	if len(ends) == 0 {
		return errors.New("check: the change feed is empty: there is nothing to page")
	}
	pages := len(ends)
	anyEnds := make([]any, len(ends))
	for i, e := range ends {
		anyEnds[i] = e
	}
	b.feed.birlik = feedStarts[any](nil, anyEnds)
	chosen := feedCheckPages(pages, b.o.check, rand.New(rand.NewPCG(3, 4)))
	want := map[int][]feedRow{}
	for _, i := range chosen {
		body, err := g.GQL(ctx, b.keys.Health, kit.PurposeUMIS, kit.UMISQuery, map[string]any{"after": b.feed.birlik[i]})
		if err != nil {
			return fmt.Errorf("check: Birlik, page %d of the change feed: %w", i+1, err)
		}
		p, err := normalizeFeed(body, false)
		if err != nil {
			return fmt.Errorf("check: Birlik's page %d of the change feed: %w", i+1, err)
		}
		if len(p.Rows) == 0 {
			return fmt.Errorf("check: Birlik's page %d of the change feed holds no rows: %s", i+1, kit.Clip(body))
		}
		want[i] = p.Rows
	}
	var others []string
	rows := -1
	if pg != nil {
		c := kit.NewClient(pg.base)
		var pgEnds []any
		total := 0
		var after any
		for i := 0; ; i++ {
			if i >= pages {
				return fmt.Errorf("check: PostGraphile's change feed goes on past Birlik's %d pages", pages)
			}
			body, err := c.GQL(ctx, b.peerKey, kit.PurposeUMIS, PostGraphileFeedQuery, map[string]any{"after": after})
			if err != nil {
				return fmt.Errorf("check: PostGraphile, page %d of the change feed: %w", i+1, err)
			}
			p, err := normalizeFeed(body, true)
			if err != nil {
				return fmt.Errorf("check: PostGraphile's page %d of the change feed: %w", i+1, err)
			}
			if w, ok := want[i]; ok {
				if err := sameRows(w, p.Rows, "postgraphile"); err != nil {
					return fmt.Errorf("check: PostGraphile's page %d of the change feed is not Birlik's: %w", i+1, err)
				}
			}
			if len(p.Rows) == 0 || p.EndCursor == "" {
				break
			}
			total += len(p.Rows)
			pgEnds = append(pgEnds, p.EndCursor)
			if !p.HasNext {
				break
			}
			after = p.EndCursor
		}
		if len(pgEnds) != pages {
			return fmt.Errorf("check: PostGraphile pages the change feed in %d pages of 500, Birlik in %d", len(pgEnds), pages)
		}
		b.feed.postgraphile = feedStarts[any](nil, pgEnds)
		others, rows = append(others, "PostGraphile's"), total
	}
	if contains(b.o.servers, srvFloor) {
		pool, err := pgxpool.New(ctx, b.pgURL)
		if err != nil {
			return err
		}
		defer pool.Close()
		var floorEnds []int64
		total := 0
		var after int64
		for i := 0; ; i++ {
			if i >= pages {
				return fmt.Errorf("check: the floor's change feed goes on past Birlik's %d pages", pages)
			}
			page, more, err := kit.FloorChanges(ctx, pool, after)
			if err != nil {
				return fmt.Errorf("check: the floor, page %d of the change feed: %w", i+1, err)
			}
			if w, ok := want[i]; ok {
				if err := sameRows(w, floorRows(page), "floor"); err != nil {
					return fmt.Errorf("check: the floor's page %d of the change feed is not Birlik's: %w", i+1, err)
				}
			}
			if len(page) == 0 {
				break
			}
			total += len(page)
			after = page[len(page)-1].Seq
			floorEnds = append(floorEnds, after)
			if !more {
				break
			}
		}
		if len(floorEnds) != pages {
			return fmt.Errorf("check: the floor pages the change feed in %d pages of 500, Birlik in %d", len(floorEnds), pages)
		}
		if rows >= 0 && total != rows {
			return fmt.Errorf("check: the floor's change feed holds %d rows, PostGraphile's %d", total, rows)
		}
		b.feed.floor = feedStarts(0, floorEnds)
		others, rows = append(others, "the floor's"), total
	}
	switch {
	case len(others) == 0:
		fmt.Fprintf(out, "check: the change feed, %d pages of 500: no peer to compare with Birlik\n", pages)
	case len(chosen) == 0:
		fmt.Fprintf(out, "check: the change feed, %d pages of 500 (%d rows) on every server; no page compared (-check 0)\n", pages, rows)
	default:
		fmt.Fprintf(out, "check: the change feed, %d pages of 500 (%d rows) on every server; %d pages (the first, the last, others at random) compared: %s rows (seq, entity, key, iin, op, at) equal Birlik's\n",
			pages, rows, len(chosen), strings.Join(others, " and "))
	}
	return nil
}
