package kit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/birlik/birlik/domain"
)

// The floor: the citizen query written by hand in SQL against the gateway's own PostgreSQL
// store (table and column names from ent/migrate/schema.go), sent as one pgx batch, one round
// trip, and encoded to JSON like an answer. It is what no gateway can beat on this machine.
const (
	floorPerson = `SELECT p.iin, p.last_name, p.first_name, p.patronymic, p.birth_date, p.sex::text, p.death_date, p.region_kato
FROM persons p WHERE p.iin = $1`
	floorFamily = `SELECT f.platform_id, f.region_kato, m2.iin, m2.role::text, m2."from", m2."to", p2.last_name, p2.first_name, p2.birth_date
FROM persons p
JOIN family_memberships m ON m.person_id = p.id AND m."to" IS NULL
JOIN families f ON f.id = m.family_id
JOIN family_memberships m2 ON m2.family_id = f.id
LEFT JOIN persons p2 ON p2.id = m2.person_id
WHERE p.iin = $1 ORDER BY m2.id`
	floorEnrollments = `SELECT e.grade, e.year, e."from", e."to", s.bin, s.name, s.kind::text, s.region_kato, b.design_capacity
FROM persons p
JOIN enrollments e ON e.child_id = p.id
LEFT JOIN schools s ON s.id = e.school_id
LEFT JOIN buildings b ON b.id = s.building_id
WHERE p.iin = $1 ORDER BY e.id`
	floorPayments = `SELECT py.kind::text, py.amount, py.period, py.paid_on
FROM persons p JOIN payments py ON py.recipient_id = p.id
WHERE p.iin = $1 AND py.period >= $2 ORDER BY py.id LIMIT 100`
	floorPaymentCount = `SELECT count(*) FROM persons p JOIN payments py ON py.recipient_id = p.id
WHERE p.iin = $1 AND py.period >= $2`
)

type floorMember struct {
	IIN, Role, From            string
	To                         *string
	LastName, FirstName, Birth *string
}

type floorEnrollment struct {
	Grade, Year                       int
	From                              string
	To                                *string
	BIN, Name, Kind, Region, RegionNm *string
	DesignCapacity                    *int
}

type floorPayment struct {
	Kind   string
	Amount int64
	Period string
	PaidOn *string
}

type floorAnswer struct {
	IIN, LastName, FirstName, Patronymic, BirthDate, Sex string
	DeathDate                                            *string
	Region, RegionName                                   string
	Family                                               *struct {
		PlatformID, Region string
		Members            []floorMember
	}
	Enrollments   []floorEnrollment
	PaymentsTotal int
	Payments      []floorPayment
}

func regionName(kato string) string {
	if r, ok := domain.RegionOf(domain.KATO(kato)); ok {
		return r.Name
	}
	return ""
}

// FloorCitizen answers the citizen query for iin (payments from month from) the floor's way
// and encodes the answer to JSON; an error when the person is not in the store.
func FloorCitizen(ctx context.Context, pool *pgxpool.Pool, iin, from string) error {
	batch := &pgx.Batch{}
	batch.Queue(floorPerson, iin)
	batch.Queue(floorFamily, iin)
	batch.Queue(floorEnrollments, iin)
	batch.Queue(floorPayments, iin, from)
	batch.Queue(floorPaymentCount, iin, from)
	br := pool.SendBatch(ctx, batch)
	defer br.Close()

	var a floorAnswer
	if err := br.QueryRow().Scan(&a.IIN, &a.LastName, &a.FirstName, &a.Patronymic, &a.BirthDate, &a.Sex, &a.DeathDate, &a.Region); err != nil {
		return fmt.Errorf("person %s: %w", iin, err)
	}
	a.RegionName = regionName(a.Region)
	rows, err := br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		if a.Family == nil {
			a.Family = &struct {
				PlatformID, Region string
				Members            []floorMember
			}{}
		}
		var m floorMember
		if err := rows.Scan(&a.Family.PlatformID, &a.Family.Region, &m.IIN, &m.Role, &m.From, &m.To, &m.LastName, &m.FirstName, &m.Birth); err != nil {
			rows.Close()
			return err
		}
		a.Family.Members = append(a.Family.Members, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		var e floorEnrollment
		if err := rows.Scan(&e.Grade, &e.Year, &e.From, &e.To, &e.BIN, &e.Name, &e.Kind, &e.Region, &e.DesignCapacity); err != nil {
			rows.Close()
			return err
		}
		if e.Region != nil {
			n := regionName(*e.Region)
			e.RegionNm = &n
		}
		a.Enrollments = append(a.Enrollments, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		var p floorPayment
		if err := rows.Scan(&p.Kind, &p.Amount, &p.Period, &p.PaidOn); err != nil {
			rows.Close()
			return err
		}
		a.Payments = append(a.Payments, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := br.QueryRow().Scan(&a.PaymentsTotal); err != nil {
		return err
	}
	return json.NewEncoder(io.Discard).Encode(a)
}

// MemTotal returns the machine's memory from /proc/meminfo, e.g. "24 GiB"; "" when unknown.
func MemTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			var kb int64
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	return ""
}

// FloorChangesQuery is the floor's page of the change feed: the changes after a sequence number
// by the unique index on seq (sequence numbers count from 1, so 0 is the feed's start), 500 and
// one more, which tells whether a next page follows, as a connection's hasNextPage does.
const FloorChangesQuery = `SELECT seq, entity::text, "key", iin, op::text, "at" FROM changes WHERE seq > $1 ORDER BY seq LIMIT 501`

// FloorChange is one row of the floor's change feed.
type FloorChange struct {
	Seq                  int64
	Entity, Key, IIN, Op string
	At                   time.Time
}

// FloorChanges reads the page of 500 of the change feed after sequence number after the floor's
// way, one statement, encodes it to JSON like an answer and returns its rows and whether more
// follow.
func FloorChanges(ctx context.Context, pool *pgxpool.Pool, after int64) (page []FloorChange, more bool, err error) {
	rows, err := pool.Query(ctx, FloorChangesQuery, after)
	if err != nil {
		return nil, false, err
	}
	page = make([]FloorChange, 0, 501)
	for rows.Next() {
		var c FloorChange
		if err := rows.Scan(&c.Seq, &c.Entity, &c.Key, &c.IIN, &c.Op, &c.At); err != nil {
			rows.Close()
			return nil, false, err
		}
		page = append(page, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(page) > 500 {
		page, more = page[:500], true
	}
	return page, more, json.NewEncoder(io.Discard).Encode(page)
}
