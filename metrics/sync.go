package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/birlik/birlik/ent"
)

// SyncCollector reports sync progress at scrape time from the store's sync cursors (the cursor
// commits with the data, so it is the truth about what the store holds): records applied, the
// source's own total, whether the feed was drained, and seconds since the cursor last moved.
type SyncCollector struct {
	client  *ent.Client
	timeout time.Duration

	records, total, done, age *prometheus.Desc
}

// NewSyncCollector returns a collector over client's sync cursors; register it on the
// gateway's registry.
func NewSyncCollector(client *ent.Client) *SyncCollector {
	l := []string{"source"}
	return &SyncCollector{
		client:  client,
		timeout: 2 * time.Second,
		records: prometheus.NewDesc("birlik_sync_records", "Records (valid and quarantined) applied from the source's feed so far.", l, nil),
		total:   prometheus.NewDesc("birlik_sync_source_total", "The source's own count of records in its feed (0 when it does not tell).", l, nil),
		done:    prometheus.NewDesc("birlik_sync_caught_up", "1 when the last page applied was the end of the source's feed.", l, nil),
		age:     prometheus.NewDesc("birlik_sync_cursor_age_seconds", "Seconds since the source's cursor last moved.", l, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *SyncCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.total
	ch <- c.done
	ch <- c.age
}

// Collect implements prometheus.Collector: one query of the cursors table. A failed query
// reports nothing (the scrape still succeeds with the other metrics).
func (c *SyncCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cursors, err := c.client.SyncCursor.Query().All(ctx)
	if err != nil {
		return
	}
	now := time.Now()
	for _, s := range cursors {
		done := 0.0
		if s.Done {
			done = 1
		}
		ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(s.Records), s.Source)
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.Total), s.Source)
		ch <- prometheus.MustNewConstMetric(c.done, prometheus.GaugeValue, done, s.Source)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(s.UpdatedAt).Seconds(), s.Source)
	}
}
