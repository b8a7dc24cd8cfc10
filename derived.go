package main

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/checks"
	"github.com/birlik/birlik/domain"
	"github.com/birlik/birlik/ent/familyassessment"
	"github.com/birlik/birlik/ent/finding"
	"github.com/birlik/birlik/ent/paymentrollup"
	"github.com/birlik/birlik/familycard"
	"github.com/birlik/birlik/familycard/welfare"
	"github.com/birlik/birlik/graph/aggregate"
	"github.com/birlik/birlik/store"
	"github.com/birlik/birlik/syncer"
)

// deriver brings what is derived from the synced data (the integrity findings and the families'
// welfare assessments) up to date after a sync, and only when the data changed: a sync that
// applied nothing, the usual case between a source's changes, leaves them as they are.
//
// The data changed when the sync cursors did (syncer.Mark, which a sync run returns in its
// Stats): syncer writes a source's cursor in the same transaction as every page of records it
// applies, so the cursors move with every write, whoever made it (this gateway, another
// replica, `birlik sync`). The derived work runs when the cursors differ from those it last
// succeeded after, when it has not yet run in this process (a process that died between a sync
// and its derived work leaves them behind), and again after a run that failed.
//
// Skipping matters most on the embedded SQLite store: the derived work holds its single write
// lock in turn with the audit log for tens of seconds, and audited reads wait for it.
//
// afterSync has one caller at a time (the sync scheduler's OnChange); its state is read
// concurrently through state.
type deriver struct {
	log    *slog.Logger
	derive func(ctx context.Context, done func(job string)) error
	last   syncer.Since
	m      derivedMetrics

	mu                          sync.Mutex
	findingsAt, assessmentsAt   time.Time // when each job last finished
	running, current, succeeded bool      // a run is under way; the last run succeeded; one ever did
}

// newDeriver returns the gateway's deriver over the store s.
// asOf is the day the checks and the family card are evaluated on (zero: the store's latest
// complete month).
func newDeriver(s *store.Store, asOf domain.Date, checkWorkers int, log *slog.Logger, m derivedMetrics) *deriver {
	return &deriver{log: log, m: m, derive: func(ctx context.Context, done func(string)) error {
		return derive(ctx, s, asOf, checkWorkers, log, m, done)
	}}
}

// afterSync runs the derived work after a sync that left the store at mark (its Stats.Mark),
// if the store changed since the work last succeeded, and reports whether it ran and its error.
// A failure is logged and returned (the scheduler retries it); it never takes the gateway down.
func (dv *deriver) afterSync(ctx context.Context, mark string) (bool, error) {
	if !dv.last.Changed(mark) {
		dv.m.skipped.Inc()
		dv.log.Debug("the store is unchanged since the derived work last ran: skipped")
		return false, nil
	}
	dv.mu.Lock()
	dv.running, dv.current = true, false
	dv.mu.Unlock()
	err := dv.derive(ctx, func(job string) {
		dv.mu.Lock()
		defer dv.mu.Unlock()
		switch job {
		case "checks":
			dv.findingsAt = time.Now()
		case "assessments":
			dv.assessmentsAt = time.Now()
		}
	})
	dv.mu.Lock()
	dv.running, dv.current = false, err == nil
	dv.succeeded = dv.succeeded || err == nil
	dv.mu.Unlock()
	if err == nil {
		dv.last.Done(mark)
	}
	return true, err
}

// derivedState is what a deriver knows of how current the derived data is.
type derivedState struct {
	FindingsAt, AssessmentsAt time.Time // zero: not computed in this process
	// Current: the last run succeeded and none runs now; Succeeded: one run ever did.
	Current, Succeeded bool
}

// state returns the deriver's state; safe for concurrent use.
func (dv *deriver) state() derivedState {
	dv.mu.Lock()
	defer dv.mu.Unlock()
	return derivedState{FindingsAt: dv.findingsAt, AssessmentsAt: dv.assessmentsAt, Current: dv.current && !dv.running, Succeeded: dv.succeeded}
}

