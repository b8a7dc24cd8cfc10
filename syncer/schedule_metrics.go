package syncer

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the scheduler's metrics, read from Status at scrape time, to register
// with the gateway's registry: per source, whether a pass has completed in this process,
// whether it is behind, its failed passes in a row, the end of its last successful pass, and
// its passes by outcome.
func (s *Scheduler) Collectors() []prometheus.Collector {
	l := []string{"source"}
	return []prometheus.Collector{&scheduleCollector{s: s,
		completed: prometheus.NewDesc("birlik_sync_first_pass_done", "1 once a pass of the source reached the end of its feed in this process.", l, nil),
		behind: prometheus.NewDesc("birlik_sync_behind",
			"1 when the source is behind its schedule: no pass completed yet, the last pass failed, or the last success is more than twice the interval ago.", l, nil),
		failures: prometheus.NewDesc("birlik_sync_consecutive_failures", "The source's failed passes since its last successful one.", l, nil),
		success:  prometheus.NewDesc("birlik_sync_last_success_timestamp_seconds", "When the source's last successful pass ended (Unix time; 0 before the first).", l, nil),
		passes:   prometheus.NewDesc("birlik_sync_passes_total", "Passes over the source's feed, by outcome (ok, error).", []string{"source", "outcome"}, nil),
	}}
}

type scheduleCollector struct {
	s                                            *Scheduler
	completed, behind, failures, success, passes *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *scheduleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.completed, c.behind, c.failures, c.success, c.passes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *scheduleCollector) Collect(ch chan<- prometheus.Metric) {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, st := range c.s.Status() {
		src := string(st.Source)
		var last float64
		if !st.LastSuccess.IsZero() {
			last = float64(st.LastSuccess.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(c.completed, prometheus.GaugeValue, b(st.Completed), src)
		ch <- prometheus.MustNewConstMetric(c.behind, prometheus.GaugeValue, b(st.Behind), src)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(st.ConsecutiveFailures), src)
		ch <- prometheus.MustNewConstMetric(c.success, prometheus.GaugeValue, last, src)
		ch <- prometheus.MustNewConstMetric(c.passes, prometheus.CounterValue, float64(st.Passes), src, "ok")
		ch <- prometheus.MustNewConstMetric(c.passes, prometheus.CounterValue, float64(st.Failures), src, "error")
	}
}