// derivedStored is how current the derived data is as the store shows it, for a replica that
// does not run the derived work: when the checks last found their cases (the findings' latest
// last_seen) and when a family was last assessed; current when both came after every source's
// cursor last moved (status, from syncer.StoredStatus) and no source is behind. Only replicas
// on PostgreSQL follow (an SQLite store has one process, which leads).
func derivedStored(ctx context.Context, s *store.Store, status []syncer.SourceStatus) (derivedState, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var st derivedState
	var f, a sql.Null[time.Time]
	if err := s.DB.QueryRowContext(ctx, `SELECT (SELECT max(`+finding.FieldLastSeen+`) FROM `+finding.Table+`), (SELECT max(`+familyassessment.FieldAssessedAt+`) FROM `+familyassessment.Table+`)`).Scan(&f, &a); err != nil {
		return st, err
	}
	st.FindingsAt, st.AssessmentsAt = f.V, a.V
	st.Succeeded = f.Valid && a.Valid
	st.Current = st.Succeeded && len(status) > 0
	for _, src := range status {
		if src.Behind || src.LastSuccess.After(st.FindingsAt) || src.LastSuccess.After(st.AssessmentsAt) {
			st.Current = false
		}
	}
	return st, nil
}

// derive runs the integrity checks, then the payment rollup (graph/aggregate), then the family
// assessments, then refreshes the planner's statistics of what it wrote (store.Analyze), calling
// done with the checks' and the assessments' names when each finishes. An error is logged and
// counted, and returned so that the work runs again.
func derive(ctx context.Context, s *store.Store, asOf domain.Date, checkWorkers int, log *slog.Logger, m derivedMetrics, done func(job string)) error {
	start := time.Now()
	cc := checks.Defaults()
	cc.AsOf, cc.Workers = asOf, checkWorkers
	sum, err := checks.Run(ctx, s, cc)
	if err != nil {
		m.runs.WithLabelValues("checks", "error").Inc()
		if ctx.Err() == nil {
			log.Error("checks failed; they run again after the next sync", "err", err)
		}
		return err
	}
	m.runs.WithLabelValues("checks", "ok").Inc()
	done("checks")
	log.Info("checks done", "took", time.Since(start).Round(time.Millisecond), "kinds", len(sum.Kinds), "open_findings_rows", len(sum.Rows))
	start = time.Now()
	// A failed rollup does not hold up the assessments: paymentAggregate reads the payments
	// while no rollup is at the store's mark. Its error is returned at the end, so that the
	// work runs again.
	groups, rollupErr := aggregate.RefreshRollup(ctx, s.Client)
	if rollupErr != nil {
		m.runs.WithLabelValues("rollups", "error").Inc()
		if ctx.Err() == nil {
			log.Error("payment rollup failed; it runs again with the derived work (paymentAggregate reads the payments meanwhile)", "err", rollupErr)
		}
	} else {
		m.runs.WithLabelValues("rollups", "ok").Inc()
		log.Info("payment rollup done", "took", time.Since(start).Round(time.Millisecond), "groups", groups)
	}
	start = time.Now()
	a, err := familycard.NewAssessor(s, welfare.Default)
	if err == nil {
		a.AsOf = asOf
		_, err = a.AssessAll(ctx)
	}
	if err != nil {
		m.runs.WithLabelValues("assessments", "error").Inc()
		if ctx.Err() == nil {
			log.Error("family assessment failed; it runs again after the next sync", "err", err)
		}
		return err
	}
	log.Info("family assessments done", "took", time.Since(start).Round(time.Millisecond))
	// Statistics of what was just written, before the gateway says it is current: on a fresh
	// store the planner has none (a family's assessments then read every family's).
	start = time.Now()
	if err := s.Analyze(ctx, familyassessment.Table, paymentrollup.Table, finding.Table); err != nil {
		log.Warn("refreshing the planner's statistics after the derived work failed; queries may be planned without them", "err", err)
	} else {
		log.Debug("planner statistics refreshed", "took", time.Since(start).Round(time.Millisecond))
	}
	m.runs.WithLabelValues("assessments", "ok").Inc()
	done("assessments")
	return rollupErr
}

// derivedMetrics count the runs of the derived work, so that operators (and the load benchmark,
// which waits for the first) see when findings and assessments are up to date, and the syncs
// after which it did not run because the store was unchanged.
type derivedMetrics struct {
	runs    *prometheus.CounterVec
	skipped prometheus.Counter
}

func newDerivedMetrics() derivedMetrics {
	return derivedMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "birlik_derived_runs_total",
			Help: "Runs of the work done after a sync that changed the store, by job (checks, rollups, assessments) and outcome (ok, error).",
		}, []string{"job", "outcome"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "birlik_derived_skipped_total",
			Help: "Syncs after which the derived work (checks, assessments) did not run because the store was unchanged since its last successful run.",
		}),
	}
}

// collectors returns the metrics, to register with a Prometheus registry.
func (m derivedMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.runs, m.skipped}
}
